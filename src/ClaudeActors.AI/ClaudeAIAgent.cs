using System.Runtime.CompilerServices;
using System.Text.Json;
using ClaudeActors.Client;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace ClaudeActors.AI;

/// <summary>
/// A Microsoft Agent Framework <see cref="AIAgent"/> whose sessions are named ClaudeActors sessions: creating an
/// <see cref="AgentSession"/> starts one, a run is one turn of its conversation, and a serialized session continues
/// on any host (or cluster node) that deserializes it. Made by <see cref="ClaudeAgentExtensions.CreateAIAgent"/>.
/// </summary>
/// <remarks>
/// <para>Input messages are treated as by the chat client (<see cref="ClaudeChatClientExtensions"/>): the user
/// messages after the last assistant or tool message are the new input; system messages shape only a session that
/// the run starts. Runs on one agent session go one at a time, in order.</para>
/// <para>A run with a <see cref="ClaudeAgentSession"/> finds its session by name; when no host runs it (the
/// process that started it has stopped, or a new cluster without its entity), the run starts it again from the
/// agent's template, resuming the stored session id, so the conversation goes on. A run without a session starts a
/// session for the run alone and terminates it afterwards.</para>
/// <para><see cref="AgentRunOptions.ResponseFormat"/> as JSON fails the run (start the template with
/// <see cref="SessionOptions.JsonSchema"/>); background responses are not offered, a run always completes.</para>
/// </remarks>
public sealed class ClaudeAIAgent : AIAgent
{
    private const int MaxPrefixLength = SessionNames.MaxLength - 33;
    private readonly IClaudeSessions _sessions;
    private readonly SessionOptions _template;

    internal ClaudeAIAgent(IClaudeSessions sessions, SessionOptions template, string? name, string? description)
    {
        _sessions = sessions;
        _template = template;
        Name = name;
        Description = description;
    }

    /// <inheritdoc />
    public override string? Name { get; }

    /// <inheritdoc />
    public override string? Description { get; }

    /// <summary>
    /// Starts (or joins, when one of that name runs) the session named <paramref name="sessionName"/> from the agent's
    /// template and returns it as an agent session.
    /// </summary>
    /// <param name="sessionName">The session's name (see <see cref="SessionNames"/>).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public async ValueTask<ClaudeAgentSession> CreateSessionAsync(string sessionName, CancellationToken cancellationToken = default)
    {
        if (SessionNames.Check(sessionName) is { } invalid) throw new ArgumentException(invalid, nameof(sessionName));
        var session = await _sessions.StartAsync(_template with { Name = sessionName }, returnExisting: true, cancellationToken).ConfigureAwait(false);
        var sessionId = await session.GetSessionIdAsync(cancellationToken).ConfigureAwait(false);
        return Attach(new ClaudeAgentSession(sessionName, sessionId, resumable: false));
    }

    /// <summary>Starts a session named after the template (<c>&lt;template name or "agent"&gt;-&lt;32 hex digits&gt;</c>).</summary>
    protected override async ValueTask<AgentSession> CreateSessionCoreAsync(CancellationToken cancellationToken = default)
    {
        var prefix = _template.Name ?? "agent";
        if (prefix.Length > MaxPrefixLength) prefix = prefix[..MaxPrefixLength];
        return await CreateSessionAsync(prefix + "-" + Guid.NewGuid().ToString("N"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The session's name, session id and state bag as JSON (<paramref name="jsonSerializerOptions"/> is not needed).</summary>
    protected override ValueTask<JsonElement> SerializeSessionCoreAsync(AgentSession session, JsonSerializerOptions? jsonSerializerOptions = null,
        CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Own(session).Serialize());

    /// <summary>Reads what <see cref="SerializeSessionCoreAsync"/> wrote; the session is found (or started) at the next run.</summary>
    protected override ValueTask<AgentSession> DeserializeSessionCoreAsync(JsonElement serializedState, JsonSerializerOptions? jsonSerializerOptions = null,
        CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<AgentSession>(Attach(ClaudeAgentSession.Deserialize(serializedState)));

    /// <inheritdoc />
    protected override async Task<AgentResponse> RunCoreAsync(IEnumerable<ChatMessage> messages, AgentSession? session = null,
        AgentRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var chatOptions = ChatOptionsFor(options);
        var owned = session is null;
        var agentSession = owned ? (ClaudeAgentSession)await CreateSessionCoreAsync(cancellationToken).ConfigureAwait(false) : Own(session!);
        try
        {
            var response = await agentSession.Chat.GetResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false);
            return new AgentResponse(response) { AgentId = Id };
        }
        finally
        {
            if (owned) await TerminateAsync(agentSession).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async IAsyncEnumerable<AgentResponseUpdate> RunCoreStreamingAsync(IEnumerable<ChatMessage> messages, AgentSession? session = null,
        AgentRunOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var chatOptions = ChatOptionsFor(options);
        var owned = session is null;
        var agentSession = owned ? (ClaudeAgentSession)await CreateSessionCoreAsync(cancellationToken).ConfigureAwait(false) : Own(session!);
        try
        {
            await foreach (var update in agentSession.Chat.GetStreamingResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false))
                yield return new AgentResponseUpdate(update) { AgentId = Id };
        }
        finally
        {
            if (owned) await TerminateAsync(agentSession).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <see cref="AIAgentMetadata"/> (provider <c>claude-code</c>) and the agent's <see cref="IClaudeSessions"/>, besides
    /// the agent itself.
    /// </summary>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType == typeof(AIAgentMetadata)) return new AIAgentMetadata(ClaudeChatClient.ProviderName);
        if (serviceKey is null && serviceType == typeof(IClaudeSessions)) return _sessions;
        return base.GetService(serviceType, serviceKey);
    }

    private static ChatOptions? ChatOptionsFor(AgentRunOptions? options) =>
        options?.ResponseFormat is { } format ? new ChatOptions { ResponseFormat = format } : null;

    private ClaudeAgentSession Own(AgentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session is ClaudeAgentSession own && ReferenceEquals(own.Agent, this)
            ? own
            : throw new ArgumentException("The session was not created or deserialized by this agent.", nameof(session));
    }

    private ClaudeAgentSession Attach(ClaudeAgentSession session)
    {
        session.Agent = this;
        session.Chat = new ClaudeChatClient(new NamedSession(_sessions, session.SessionName, instructions => StartOptions(session, instructions)))
        {
            TurnCompleted = turn =>
            {
                if (turn.SessionId is { } id) session.SessionId = id;
                // Without persistence the CLI writes no transcript: such a conversation lasts as long as its session runs.
                session.Resumable = session.SessionId is not null && !_template.NoSessionPersistence;
            },
        };
        return session;
    }

    /// <summary>How a run starts the session when no host runs it: resuming the conversation it had, else afresh.</summary>
    private SessionOptions StartOptions(ClaudeAgentSession session, string? instructions)
    {
        var options = session.Resumable
            ? _template with { Resume = session.SessionId, SessionId = null, Continue = false, ForkSession = false }
            : _template;
        return SessionSource.WithInstructions(options, instructions);
    }

    private async Task TerminateAsync(ClaudeAgentSession session)
    {
        try
        {
            await _sessions.TerminateAsync(session.SessionName, CancellationToken.None).ConfigureAwait(false);
        }
        catch (SessionNotFoundException)
        {
            // Gone already.
        }
    }
}
