using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeActors.Callbacks;
using ClaudeActors.Protocol;
using Xunit;

namespace ClaudeActors.Tests.Callbacks;

/// <summary>Which handler answers each request of the CLI, and how its decision is written back. No process, no actor system.</summary>
public sealed class CallbackRouterTests
{
    private static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private static readonly CallbackHandler Anyone = CallbackHandler.Delegate<object, object>((_, _) => Task.FromResult<object>("unused"));

    private static ControlRequestMessage Request(string json) => (ControlRequestMessage)MessageParser.Parse(json).Message!;

    private static ControlRequestMessage CapturedPermissionRequest() => File.ReadLines(Path.Combine(FixtureDir, "can-use-tool-request.jsonl"))
        .Select(l => MessageParser.Parse(l).Message).OfType<ControlRequestMessage>().Single();

    [Fact]
    public void The_initialize_request_registers_hooks_by_event_and_the_in_process_servers_by_name()
    {
        var router = new CallbackRouter("s", new SessionCallbacks
        {
            Hooks = [new HookRegistration(HookEvent.PreToolUse, Anyone, "Bash"), new HookRegistration(HookEvent.Stop, Anyone),
                new HookRegistration(HookEvent.PreToolUse, Anyone, "Write|Edit")],
            McpServers = [new SdkMcpServer("calc", [])],
        });
        Assert.Equal(
            """{"subtype":"initialize","hooks":{"PreToolUse":[{"hookCallbackIds":["hook_0"],"matcher":"Bash"},{"hookCallbackIds":["hook_2"],"matcher":"Write|Edit"}],"Stop":[{"hookCallbackIds":["hook_1"]}]},"sdkMcpServers":["calc"]}""",
            router.InitializeRequest().ToJsonString());
        Assert.Equal("""{"subtype":"initialize"}""", new CallbackRouter("s", new SessionCallbacks()).InitializeRequest().ToJsonString());
    }

    [Fact]
    public void A_captured_permission_request_goes_to_the_permission_handler_with_its_fields()
    {
        var router = new CallbackRouter("s", new SessionCallbacks { Permissions = Anyone });
        var run = Assert.IsType<RunHandler>(router.Route(CapturedPermissionRequest()));
        Assert.Same(Anyone, run.Handler);
        var request = Assert.IsType<ToolPermissionRequest>(run.Request);
        Assert.Equal(("s", "Bash"), (request.SessionName, request.ToolName));
        Assert.Equal("touch allowed.txt", request.Input.GetProperty("command").GetString());
        Assert.Equal(JsonValueKind.Array, request.Suggestions!.Value.ValueKind);
    }

    [Fact]
    public void A_permission_decision_is_written_as_allow_with_the_input_or_deny_with_its_message()
    {
        var run = (RunHandler)new CallbackRouter("s", new SessionCallbacks { Permissions = Anyone }).Route(CapturedPermissionRequest());
        Assert.Equal("""{"behavior":"allow","updatedInput":{"command":"touch allowed.txt","description":"create a file"}}""",
            run.ToResponse(PermissionDecision.Allow(), null).ToJsonString());
        var edited = JsonDocument.Parse("""{"command":"true"}""").RootElement;
        Assert.Equal("""{"behavior":"allow","updatedInput":{"command":"true"}}""", run.ToResponse(PermissionDecision.Allow(edited), null).ToJsonString());
        Assert.Equal("""{"behavior":"deny","message":"No.","interrupt":true}""", run.ToResponse(PermissionDecision.Deny("No.", interrupt: true), null).ToJsonString());
        // A handler that fails, times out or answers wrongly denies: permissions decide, so the safe default is no.
        Assert.Equal("""{"behavior":"deny","message":"The permission handler did not answer in time."}""", run.ToResponse(null, new TimeoutException()).ToJsonString());
        Assert.Equal("deny", run.ToResponse("yes", null)["behavior"]!.GetValue<string>());
    }

    [Fact]
    public void A_hook_callback_goes_to_its_registration_and_a_failing_hook_lets_the_turn_continue()
    {
        var blocker = CallbackHandler.Delegate<HookRequest, HookDecision>((_, _) => Task.FromResult(HookDecision.Block("no")));
        var router = new CallbackRouter("s", new SessionCallbacks { Hooks = [new HookRegistration(HookEvent.Stop, Anyone), new HookRegistration(HookEvent.PreToolUse, blocker)] });
        var run = Assert.IsType<RunHandler>(router.Route(Request(
            """{"type":"control_request","request_id":"r1","request":{"subtype":"hook_callback","callback_id":"hook_1","input":{"hook_event_name":"PreToolUse","tool_name":"Bash"},"tool_use_id":"toolu_1"}}""")));
        Assert.Same(blocker, run.Handler);
        var hook = Assert.IsType<HookRequest>(run.Request);
        Assert.Equal(("PreToolUse", "Bash", "toolu_1"), (hook.Event, hook.ToolName, hook.ToolUseId));
        Assert.Equal(HookDecision.Block("no").Output.ToJsonString(), run.ToResponse(HookDecision.Block("no"), null).ToJsonString());
        Assert.Equal("""{"continue":true}""", run.ToResponse(null, new TimeoutException()).ToJsonString());
    }

    [Theory]
    [InlineData("""{"type":"control_request","request_id":"r1","request":{"subtype":"can_use_tool","tool_name":"Bash","input":{}}}""", "can_use_tool")]
    [InlineData("""{"type":"control_request","request_id":"r2","request":{"subtype":"hook_callback","callback_id":"hook_9","input":{}}}""", "hook_callback")]
    [InlineData("""{"type":"control_request","request_id":"r3","request":{"subtype":"elicitation"}}""", "elicitation")]
    public void A_request_without_a_handler_is_refused_at_once(string line, string subtype)
    {
        var refused = Assert.IsType<RefuseRequest>(new CallbackRouter("s", new SessionCallbacks()).Route(Request(line)));
        Assert.Equal($"This host has no handler for '{subtype}'.", refused.Error);
    }

    [Fact]
    public void Mcp_messages_go_to_the_in_process_servers_even_without_any()
    {
        // The servers answer (an unknown one with a JSON-RPC error: InProcessMcpServersTests); the router only relays.
        var relay = Assert.IsType<RelayToMcpServer>(new CallbackRouter("s", new SessionCallbacks()).Route(Request(
            """{"type":"control_request","request_id":"r1","request":{"subtype":"mcp_message","server_name":"calc","message":{"jsonrpc":"2.0","id":1,"method":"tools/list"}}}""")));
        Assert.Equal("calc", relay.ServerName);
        Assert.Equal("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", relay.Message.GetRawText());
    }
}

/// <summary>The CLI's requests whose handlers still run: withdrawal, cancellation, and answers for a CLI that is gone.</summary>
public sealed class PendingCallbacksTests
{
    private static JsonNode Echo(object? result, Exception? error) => JsonValue.Create(result?.ToString() ?? error?.GetType().Name)!;

    [Fact]
    public void A_finished_handler_finds_its_request_once_with_the_generation_of_the_CLI_that_asked()
    {
        var pending = new PendingCallbacks();
        var token = pending.Add("r1", Echo, generation: 3);
        var answer = pending.Complete("r1")!;
        Assert.Equal(3, answer.Generation);
        Assert.Equal("\"ok\"", answer.ToResponse("ok", null).ToJsonString());
        Assert.False(token.IsCancellationRequested);
        Assert.Null(pending.Complete("r1"));
        Assert.Equal(0, pending.Count);
    }

    [Fact]
    public void A_withdrawn_request_cancels_its_handler_and_its_late_answer_finds_nothing()
    {
        var pending = new PendingCallbacks();
        var token = pending.Add("r1", Echo, generation: 1);
        Assert.True(pending.Withdraw("r1"));
        Assert.True(token.IsCancellationRequested);
        Assert.Null(pending.Complete("r1"));
        Assert.False(pending.Withdraw("r1"));
    }

    [Fact]
    public void Stopping_cancels_every_running_handler()
    {
        var pending = new PendingCallbacks();
        var tokens = new[] { pending.Add("a", Echo, 1), pending.Add("b", Echo, 2) };
        pending.CancelAll();
        Assert.All(tokens, t => Assert.True(t.IsCancellationRequested));
        Assert.Equal(0, pending.Count);
    }
}
