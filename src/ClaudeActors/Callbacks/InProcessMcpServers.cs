using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace ClaudeActors.Callbacks;

/// <summary>
/// The MCP servers a session serves in-process (<see cref="SessionCallbacks.McpServers"/>): for each one the MCP SDK's
/// <see cref="McpServer"/> over a <see cref="ControlChannelTransport"/>, speaking the JSON-RPC the CLI sends inside its
/// <c>mcp_message</c> requests. The session hands each message over with <see cref="RelayAsync"/> and sends back what
/// comes out; it knows nothing of MCP.
/// </summary>
/// <remarks>
/// <para>
/// One <see cref="McpServer"/> per server per CLI process: a server starts on the first message a CLI sends it, and
/// ends with <see cref="EndGeneration"/> when that CLI is gone (a new CLI initializes its servers again). Ending one
/// cancels its running tool calls; the session waits for all of them, bounded, when it stops (<see cref="Stop"/>), so no
/// task of a server outlives the session.
/// </para>
/// <para>
/// Tool calls are bounded by the session's callback timeout: an <see cref="SdkTool"/>'s handler as every handler, and an
/// SDK-native <see cref="McpServerTool"/> by a filter of the server; past it the model gets a tool error. Not thread-safe:
/// only the session actor calls it.
/// </para>
/// </remarks>
internal sealed class InProcessMcpServers
{
    /// <summary>The version each server reports in its <c>initialize</c> answer.</summary>
    public const string ServerVersion = "1.0.0";

    private readonly string _sessionName;
    private readonly IReadOnlyList<SdkMcpServer> _servers;
    private readonly ActorSystem? _system;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<string, Running> _running = new();
    private readonly List<Task> _ending = new();

    /// <param name="sessionName">The session, named in each <see cref="ToolCall"/>.</param>
    /// <param name="servers">The servers it serves.</param>
    /// <param name="system">Where actor handlers are found; null only where every handler is a delegate (tests).</param>
    /// <param name="timeout">How long a tool call may take.</param>
    public InProcessMcpServers(string sessionName, IReadOnlyList<SdkMcpServer> servers, ActorSystem? system, TimeSpan timeout)
    {
        _sessionName = sessionName;
        _servers = servers;
        _system = system;
        _timeout = timeout;
    }

    /// <summary>The servers running now.</summary>
    public int RunningCount => _running.Count;

    /// <summary>
    /// Hands the JSON-RPC <paramref name="message"/> of control request <paramref name="requestId"/> to the server named
    /// <paramref name="serverName"/>. The task completes with the control response's payload (<c>{"mcp_response": ...}</c>),
    /// a JSON-RPC error for an unknown server; it never faults.
    /// </summary>
    public async Task<JsonNode> RelayAsync(string requestId, string? serverName, JsonElement message)
    {
        // Synchronous up to the first await: the servers are touched on the actor's thread only.
        if (!_running.TryGetValue(serverName ?? "", out var running)) running = Start(serverName);
        JsonObject rpc;
        if (running is not null)
        {
            rpc = await running.Transport.RelayAsync(requestId, message).ConfigureAwait(false);
        }
        else
        {
            var id = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("id", out var idElement) ? JsonNode.Parse(idElement.GetRawText()) : null;
            rpc = ControlChannelTransport.Error(id, ControlChannelTransport.MethodNotFound, $"Unknown MCP server '{serverName}'.");
        }
        return new JsonObject { ["mcp_response"] = rpc };
    }

    /// <summary>The CLI withdrew control request <paramref name="requestId"/>: its tool call is cancelled. False when none waits.</summary>
    public bool Withdraw(string requestId)
    {
        foreach (var running in _running.Values)
            if (running.Transport.Withdraw(requestId)) return true;
        return false;
    }

    /// <summary>The CLI these servers talked to is gone: they end (in the background), and the next CLI's messages start new ones.</summary>
    public void EndGeneration()
    {
        _ending.RemoveAll(t => t.IsCompleted);
        foreach (var running in _running.Values) _ending.Add(running.EndAsync());
        _running.Clear();
    }

    /// <summary>The session stops: every server ends; true when all had ended within <paramref name="bound"/>.</summary>
    public bool Stop(TimeSpan bound)
    {
        EndGeneration();
        return Task.WaitAll(_ending.ToArray(), bound);
    }

    private Running? Start(string? serverName)
    {
        if (_servers.FirstOrDefault(s => s.Name == serverName) is not { } definition) return null;
        var tools = new McpServerPrimitiveCollection<McpServerTool>();
        foreach (var tool in definition.Tools) tools.Add(new SdkToolAdapter(tool, _sessionName, definition.Name, InvokeHandler));
        foreach (var tool in definition.McpServerTools) tools.Add(tool);
        var options = new McpServerOptions
        {
            ServerInfo = new Implementation { Name = definition.Name, Version = ServerVersion },
            ToolCollection = tools,
        };
        options.Filters.Request.CallToolFilters.Add(BoundedByTimeout);
        var transport = new ControlChannelTransport();
        var server = McpServer.Create(transport, options);
        var running = new Running(transport, server, server.RunAsync());
        _running[definition.Name] = running;
        return running;
    }

    private Task<object> InvokeHandler(CallbackHandler handler, object request, CancellationToken cancellationToken) =>
        handler.InvokeAsync(_system!, request, _timeout, cancellationToken);

    // Every tool call, SDK-native tools included, gets the session's callback timeout: the token the tool sees is
    // cancelled then, and the answer does not wait for a tool that ignores it.
    private McpRequestHandler<CallToolRequestParams, CallToolResult> BoundedByTimeout(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (request, cancellationToken) =>
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(_timeout);
            try
            {
                return await next(request, bounded.Token).AsTask().WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (!cancellationToken.IsCancellationRequested && error is TimeoutException or OperationCanceledException)
            {
                return SdkToolAdapter.Failed(SdkToolAdapter.TimedOutText);
            }
            finally
            {
                // Whichever bound fired first, the tool's token is cancelled before the answer goes: nothing is left running on purpose.
                await bounded.CancelAsync().ConfigureAwait(false);
            }
        };

    private sealed record Running(ControlChannelTransport Transport, McpServer Server, Task Run)
    {
        // Disposing the server cancels its running handlers and waits for them; then what still waits is answered.
        public async Task EndAsync()
        {
            await Server.DisposeAsync().ConfigureAwait(false);
            await Transport.DisposeAsync().ConfigureAwait(false);
            try
            {
                await Run.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The server's loop ends with the cancellation that ended it; nothing waits for its outcome.
            }
        }
    }
}
