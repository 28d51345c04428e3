using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeActors.Callbacks;
using Xunit;

namespace ClaudeActors.Tests.Callbacks;

/// <summary>The in-process MCP server's JSON-RPC, as the CLI speaks it inside <c>mcp_message</c>. No process, no actor system.</summary>
public sealed class InProcessMcpServerTests
{
    private static readonly CallbackHandler Adder = CallbackHandler.Delegate<ToolCall, ToolCallResult>((call, _) =>
        Task.FromResult(new ToolCallResult((call.Arguments.GetProperty("a").GetInt32() + call.Arguments.GetProperty("b").GetInt32()).ToString())));

    private static readonly IReadOnlyList<SdkMcpServer> Servers =
    [
        new SdkMcpServer("calc", [new SdkTool("add", "Adds two numbers", JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}}}""").RootElement, Adder)]),
    ];

    private static CallbackStep Handle(string body) => InProcessMcpServer.Handle(Servers, "session-1", JsonDocument.Parse(body).RootElement);

    // The JSON-RPC message inside the control response's payload.
    private static JsonNode Rpc(CallbackStep step) => Assert.IsType<AnswerNow>(step).Response["mcp_response"]!;

    [Fact]
    public void Initialize_echoes_the_protocol_version_and_names_the_server()
    {
        var rpc = Rpc(Handle("""{"subtype":"mcp_message","server_name":"calc","message":{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{}}}}"""));
        Assert.Equal("""{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"calc","version":"1.0.0"}}}""", rpc.ToJsonString());

        var noVersion = Rpc(Handle("""{"server_name":"calc","message":{"jsonrpc":"2.0","id":"a","method":"initialize"}}"""));
        Assert.Equal(InProcessMcpServer.DefaultProtocolVersion, noVersion["result"]!["protocolVersion"]!.GetValue<string>());
        Assert.Equal("a", noVersion["id"]!.GetValue<string>());
    }

    [Fact]
    public void The_initialized_notification_gets_an_empty_result_without_an_id()
    {
        var rpc = Rpc(Handle("""{"server_name":"calc","message":{"jsonrpc":"2.0","method":"notifications/initialized"}}"""));
        Assert.Equal("""{"jsonrpc":"2.0","id":null,"result":{}}""", rpc.ToJsonString());
    }

    [Fact]
    public void Tools_list_describes_each_tool_with_its_schema()
    {
        var rpc = Rpc(Handle("""{"server_name":"calc","message":{"jsonrpc":"2.0","id":1,"method":"tools/list"}}"""));
        var tool = rpc["result"]!["tools"]!.AsArray().Single()!;
        Assert.Equal("add", tool["name"]!.GetValue<string>());
        Assert.Equal("Adds two numbers", tool["description"]!.GetValue<string>());
        Assert.Equal("number", tool["inputSchema"]!["properties"]!["a"]!["type"]!.GetValue<string>());
        Assert.Equal(1, rpc["id"]!.GetValue<int>());
    }

    [Fact]
    public async Task Tools_call_runs_the_handler_with_the_arguments_and_answers_with_its_text()
    {
        var step = Assert.IsType<RunHandler>(Handle("""{"server_name":"calc","message":{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3},"_meta":{"claudecode/toolUseId":"toolu_1"}}}}"""));
        var call = Assert.IsType<ToolCall>(step.Request);
        Assert.Equal(("session-1", "calc", "add"), (call.SessionName, call.Server, call.Tool));
        var result = await ((CallbackHandler.DelegateHandler)step.Handler).Invoke(call, CancellationToken.None);

        var rpc = step.ToResponse(result, null)["mcp_response"]!;
        Assert.Equal("""{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"5"}],"isError":false}}""", rpc.ToJsonString());
    }

    [Fact]
    public void A_tool_that_fails_or_answers_wrongly_is_a_failed_tool_call_not_a_JSON_RPC_error()
    {
        var step = Assert.IsType<RunHandler>(Handle("""{"server_name":"calc","message":{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"add","arguments":{}}}}"""));
        var timedOut = step.ToResponse(null, new TimeoutException())["mcp_response"]!["result"]!;
        Assert.Equal("""{"content":[{"type":"text","text":"The tool did not answer in time."}],"isError":true}""", timedOut.ToJsonString());
        var wrong = step.ToResponse("not a ToolCallResult", null)["mcp_response"]!["result"]!;
        Assert.Equal("The tool handler answered with something other than a ToolCallResult.", wrong["content"]![0]!["text"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"server_name":"nope","message":{"jsonrpc":"2.0","id":2,"method":"tools/list"}}""", -32601, "Unknown MCP server 'nope'.")]
    [InlineData("""{"server_name":"calc","message":{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"mul"}}}""", -32602, "Unknown tool 'mul'.")]
    [InlineData("""{"server_name":"calc","message":{"jsonrpc":"2.0","id":2,"method":"resources/list"}}""", -32601, "Method 'resources/list' is not supported.")]
    public void Unknown_servers_tools_and_methods_are_answered_with_JSON_RPC_errors(string body, int code, string message)
    {
        var rpc = Rpc(Handle(body));
        Assert.Equal(2, rpc["id"]!.GetValue<int>());
        Assert.Equal(code, rpc["error"]!["code"]!.GetValue<int>());
        Assert.Equal(message, rpc["error"]!["message"]!.GetValue<string>());
        Assert.Null(rpc["result"]);
    }
}
