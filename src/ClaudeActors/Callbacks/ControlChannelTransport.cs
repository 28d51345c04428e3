using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace ClaudeActors.Callbacks;

/// <summary>
/// The MCP SDK's transport for one in-process server, over the CLI's control channel. The CLI does not hold a pipe to
/// the server: it sends each JSON-RPC message as the payload of an <c>mcp_message</c> control request and expects the
/// answer in that request's <c>control_response</c>. So each message goes in through <see cref="RelayAsync"/>, and the
/// server's answer to it completes the task returned for that control request.
/// </summary>
/// <remarks>
/// Correlation is by control request id: a request's JSON-RPC id is replaced by the control request id on the way in
/// (unique per CLI, unlike the CLI's JSON-RPC ids, which start again when it reconnects a server) and restored on the
/// way out. Notifications need no answer from the server, but the CLI waits for one: they are answered at once with an
/// empty result. What the server sends on its own has no control request to ride on: its requests (sampling,
/// elicitation, roots) are refused at once, so a tool that asks fails fast rather than waiting; its notifications
/// (progress, logging) are dropped.
/// </remarks>
internal sealed class ControlChannelTransport : ITransport
{
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InternalError = -32603;

    private readonly Channel<JsonRpcMessage> _incoming =
        Channel.CreateUnbounded<JsonRpcMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly ConcurrentDictionary<string, Pending> _pending = new();

    /// <summary>The channel carries one session of the server: there is no session id to tell apart.</summary>
    public string? SessionId => null;

    public ChannelReader<JsonRpcMessage> MessageReader => _incoming.Reader;

    /// <summary>The number of requests the server has not answered yet.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>
    /// Hands the JSON-RPC <paramref name="message"/> of control request <paramref name="controlRequestId"/> to the
    /// server. The task completes with the JSON-RPC message to answer that control request with; it never faults.
    /// </summary>
    public Task<JsonObject> RelayAsync(string controlRequestId, JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object)
            return Task.FromResult(Error(null, InvalidRequest, "An MCP message must be a JSON object."));
        var rpc = JsonNode.Parse(message.GetRawText())!.AsObject();
        var originalId = rpc["id"]?.DeepClone();
        if (originalId is null || !rpc.ContainsKey("method"))
        {
            // A notification (or a stray response): nothing will come back from the server.
            RewriteCancelledRequestId(rpc);
            Write(rpc);
            return Task.FromResult(EmptyResult());
        }
        rpc["id"] = controlRequestId;
        if (Read(rpc) is not { } request)
            return Task.FromResult(Error(originalId, InvalidRequest, "The MCP message is not a JSON-RPC request."));
        var pending = new Pending(originalId);
        if (!_pending.TryAdd(controlRequestId, pending))
            return Task.FromResult(Error(originalId, InvalidRequest, $"Control request '{controlRequestId}' is already waiting for an answer."));
        if (!_incoming.Writer.TryWrite(request) && _pending.TryRemove(controlRequestId, out _))
            return Task.FromResult(Error(originalId, InternalError, "The in-process MCP server is not running."));
        return pending.Answer.Task;
    }

    /// <summary>
    /// The CLI no longer wants the answer to <paramref name="controlRequestId"/>: the server is told to cancel it, and
    /// its answer, should one still come, is dropped. False when that request is not waiting here.
    /// </summary>
    public bool Withdraw(string controlRequestId)
    {
        if (!_pending.TryRemove(controlRequestId, out var pending)) return false;
        Write(new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["method"] = NotificationMethods.CancelledNotification,
            ["params"] = new JsonObject { ["requestId"] = controlRequestId, ["reason"] = "The CLI withdrew the request." },
        });
        pending.Answer.TrySetResult(Error(pending.OriginalId, InternalError, "The CLI withdrew the request."));
        return true;
    }

    /// <summary>What the server sends: answers complete their control requests; see the remarks for the rest.</summary>
    public Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default)
    {
        switch (message)
        {
            case JsonRpcRequest request:
                _incoming.Writer.TryWrite(new JsonRpcError
                {
                    Id = request.Id,
                    JsonRpc = "2.0",
                    Error = new JsonRpcErrorDetail
                    {
                        Code = MethodNotFound,
                        Message = $"The Claude CLI's in-process MCP channel carries no requests from the server ('{request.Method}').",
                    },
                });
                break;
            case JsonRpcMessageWithId answer when _pending.TryRemove(answer.Id.ToString(), out var pending):
                var rpc = JsonSerializer.SerializeToNode(message, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage)))!.AsObject();
                rpc["id"] = pending.OriginalId.DeepClone();
                pending.Answer.TrySetResult(rpc);
                break;
        }
        return Task.CompletedTask;
    }

    /// <summary>The server's session ends: its reader completes, and every request still waiting is answered with an error.</summary>
    public ValueTask DisposeAsync()
    {
        _incoming.Writer.TryComplete();
        foreach (var id in _pending.Keys)
            if (_pending.TryRemove(id, out var pending))
                pending.Answer.TrySetResult(Error(pending.OriginalId, InternalError, "The in-process MCP server stopped before it answered."));
        return ValueTask.CompletedTask;
    }

    /// <summary>A JSON-RPC error answer.</summary>
    public static JsonObject Error(JsonNode? id, int code, string message) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id?.DeepClone(), ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };

    // What the CLI gets for a notification: it waits for an answer, and an empty result satisfies it.
    private static JsonObject EmptyResult() => new() { ["jsonrpc"] = "2.0", ["id"] = null, ["result"] = new JsonObject() };

    // The CLI cancels by its own JSON-RPC id; the server knows the request by its control request id.
    private void RewriteCancelledRequestId(JsonObject rpc)
    {
        if (rpc["method"]?.GetValue<string>() != NotificationMethods.CancelledNotification || rpc["params"] is not JsonObject parameters) return;
        var cancelled = parameters["requestId"];
        foreach (var (controlRequestId, pending) in _pending)
            if (JsonNode.DeepEquals(pending.OriginalId, cancelled))
            {
                parameters["requestId"] = controlRequestId;
                return;
            }
    }

    private void Write(JsonObject rpc)
    {
        if (Read(rpc) is { } message) _incoming.Writer.TryWrite(message);
    }

    // Null for what is no JSON-RPC message: the server could not read it either.
    private static JsonRpcMessage? Read(JsonObject rpc)
    {
        try
        {
            return rpc.Deserialize(McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage))) as JsonRpcMessage;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Pending(JsonNode OriginalId)
    {
        public TaskCompletionSource<JsonObject> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
