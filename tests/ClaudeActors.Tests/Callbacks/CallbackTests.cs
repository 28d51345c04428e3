using System.ComponentModel;
using System.Text.Json;
using ClaudeActors.Client;
using ClaudeActors.Protocol;
using ClaudeActors.Testing;
using ClaudeActors.Tests.Infrastructure;
using ModelContextProtocol.Server;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Callbacks;

/// <summary>The CLI calls back — permissions, hooks, in-process tools — answered by actors and delegates. Real CLI, fake API.</summary>
public sealed class CallbackTests(ITestOutputHelper output) : SessionTestKit(output)
{
    private IEnumerable<string> ToolResultTexts() =>
        Api.ConversationRequests.SelectMany(r => r.Messages).SelectMany(m => m.ToolResults).Select(b => b.ToolResultText ?? "");

    [Fact]
    public async Task A_permission_handler_actor_denies_a_write_and_the_model_sees_the_denial()
    {
        var handler = CreateTestProbe();
        await using var session = await StartRealAsync(o => o with { Callbacks = new() { Permissions = CallbackHandler.Actor(handler.Ref) } });
        var target = Path.Combine(Sandbox.WorkDir, "denied.txt");
        Api.EnqueueReply(FakeReply.ToolUse("Write", new { file_path = target, content = "secret" }));

        var turn = session.QueryAsync("Please write the file");
        var request = handler.ExpectMsg<ToolPermissionRequest>(TimeSpan.FromSeconds(60));
        Assert.Equal("Write", request.ToolName);
        Assert.Equal(target, request.Input.GetProperty("file_path").GetString());
        handler.Reply(PermissionDecision.Deny("Writing is not allowed here"));

        await turn;
        Assert.False(File.Exists(target));
        Assert.Contains(ToolResultTexts(), t => t.Contains("Writing is not allowed here"));
    }

    [Fact]
    public async Task A_permission_handler_delegate_allows_a_write_and_the_file_is_written()
    {
        var asked = new List<string>();
        var handler = CallbackHandler.Delegate<ToolPermissionRequest, PermissionDecision>((request, _) =>
        {
            lock (asked) asked.Add(request.ToolName);
            return Task.FromResult(PermissionDecision.Allow());
        });
        await using var session = await StartRealAsync(o => o with { Callbacks = new() { Permissions = handler } });
        var target = Path.Combine(Sandbox.WorkDir, "allowed.txt");
        Api.EnqueueReply(FakeReply.ToolUse("Write", new { file_path = target, content = "hello from the model" }));

        await session.QueryAsync("Please write the file");
        Assert.Equal("hello from the model", File.ReadAllText(target));
        Assert.Contains("Write", asked);
    }

    [Fact]
    public async Task A_pre_tool_use_hook_sees_the_call_and_blocks_it()
    {
        var seen = new List<HookRequest>();
        var hook = new HookRegistration(HookEvent.PreToolUse, CallbackHandler.Delegate<HookRequest, HookDecision>((request, _) =>
        {
            lock (seen) seen.Add(request);
            return Task.FromResult(HookDecision.Block("hooks say no"));
        }), Matcher: "Bash");
        await using var session = await StartRealAsync(o => o with { Callbacks = new() { Hooks = [hook] } });
        var marker = Path.Combine(Sandbox.WorkDir, "hooked.txt");
        Api.EnqueueReply(FakeReply.ToolUse("Bash", new { command = $"echo hooked > {marker}", description = "write a marker" }));

        await session.QueryAsync("Run the command");
        var request = Assert.Single(seen);
        Assert.Equal("PreToolUse", request.Event);
        Assert.Equal("Bash", request.ToolName);
        Assert.False(File.Exists(marker));
        Assert.Contains(ToolResultTexts(), t => t.Contains("hooks say no"));
    }

    [Fact]
    public async Task An_in_process_tool_served_by_an_actor_is_listed_called_and_its_result_reaches_the_model()
    {
        var calculator = CreateTestProbe();
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}""").RootElement;
        var server = new SdkMcpServer("calc", [new SdkTool("add", "Adds two numbers", schema, CallbackHandler.Actor(calculator.Ref))]);
        await using var session = await StartRealAsync(o => o with
        {
            AllowedTools = ["mcp__calc__add"],
            Callbacks = new() { McpServers = [server] },
        });
        Api.EnqueueReply(FakeReply.ToolUse("mcp__calc__add", new { a = 2, b = 3 }));

        var messages = new List<ClaudeMessage>();
        var stream = Task.Run(async () =>
        {
            await foreach (var m in session.StreamAsync("What is 2 + 3?")) messages.Add(m);
        });
        var call = calculator.ExpectMsg<ToolCall>(TimeSpan.FromSeconds(60));
        Assert.Equal("add", call.Tool);
        Assert.Equal(2, call.Arguments.GetProperty("a").GetInt32());
        calculator.Reply(new ToolCallResult("5"));
        await stream;

        var init = messages.OfType<SystemMessage>().First(m => m.IsInit);
        Assert.Contains("mcp__calc__add", init.Tools!);
        Assert.Contains(ToolResultTexts(), t => t.Contains('5'));
        Assert.Contains("Tool result received: 5", Assert.IsType<ResultMessage>(messages[^1]).Result);
    }

    [Fact]
    public async Task An_in_process_tool_runs_in_the_default_permission_mode_without_being_listed_in_allowed_tools()
    {
        var calls = 0;
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}""").RootElement;
        var add = CallbackHandler.Delegate<ToolCall, ToolCallResult>((call, _) =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult(new ToolCallResult((call.Arguments.GetProperty("a").GetInt32() + call.Arguments.GetProperty("b").GetInt32()).ToString()));
        });
        // No AllowedTools, no permission handler, the CLI's default mode: the host's own tool is trusted.
        await using var session = await StartRealAsync(o => o with
        {
            PermissionMode = null,
            AllowedTools = [],
            Callbacks = new() { McpServers = [new SdkMcpServer("calc", [new SdkTool("add", "Adds two numbers", schema, add)])] },
        });
        Api.EnqueueReply(FakeReply.ToolUse("mcp__calc__add", new { a = 20, b = 22 }));
        var result = await session.QueryAsync("What is 20 + 22?");
        Assert.Equal(1, calls);
        Assert.Contains(ToolResultTexts(), t => t.Contains("42"));
        Assert.Contains("Tool result received: 42", result.Result);

        // Opted out: the same call is decided like any other tool's, and the default mode refuses it (nobody to ask).
        await using var guarded = await StartRealAsync(o => o with
        {
            PermissionMode = null,
            AllowedTools = [],
            Callbacks = new() { McpServers = [new SdkMcpServer("calc", [new SdkTool("add", "Adds two numbers", schema, add)]) { RequirePermission = true }] },
        });
        Api.EnqueueReply(FakeReply.ToolUse("mcp__calc__add", new { a = 1, b = 1 }));
        await guarded.QueryAsync("What is 1 + 1?");
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task A_tool_declared_with_the_mcp_sdks_attributes_is_called_by_the_model_with_bound_arguments_and_its_result_reaches_it()
    {
        await using var session = await StartRealAsync(o => o with
        {
            AllowedTools = ["mcp__temps__to_fahrenheit"],
            Callbacks = new() { McpServers = [SdkMcpServer.From("temps", typeof(TemperatureTools))] },
        });
        Api.EnqueueReply(FakeReply.ToolUse("mcp__temps__to_fahrenheit", new { celsius = 100, place = "Oslo" }));

        var messages = await session.StreamAsync("How warm is boiling water in Fahrenheit?").CollectAsync();
        Assert.Contains("mcp__temps__to_fahrenheit", messages.Messages.OfType<SystemMessage>().First(m => m.IsInit).Tools!);
        // The CLI defers MCP tools (ToolSearch): the API request names the tool but carries no schema, so its description
        // and schema are checked on tools/list (InProcessMcpServersTests); here the binding and the result are.
        Assert.Contains(ToolResultTexts(), t => t.Contains("Oslo: 212 F"));
        Assert.Equal("Tool result received: Oslo: 212 F", messages.Text);
    }

    [Fact]
    public async Task In_process_servers_are_connected_without_a_turn_though_the_cli_connects_them_after_ready()
    {
        // The CLI answers initialize before it has connected its SDK servers (it does so on its own a moment later):
        // mcp_status right after Ready may list none; within seconds, with no turn, it lists the server connected.
        var schema = JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement;
        var tool = CallbackHandler.Delegate<ToolCall, ToolCallResult>((_, _) => Task.FromResult(new ToolCallResult("ok")));
        await using var session = await StartRealAsync(o => o with { Callbacks = new() { McpServers = [new SdkMcpServer("early", [new SdkTool("ping", "Pings", schema, tool)])] } });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        string? status = null;
        while (DateTime.UtcNow < deadline)
        {
            var servers = (await session.GetMcpStatusAsync())!.Value.GetProperty("mcpServers");
            if (servers.EnumerateArray().FirstOrDefault(s => s.GetProperty("name").GetString() == "early") is { ValueKind: JsonValueKind.Object } early)
            {
                status = early.GetProperty("status").GetString();
                if (status == "connected") break;
            }
            await Task.Delay(200);
        }
        Assert.Equal("connected", status);
        Assert.Empty(Api.ConversationRequests); // no turn was needed
    }

    [Fact]
    public async Task A_handler_that_never_answers_is_denied_after_the_timeout_and_the_turn_completes()
    {
        var silent = CreateTestProbe();
        await using var session = await StartRealAsync(o => o with
        {
            Callbacks = new() { Permissions = CallbackHandler.Actor(silent.Ref), Timeout = TimeSpan.FromSeconds(2) },
        });
        var target = Path.Combine(Sandbox.WorkDir, "never.txt");
        Api.EnqueueReply(FakeReply.ToolUse("Write", new { file_path = target, content = "x" }));

        var result = await session.QueryAsync("Please write the file");
        Assert.False(result.IsError);
        silent.ExpectMsg<ToolPermissionRequest>();
        Assert.False(File.Exists(target));
        Assert.Contains(ToolResultTexts(), t => t.Contains("did not answer in time"));
    }
}

/// <summary>A tool declared with the MCP C# SDK's attributes: the SDK binds the model's arguments to its parameters.</summary>
[McpServerToolType]
public static class TemperatureTools
{
    public const string Description = "Converts a temperature in degrees Celsius to Fahrenheit";

    [McpServerTool(Name = "to_fahrenheit"), Description(Description)]
    public static string ToFahrenheit([Description("Degrees Celsius")] double celsius, [Description("Where it was measured")] string place) =>
        $"{place}: {celsius * 9 / 5 + 32} F";
}
