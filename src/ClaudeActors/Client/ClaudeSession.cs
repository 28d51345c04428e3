using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using ClaudeActors.Supervision;

namespace ClaudeActors.Client;

/// <summary>Per-query settings for the facade.</summary>
public sealed record QueryOptions
{
    /// <summary>Overrides the session's timeout for this query.</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>
/// A session for plain .NET code: <see cref="StreamAsync"/> yields the protocol messages of a turn as an
/// <see cref="IAsyncEnumerable{T}"/>, with backpressure (a slow consumer holds the session's delivery, never an
/// unbounded buffer); cancelling the enumeration interrupts the turn. Every failure surfaces as a
/// <see cref="ClaudeSessionException"/> subclass. The same actor can be used with Tell/Ask through <see cref="Actor"/>.
/// </summary>
public sealed class ClaudeSession : IAsyncDisposable
{
    private const int AckWindow = 256;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(90);
    // A restart waits for the old CLI to stop (up to its stop grace and a kill) and the new one to answer initialize.
    private static readonly TimeSpan RestartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan AliveTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReplyGrace = TimeSpan.FromSeconds(15);
    private readonly ActorSystem _system;
    // Local: the session actor itself, which can be watched. Cluster: a forwarder to the shard region, which lives
    // on while the entity passivates and moves between nodes, so watching it says nothing about the session.
    private readonly bool _local;
    private readonly TimeSpan _queryTimeout;

    internal ClaudeSession(ActorSystem system, string name, IActorRef actor, bool local = true, TimeSpan? queryTimeout = null)
    {
        _system = system;
        Name = name;
        Actor = actor;
        _local = local;
        _queryTimeout = queryTimeout ?? SessionOptions.DefaultTimeout;
    }

    /// <summary>The session's name.</summary>
    public string Name { get; }

    /// <summary>
    /// The session's address for actors: Tell it <see cref="Query"/>, Ask it <see cref="GetSessionId"/>,
    /// <see cref="GetSessionInfo"/>, ... — the same messages in both modes, answered to the sender. Locally it is the
    /// session actor; in cluster mode a forwarder on this node that wraps each message for the session's shard region
    /// (wherever the session lives now) and keeps the sender.
    /// </summary>
    public IActorRef Actor { get; }

    /// <summary>
    /// Starts the claude CLI for a session with <paramref name="options"/> now, before the ActorSystem exists: a
    /// short-lived program (a chat, a worker, a test) then pays the CLI's own start-up and the host's (ActorSystem,
    /// first use of the session path) at the same time, not one after the other. The next fresh session started with
    /// the same launch options (<see cref="StartAsync"/>) takes the process, under the conversation id it was started
    /// with. Returns false, starting nothing, for options that resume, continue or fork, choose a session id or have
    /// callbacks, or when no CLI can start; a process nobody takes is killed after a minute and with the host.
    /// </summary>
    public static bool Prestart(SessionOptions options) => Process.CliPrestart.Begin(options);

    /// <summary>
    /// Starts a session under the system's supervisor and waits until its CLI has completed the initialize
    /// handshake. Throws <see cref="InvalidSessionOptionsException"/>, <see cref="CliNotFoundException"/>,
    /// <see cref="CliStartFailedException"/> or <see cref="SessionAlreadyExistsException"/>.
    /// </summary>
    public static async Task<ClaudeSession> StartAsync(ActorSystem system, SessionOptions? options = null, CancellationToken cancellationToken = default)
    {
        options = Process.CliPreflight.EnsureStartable(options ?? new SessionOptions());
        var supervisor = ClaudeSessions.Get(system).Supervisor;
        var reply = await supervisor.Ask<object>(new StartSession(options), AskTimeout, cancellationToken).ConfigureAwait(false);
        var started = reply switch
        {
            SessionStarted s => s,
            SessionStartRejected r => throw r.Failure.ToException(),
            _ => throw new InvalidOperationException("Unexpected reply " + reply.GetType().Name),
        };
        var session = new ClaudeSession(system, started.Name, started.Session, queryTimeout: options.Timeout);
        try
        {
            await session.WaitUntilReadyAsync(options.ControlTimeout + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            supervisor.Tell(new TerminateSession(started.Name));
            throw;
        }
        return session;
    }

    private void Send(object message, IActorRef? sender = null) => Actor.Tell(message, sender ?? ActorRefs.NoSender);

    // Every question to the session fails typed and fast: a local session that is gone (stopped, or failed past its
    // restart bound) never answers, so its death ends the wait at once; a silence past the timeout is a
    // QueryTimeoutException, never Akka's untyped AskTimeoutException.
    private async Task<T> AskAsync<T>(object message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var reply = Actor.Ask<T>(message, timeout, cancellationToken);
        try
        {
            if (_local)
            {
                using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var gone = Actor.WatchAsync(watching.Token);
                if (await Task.WhenAny(reply, gone).ConfigureAwait(false) == gone && !reply.IsCompleted && !cancellationToken.IsCancellationRequested)
                    throw Stopped();
                await watching.CancelAsync().ConfigureAwait(false);
            }
            return await reply.ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw new QueryTimeoutException(new SessionFailure(FailureKind.Timeout,
                $"Session '{Name}' did not answer {message.GetType().Name} within {timeout}."));
        }
    }

    private SessionStoppedException Stopped() =>
        new(new SessionFailure(FailureKind.SessionStopped, $"Session '{Name}' is stopped."));

    /// <summary>Wraps an existing session actor (for example one found by name through the supervisor).</summary>
    public static ClaudeSession For(ActorSystem system, string name, IActorRef session) => new(system, name, session);

    /// <summary>Waits until the session is ready; throws the start failure if it cannot start.</summary>
    public async Task<SessionInfo> WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var ready = Actor.Ask<object>(AwaitReady.Instance, timeout, cancellationToken);
        var terminated = _local ? Actor.WatchAsync(cancellationToken) : Task.Delay(Timeout.Infinite, cancellationToken);
        // A session that fails says why before it stops; give that reply a moment to win the race.
        if (await Task.WhenAny(ready, terminated).ConfigureAwait(false) == terminated)
            await Task.WhenAny(ready, Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None)).ConfigureAwait(false);
        if (!ready.IsCompleted)
            throw new SessionStoppedException(new SessionFailure(FailureKind.SessionStopped, $"Session '{Name}' stopped before it was ready."));
        var reply = await ready.ConfigureAwait(false);
        return reply switch
        {
            SessionInfo info => info,
            SessionStartFailed failed => throw failed.Failure.ToException(),
            _ => throw new InvalidOperationException("Unexpected reply " + reply.GetType().Name),
        };
    }

    /// <summary>
    /// Runs one turn and yields each message as the CLI writes it, the final <see cref="ResultMessage"/> included.
    /// Throws a <see cref="ClaudeSessionException"/> when the turn fails (after yielding what arrived).
    /// Stopping the enumeration early, or cancelling, interrupts the turn.
    /// </summary>
    public async IAsyncEnumerable<ClaudeMessage> StreamAsync(string prompt, QueryOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var receiver = _system.ActorOf(QueryReceiver.Props(channel.Writer, _local ? Actor : null));
        var query = new Query(prompt) { Timeout = options?.Timeout, ReplyTo = receiver, AckWindow = AckWindow };
        var finished = false;
        var consumed = 0;
        // The session ends every query it receives within its timeout; this guard covers a query that never reached
        // a session (e.g. sent to the shard of a node that died), so the caller is never left waiting forever.
        var guard = (options?.Timeout ?? _queryTimeout) + ReplyGrace;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(guard);
        Send(query, receiver);
        Telemetry.TurnTrace.Mark("caller.sent");
        try
        {
            while (true)
            {
                object item;
                try
                {
                    if (!await channel.Reader.WaitToReadAsync(deadline.Token).ConfigureAwait(false)) break;
                    item = await channel.Reader.ReadAsync(deadline.Token).ConfigureAwait(false);
                    Telemetry.TurnTrace.Mark("caller.read");
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new QueryTimeoutException(new SessionFailure(FailureKind.Timeout,
                        $"Session '{Name}' sent no end to the query within {guard}."));
                }
                switch (item)
                {
                    case QueryMessage message:
                        yield return message.Message;
                        if (++consumed >= AckWindow / 2)
                        {
                            Send(new QueryAck(query.QueryId, consumed));
                            consumed = 0;
                        }
                        break;
                    case QueryCompleted:
                        finished = true;
                        yield break;
                    case QueryFailed failed:
                        finished = true;
                        throw failed.Failure.ToException();
                }
            }
            finished = true;
            throw new SessionStoppedException(new SessionFailure(FailureKind.SessionStopped, "The session stopped during the query."));
        }
        finally
        {
            if (!finished)
            {
                Send(new CancelQuery(query.QueryId));
                _system.Stop(receiver);
            }
        }
    }

    /// <summary>Runs one turn to its end and returns its result (throws on failure).</summary>
    public async Task<ResultMessage> QueryAsync(string prompt, QueryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ResultMessage? result = null;
        await foreach (var message in StreamAsync(prompt, options, cancellationToken).ConfigureAwait(false))
            if (message is ResultMessage r) result = r;
        return result ?? throw new SessionStoppedException(new SessionFailure(FailureKind.SessionStopped, "The turn ended without a result."));
    }

    /// <summary>Runs one turn and returns its final text, like <c>ClaudeCode.Stream.final_text/1</c>.</summary>
    public Task<string> FinalTextAsync(string prompt, QueryOptions? options = null, CancellationToken cancellationToken = default) =>
        StreamAsync(prompt, options, cancellationToken).FinalTextAsync(cancellationToken);

    /// <summary>The conversation's session id; known from the start for fresh sessions, null after a failed start.</summary>
    public async Task<string?> GetSessionIdAsync(CancellationToken cancellationToken = default) =>
        (await AskAsync<SessionIdReply>(GetSessionId.Instance, AskTimeout, cancellationToken).ConfigureAwait(false)) switch
        {
            { Failure: { } failure } => throw failure.ToException(),
            var reply => reply.SessionId,
        };

    /// <summary>The conversation so far, read from the CLI's transcript (empty before the first turn).</summary>
    public async Task<History.Conversation> GetConversationAsync(CancellationToken cancellationToken = default)
    {
        var result = await AskAsync<ConversationResult>(GetConversation.Instance, AskTimeout, cancellationToken).ConfigureAwait(false);
        return result.Failure is { } failure ? throw failure.ToException() : result.Conversation!;
    }

    /// <summary>Reads a stored conversation by session id (like <c>ClaudeCode.conversation/1</c>); searches every project folder of the config dir.</summary>
    public static Task<History.Conversation> ReadConversationAsync(string sessionId, string? configDirectory = null, CancellationToken cancellationToken = default) =>
        History.ConversationHistory.ReadAsync(sessionId, configDirectory, null, cancellationToken);

    /// <summary>A snapshot of the session: status, session id, model, restarts, queue length.</summary>
    public async Task<SessionInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        var info = await AskAsync<SessionInfo>(GetSessionInfo.Instance, AskTimeout, cancellationToken).ConfigureAwait(false);
        // A cluster entity that knows no such session answers with the failure (actors read it off LastFailure).
        return info.LastFailure is { Kind: FailureKind.SessionNotFound } missing ? throw missing.ToException() : info;
    }

    /// <summary>Switches the model for the following turns; returns the CLI's answer (<c>{"model": ...}</c>).</summary>
    public Task<JsonElement?> SetModelAsync(string model, CancellationToken cancellationToken = default) =>
        ControlAsync(new SetModel(model), cancellationToken);

    /// <summary>Changes the permission mode for the following tool uses.</summary>
    public Task<JsonElement?> SetPermissionModeAsync(PermissionMode mode, CancellationToken cancellationToken = default) =>
        ControlAsync(new SetPermissionMode(mode), cancellationToken);

    /// <summary>The MCP servers' status (<c>{"mcpServers": [...]}</c>).</summary>
    public Task<JsonElement?> GetMcpStatusAsync(CancellationToken cancellationToken = default) =>
        ControlAsync(GetMcpStatus.Instance, cancellationToken);

    /// <summary>Undoes file changes made after the given user message (needs file checkpointing).</summary>
    public Task<JsonElement?> RewindFilesAsync(string userMessageId, bool dryRun = false, CancellationToken cancellationToken = default) =>
        ControlAsync(new RewindFiles(userMessageId, dryRun), cancellationToken);

    /// <summary>The initialize handshake's response: commands, models, account, CLI version.</summary>
    public Task<JsonElement?> GetServerInfoAsync(CancellationToken cancellationToken = default) =>
        ControlAsync(GetServerInfo.Instance, cancellationToken);

    /// <summary>The initialize handshake's response, typed: slash commands, models, agents, account, CLI version.</summary>
    public async Task<ServerInfo> GetServerDetailsAsync(CancellationToken cancellationToken = default) =>
        ServerInfo.Parse(await GetServerInfoAsync(cancellationToken).ConfigureAwait(false) ?? default);

    /// <summary>The slash commands and skills the CLI offers.</summary>
    public async Task<IReadOnlyList<SlashCommandInfo>> GetSupportedCommandsAsync(CancellationToken cancellationToken = default) =>
        (await GetServerDetailsAsync(cancellationToken).ConfigureAwait(false)).Commands;

    /// <summary>The models the CLI accepts (what <see cref="SetModelAsync"/> is checked against).</summary>
    public async Task<IReadOnlyList<ModelInfo>> GetSupportedModelsAsync(CancellationToken cancellationToken = default) =>
        (await GetServerDetailsAsync(cancellationToken).ConfigureAwait(false)).Models;

    /// <summary>The agents the CLI can run.</summary>
    public async Task<IReadOnlyList<AgentInfo>> GetSupportedAgentsAsync(CancellationToken cancellationToken = default) =>
        (await GetServerDetailsAsync(cancellationToken).ConfigureAwait(false)).Agents;

    /// <summary>Where the CLI's credentials come from, and the account when logged in.</summary>
    public async Task<AccountInfo?> GetAccountInfoAsync(CancellationToken cancellationToken = default) =>
        (await GetServerDetailsAsync(cancellationToken).ConfigureAwait(false)).Account;

    /// <summary>
    /// True while the session has a CLI that can take a query now or after the running one (Ready or Busy); false when
    /// it is starting, restarting, failed or gone, or does not answer within 5 seconds.
    /// </summary>
    public async Task<bool> IsAliveAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            // A stopped local actor never answers a question, but its ref answers Identify at once.
            if (_local && (await Actor.Ask<ActorIdentity>(new Identify(null), AliveTimeout, cancellationToken).ConfigureAwait(false)).Subject is null)
                return false;
            var info = await AskAsync<SessionInfo>(GetSessionInfo.Instance, AliveTimeout, cancellationToken).ConfigureAwait(false);
            return info.Status is SessionStatus.Ready or SessionStatus.Busy;
        }
        catch (AskTimeoutException)
        {
            return false;
        }
    }

    /// <summary>Reconnects a disconnected or failed MCP server.</summary>
    public Task<JsonElement?> ReconnectMcpServerAsync(string serverName, CancellationToken cancellationToken = default) =>
        ControlAsync(new ReconnectMcpServer(serverName), cancellationToken);

    /// <summary>Enables or disables an MCP server without a restart.</summary>
    public Task<JsonElement?> ToggleMcpServerAsync(string serverName, bool enabled, CancellationToken cancellationToken = default) =>
        ControlAsync(new ToggleMcpServer(serverName, enabled), cancellationToken);

    /// <summary>Replaces the CLI's dynamically added MCP servers (name → config); returns what was added, removed and failed.</summary>
    public Task<JsonElement?> SetMcpServersAsync(IReadOnlyDictionary<string, JsonElement> servers, CancellationToken cancellationToken = default) =>
        ControlAsync(new SetMcpServers(servers), cancellationToken);

    /// <summary>Stops a background task the model started.</summary>
    public Task<JsonElement?> StopTaskAsync(string taskId, CancellationToken cancellationToken = default) =>
        ControlAsync(new StopTask(taskId), cancellationToken);

    /// <summary>How the context window is used, by category (<paramref name="full"/>: counted with the API, extra calls).</summary>
    public Task<JsonElement?> GetContextUsageAsync(bool full = false, CancellationToken cancellationToken = default) =>
        ControlAsync(new GetContextUsage(full), cancellationToken);

    /// <summary>Sets the extended-thinking budget for the next turns; null goes back to the default.</summary>
    public Task<JsonElement?> SetMaxThinkingTokensAsync(int? maxThinkingTokens, CancellationToken cancellationToken = default) =>
        ControlAsync(new SetMaxThinkingTokens(maxThinkingTokens), cancellationToken);

    /// <summary>Any other control request of the CLI, by subtype (see <see cref="SendControlRequest"/>).</summary>
    public Task<JsonElement?> SendControlRequestAsync(string subtype, JsonElement? fields = null, CancellationToken cancellationToken = default) =>
        ControlAsync(new SendControlRequest(subtype, fields), cancellationToken);

    /// <summary>
    /// Restarts the session's CLI, resuming the same conversation; returns once the new CLI is ready. A running query
    /// fails with <see cref="QueryInterruptedException"/>; queued ones run on the new CLI.
    /// </summary>
    public async Task<SessionInfo> RestartAsync(CancellationToken cancellationToken = default)
    {
        var reply = await AskAsync<object>(new RestartSession(Name), RestartTimeout, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            SessionInfo { LastFailure: { Kind: FailureKind.SessionNotFound } missing } => throw missing.ToException(),
            SessionInfo info => info,
            SessionStartFailed failed => throw failed.Failure.ToException(),
            ControlResult { Failure: { } failure } => throw failure.ToException(),
            _ => throw new ProtocolErrorException(new SessionFailure(FailureKind.ProtocolError, "Unexpected reply " + reply.GetType().Name)),
        };
    }

    /// <summary>
    /// Interrupts the running turn, if there is one (its caller gets <see cref="QueryInterruptedException"/>); returns
    /// whether a turn was interrupted. With nothing running it does nothing and returns false, so a Ctrl-C handler can
    /// call it at any time.
    /// </summary>
    public async Task<bool> InterruptAsync(CancellationToken cancellationToken = default)
    {
        var result = await AskAsync<ControlResult>(new Interrupt(), AskTimeout, cancellationToken).ConfigureAwait(false);
        return result.Failure switch
        {
            null => true,
            { Kind: FailureKind.InvalidRequest } => false, // no turn is running
            var failure => throw failure.ToException(),
        };
    }

    /// <summary>Starts a fresh conversation; the next query sees no earlier turns. Runs after queries already queued.</summary>
    public async Task ClearAsync(CancellationToken cancellationToken = default)
    {
        var reply = await AskAsync<object>(ClearSession.Instance, AskTimeout, cancellationToken).ConfigureAwait(false);
        if (reply is ControlResult { Failure: { } failure }) throw failure.ToException();
    }

    /// <summary>Stops the session and its CLI process (stdin closed first, so the transcript is flushed).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_local)
        {
            // Stopping a cluster session passivates it: its CLI ends, its conversation stays (TerminateAsync removes it).
            Send(StopSession.Instance);
            return;
        }
        var reply = await ClaudeSessions.Get(_system).Supervisor
            .Ask<object>(new TerminateSession(Name), AskTimeout, cancellationToken).ConfigureAwait(false);
        if (reply is SessionStartRejected { Failure.Kind: FailureKind.SessionNotFound })
            Actor.Tell(StopSession.Instance); // not one of the supervisor's (e.g. a test stub): stop it directly
        else if (reply is SessionStartRejected rejected)
            throw rejected.Failure.ToException();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task<JsonElement?> ControlAsync(object request, CancellationToken cancellationToken)
    {
        var result = await AskAsync<ControlResult>(request, AskTimeout, cancellationToken).ConfigureAwait(false);
        return result.Failure is { } failure ? throw failure.ToException() : result.Response;
    }
}
