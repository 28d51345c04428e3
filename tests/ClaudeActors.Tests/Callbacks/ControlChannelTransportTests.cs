using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeActors.Callbacks;
using ModelContextProtocol.Protocol;
using Xunit;

namespace ClaudeActors.Tests.Callbacks;

/// <summary>The control-channel transport on its own: what goes in, what comes out, by control request id. No server, no process.</summary>
public sealed class ControlChannelTransportTests : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly ControlChannelTransport _transport = new();

    public ValueTask DisposeAsync() => _transport.DisposeAsync();

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement;

    private async Task<JsonRpcMessage> ReadAsync() => await _transport.MessageReader.ReadAsync().AsTask().WaitAsync(Bound);

    [Fact]
    public async Task A_request_reaches_the_server_under_its_control_request_id_and_the_answer_comes_back_under_the_clis_id()
    {
        var answer = _transport.RelayAsync("ctl-1", Json("""{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{}}"""));

        var request = Assert.IsType<JsonRpcRequest>(await ReadAsync());
        Assert.Equal("tools/list", request.Method);
        Assert.Equal("ctl-1", request.Id.ToString());
        Assert.False(answer.IsCompleted);
        Assert.Equal(1, _transport.PendingCount);

        await _transport.SendMessageAsync(new JsonRpcResponse { Id = request.Id, Result = new JsonObject { ["tools"] = new JsonArray() } });
        var rpc = await answer.WaitAsync(Bound);
        Assert.Equal(4, rpc["id"]!.GetValue<int>());
        Assert.Equal("""{"tools":[]}""", rpc["result"]!.ToJsonString());
        Assert.Equal(0, _transport.PendingCount);
    }

    [Fact]
    public async Task Requests_with_the_same_json_rpc_id_are_told_apart_by_their_control_request_ids()
    {
        // The CLI starts its JSON-RPC ids again when it reconnects a server; the control request ids stay unique.
        var first = _transport.RelayAsync("ctl-1", Json("""{"jsonrpc":"2.0","id":1,"method":"ping"}"""));
        var second = _transport.RelayAsync("ctl-2", Json("""{"jsonrpc":"2.0","id":1,"method":"ping"}"""));
        var a = Assert.IsType<JsonRpcRequest>(await ReadAsync());
        var b = Assert.IsType<JsonRpcRequest>(await ReadAsync());

        await _transport.SendMessageAsync(new JsonRpcError { Id = b.Id, Error = new JsonRpcErrorDetail { Code = -32000, Message = "second" } });
        Assert.Equal("second", (await second.WaitAsync(Bound))["error"]!["message"]!.GetValue<string>());
        Assert.False(first.IsCompleted);
        await _transport.SendMessageAsync(new JsonRpcResponse { Id = a.Id, Result = new JsonObject() });
        Assert.Equal(1, (await first.WaitAsync(Bound))["id"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_notification_is_passed_on_and_answered_at_once_with_an_empty_result()
    {
        var answer = await _transport.RelayAsync("ctl-1", Json("""{"jsonrpc":"2.0","method":"notifications/initialized"}"""));
        Assert.Equal("""{"jsonrpc":"2.0","id":null,"result":{}}""", answer.ToJsonString());
        Assert.Equal("notifications/initialized", Assert.IsType<JsonRpcNotification>(await ReadAsync()).Method);
        Assert.Equal(0, _transport.PendingCount);
    }

    [Fact]
    public async Task The_clis_cancellation_names_the_request_by_its_control_request_id()
    {
        _ = _transport.RelayAsync("ctl-7", Json("""{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"slow"}}"""));
        await _transport.RelayAsync("ctl-8", Json("""{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"interrupted"}}"""));

        await ReadAsync();
        var cancelled = Assert.IsType<JsonRpcNotification>(await ReadAsync());
        Assert.Equal("ctl-7", cancelled.Params!["requestId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_withdrawn_request_is_cancelled_at_the_server_and_answered_with_an_error_its_late_answer_dropped()
    {
        var answer = _transport.RelayAsync("ctl-1", Json("""{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"slow"}}"""));
        var request = Assert.IsType<JsonRpcRequest>(await ReadAsync());

        Assert.True(_transport.Withdraw("ctl-1"));
        Assert.False(_transport.Withdraw("ctl-1"));
        var cancelled = Assert.IsType<JsonRpcNotification>(await ReadAsync());
        Assert.Equal(NotificationMethods.CancelledNotification, cancelled.Method);
        Assert.Equal("ctl-1", cancelled.Params!["requestId"]!.GetValue<string>());
        var rpc = await answer.WaitAsync(Bound);
        Assert.Equal(5, rpc["id"]!.GetValue<int>());
        Assert.Equal(ControlChannelTransport.InternalError, rpc["error"]!["code"]!.GetValue<int>());

        await _transport.SendMessageAsync(new JsonRpcResponse { Id = request.Id, Result = new JsonObject() }); // too late: nobody waits
        Assert.Equal(0, _transport.PendingCount);
    }

    [Fact]
    public async Task A_request_from_the_server_is_refused_at_once_and_its_notifications_are_dropped()
    {
        await _transport.SendMessageAsync(new JsonRpcRequest { Id = new RequestId(42), Method = "sampling/createMessage" });
        var refusal = Assert.IsType<JsonRpcError>(await ReadAsync());
        Assert.Equal(42L, refusal.Id.Id);
        Assert.Equal(ControlChannelTransport.MethodNotFound, refusal.Error.Code);

        await _transport.SendMessageAsync(new JsonRpcNotification { Method = "notifications/progress" });
        Assert.False(_transport.MessageReader.TryRead(out _));
    }

    [Theory]
    [InlineData("""[1,2]""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":42}""")]
    public async Task What_is_no_json_rpc_request_is_answered_with_an_invalid_request_error(string message)
    {
        var rpc = await _transport.RelayAsync("ctl-1", Json(message));
        Assert.Equal(ControlChannelTransport.InvalidRequest, rpc["error"]!["code"]!.GetValue<int>());
        Assert.Equal(0, _transport.PendingCount);
    }

    [Fact]
    public async Task Disposing_completes_the_reader_and_answers_what_still_waits_and_what_comes_after()
    {
        var waiting = _transport.RelayAsync("ctl-1", Json("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}"""));
        await _transport.DisposeAsync();

        Assert.Equal(1, (await waiting.WaitAsync(Bound))["id"]!.GetValue<int>());
        Assert.NotNull((await waiting)["error"]);
        Assert.IsType<JsonRpcRequest>(await ReadAsync()); // what the server had not read yet, then the end
        await _transport.MessageReader.Completion.WaitAsync(Bound);
        var after = await _transport.RelayAsync("ctl-2", Json("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}"""));
        Assert.Equal(ControlChannelTransport.InternalError, after["error"]!["code"]!.GetValue<int>());
    }
}
