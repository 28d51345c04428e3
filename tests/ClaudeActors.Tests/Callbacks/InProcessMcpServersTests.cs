using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeActors.Callbacks;
using ModelContextProtocol.Server;
using Xunit;

namespace ClaudeActors.Tests.Callbacks;

/// <summary>
/// The in-process MCP servers (the MCP SDK's server over the control-channel transport), answering the JSON-RPC the
/// CLI sends inside <c>mcp_message</c>. No process, no actor system: every handler here is a delegate.
/// </summary>
public sealed class InProcessMcpServersTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly JsonElement AddSchema =
        JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}}}""").RootElement;

    private readonly List<ToolCall> _calls = [];
    private readonly TaskCompletionSource _slowStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _slowCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly InProcessMcpServers _servers;
    private int _nextRequest;

    public InProcessMcpServersTests()
    {
        var adder = CallbackHandler.Delegate<ToolCall, ToolCallResult>((call, _) =>
        {
            lock (_calls) _calls.Add(call);
            return Task.FromResult(new ToolCallResult((call.Arguments.GetProperty("a").GetInt32() + call.Arguments.GetProperty("b").GetInt32()).ToString()));
        });
        var failing = CallbackHandler.Delegate<ToolCall, ToolCallResult>((_, _) => throw new InvalidOperationException("secret detail"));
        var wrong = CallbackHandler.Delegate<ToolCall, string>((_, _) => Task.FromResult("not a ToolCallResult"));
        var slow = CallbackHandler.Delegate<ToolCall, ToolCallResult>(async (_, ct) =>
        {
            using var registration = ct.Register(() => _slowCancelled.TrySetResult());
            _slowStarted.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return new ToolCallResult("never");
        });
        var empty = JsonDocument.Parse("""{"type":"object"}""").RootElement;
        var native = McpServerTool.Create(async (CancellationToken ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return "never";
        }, new McpServerToolCreateOptions { Name = "native_slow" });
        _servers = new InProcessMcpServers("session-1",
        [
            new SdkMcpServer("calc",
            [
                new SdkTool("add", "Adds two numbers", AddSchema, adder),
                new SdkTool("fail", "Fails", empty, failing),
                new SdkTool("wrong", "Answers wrongly", empty, wrong),
                new SdkTool("slow", "Never answers", empty, slow),
            ]) { McpServerTools = [native] },
            SdkMcpServer.From("weather", typeof(WeatherTools)),
        ], system: null, timeout: TimeSpan.FromSeconds(1));
    }

    public void Dispose() => Assert.True(_servers.Stop(Bound));

    private Task<JsonNode> SendAsync(string server, string message, string? requestId = null) =>
        _servers.RelayAsync(requestId ?? "req-" + Interlocked.Increment(ref _nextRequest), server, JsonDocument.Parse(message).RootElement);

    // The JSON-RPC answer inside the control response's payload.
    private async Task<JsonNode> RpcAsync(string server, string message) => (await SendAsync(server, message).WaitAsync(Bound))["mcp_response"]!;

    private async Task InitializeAsync(string server)
    {
        await RpcAsync(server, """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"claude-code","version":"2"}}}""");
        await RpcAsync(server, """{"jsonrpc":"2.0","method":"notifications/initialized"}""");
    }

    private async Task<JsonNode> CallAsync(string server, string tool, string arguments = "{}")
    {
        await InitializeAsync(server);
        var rpc = await RpcAsync(server, """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":""" + JsonSerializer.Serialize(tool)
            + ""","arguments":""" + arguments + ""","_meta":{"claudecode/toolUseId":"toolu_1"}}}""");
        Assert.Equal(7, rpc["id"]!.GetValue<int>());
        return rpc["result"] ?? throw new Xunit.Sdk.XunitException("No result: " + rpc.ToJsonString());
    }

    private static string Text(JsonNode result) => result["content"]![0]!["text"]!.GetValue<string>();

    [Fact]
    public async Task Initialize_answers_the_clients_protocol_version_with_the_tools_capability_and_names_the_server()
    {
        var rpc = await RpcAsync("calc", """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"claude-code","version":"2"}}}""");
        Assert.Equal(0, rpc["id"]!.GetValue<int>());
        var result = rpc["result"]!;
        Assert.Equal("2025-06-18", result["protocolVersion"]!.GetValue<string>());
        Assert.NotNull(result["capabilities"]!["tools"]);
        Assert.Equal("calc", result["serverInfo"]!["name"]!.GetValue<string>());
        Assert.Equal(InProcessMcpServers.ServerVersion, result["serverInfo"]!["version"]!.GetValue<string>());

        // The CLI initializes again when it reconnects the server; the same server answers, with the CLI's own id.
        var again = await RpcAsync("calc", """{"jsonrpc":"2.0","id":"a","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"claude-code","version":"2"}}}""");
        Assert.Equal("a", again["id"]!.GetValue<string>());
        Assert.Equal("calc", again["result"]!["serverInfo"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_initialized_notification_gets_an_empty_result_without_an_id()
    {
        var rpc = await RpcAsync("calc", """{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        Assert.Equal("""{"jsonrpc":"2.0","id":null,"result":{}}""", rpc.ToJsonString());
    }

    [Fact]
    public async Task Tools_list_describes_each_tool_with_its_schema()
    {
        await InitializeAsync("calc");
        var rpc = await RpcAsync("calc", """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");
        Assert.Equal(1, rpc["id"]!.GetValue<int>());
        var tools = rpc["result"]!["tools"]!.AsArray();
        Assert.Equal(["add", "fail", "wrong", "slow", "native_slow"], tools.Select(t => t!["name"]!.GetValue<string>()));
        var add = tools[0]!;
        Assert.Equal("Adds two numbers", add["description"]!.GetValue<string>());
        Assert.Equal("number", add["inputSchema"]!["properties"]!["a"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Tools_call_runs_the_handler_with_the_arguments_and_answers_with_its_text()
    {
        var result = await CallAsync("calc", "add", """{"a":2,"b":3}""");
        Assert.Equal("""{"content":[{"type":"text","text":"5"}],"isError":false}""", result.ToJsonString());
        var call = Assert.Single(_calls);
        Assert.Equal(("session-1", "calc", "add"), (call.SessionName, call.Server, call.Tool));
        Assert.Equal(3, call.Arguments.GetProperty("b").GetInt32());
    }

    [Fact]
    public async Task A_handler_that_fails_answers_wrongly_or_never_answers_is_a_failed_tool_call_not_a_JSON_RPC_error()
    {
        var failed = await CallAsync("calc", "fail");
        Assert.True(failed["isError"]!.GetValue<bool>());
        Assert.Equal("Error: the tool 'fail' failed.", Text(failed)); // the exception's message stays with the host

        var wrong = await CallAsync("calc", "wrong");
        Assert.True(wrong["isError"]!.GetValue<bool>());
        Assert.Equal(SdkToolAdapter.WrongAnswerText, Text(wrong));

        var timedOut = await CallAsync("calc", "slow");
        Assert.True(timedOut["isError"]!.GetValue<bool>());
        Assert.Equal(SdkToolAdapter.TimedOutText, Text(timedOut));
        await _slowCancelled.Task.WaitAsync(Bound); // and the handler's token was cancelled
    }

    [Fact]
    public async Task An_sdk_native_tool_is_bounded_by_the_callback_timeout_too()
    {
        var timedOut = await CallAsync("calc", "native_slow");
        Assert.True(timedOut["isError"]!.GetValue<bool>());
        Assert.Equal(SdkToolAdapter.TimedOutText, Text(timedOut));
    }

    [Fact]
    public async Task A_tool_declared_with_the_sdks_attributes_is_listed_with_its_description_and_called_with_bound_arguments()
    {
        await InitializeAsync("weather");
        var list = await RpcAsync("weather", """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");
        var tool = list["result"]!["tools"]!.AsArray().Single()!;
        Assert.Equal("forecast", tool["name"]!.GetValue<string>());
        Assert.Equal("Tells the forecast for a city", tool["description"]!.GetValue<string>());
        Assert.Equal("The city", tool["inputSchema"]!["properties"]!["city"]!["description"]!.GetValue<string>());
        Assert.Equal("integer", tool["inputSchema"]!["properties"]!["days"]!["type"]!.GetValue<string>());

        var result = await CallAsync("weather", "forecast", """{"city":"Oslo","days":3}""");
        Assert.Equal("Oslo: sunny for 3 days", Text(result));
        Assert.False(result["isError"]?.GetValue<bool>() ?? false);

        var thrown = await CallAsync("weather", "forecast", """{"city":"","days":1}""");
        Assert.True(thrown["isError"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("nope", """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""", -32601, "Unknown MCP server 'nope'.")]
    [InlineData("calc", """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"mul"}}""", -32602, "mul")]
    [InlineData("calc", """{"jsonrpc":"2.0","id":2,"method":"resources/list"}""", -32601, "resources/list")]
    public async Task Unknown_servers_tools_and_methods_are_answered_with_JSON_RPC_errors(string server, string message, int code, string mentioned)
    {
        if (server != "nope") await InitializeAsync(server);
        var rpc = await RpcAsync(server, message);
        Assert.Equal(2, rpc["id"]!.GetValue<int>());
        Assert.Equal(code, rpc["error"]!["code"]!.GetValue<int>());
        Assert.Contains(mentioned, rpc["error"]!["message"]!.GetValue<string>());
        Assert.Null(rpc["result"]);
    }

    [Fact]
    public async Task A_withdrawn_call_is_cancelled_and_the_end_of_a_generation_answers_what_still_waits()
    {
        await InitializeAsync("calc");
        var withdrawn = SendAsync("calc", """{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"slow","arguments":{}}}""", "withdrawn");
        await _slowStarted.Task.WaitAsync(Bound);
        Assert.True(_servers.Withdraw("withdrawn"));
        Assert.False(_servers.Withdraw("withdrawn"));
        await _slowCancelled.Task.WaitAsync(Bound); // the SDK cancelled the handler
        Assert.Equal(-32603, (await withdrawn.WaitAsync(Bound))["mcp_response"]!["error"]!["code"]!.GetValue<int>());

        var waiting = SendAsync("calc", """{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"native_slow","arguments":{}}}""");
        Assert.Equal(1, _servers.RunningCount);
        _servers.EndGeneration();
        Assert.Equal(0, _servers.RunningCount);
        var answer = (await waiting.WaitAsync(Bound))["mcp_response"]!;
        Assert.Equal(10, answer["id"]!.GetValue<int>());
        Assert.NotNull(answer["error"]);

        // The next CLI's first message starts a new server.
        var result = await CallAsync("calc", "add", """{"a":1,"b":1}""");
        Assert.Equal("2", Text(result));
        Assert.Equal(1, _servers.RunningCount);
    }
}

/// <summary>Tools declared with the MCP SDK's attributes, as a user would.</summary>
[McpServerToolType]
public static class WeatherTools
{
    [McpServerTool(Name = "forecast"), Description("Tells the forecast for a city")]
    public static string Forecast([Description("The city")] string city, int days) =>
        city.Length > 0 ? $"{city}: sunny for {days} days" : throw new ArgumentException("Which city?");
}
