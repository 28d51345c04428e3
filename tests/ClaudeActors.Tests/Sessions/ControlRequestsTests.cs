using System.Text.Json;
using ClaudeActors.Sessions;
using Xunit;

namespace ClaudeActors.Tests.Sessions;

/// <summary>The host's control requests, checked and written as the CLI expects them. Plain objects, no actor system.</summary>
public sealed class ControlRequestsTests
{
    private static readonly SessionOptions Options = new();

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static ControlToSend Sent(object message, SessionOptions? options = null, JsonElement? serverInfo = null) =>
        Assert.IsType<ControlToSend>(ControlRequests.For(message, options ?? Options, serverInfo));

    private static string Refused(object message, SessionOptions? options = null, JsonElement? serverInfo = null) =>
        Assert.IsType<ControlRefused>(ControlRequests.For(message, options ?? Options, serverInfo)).Reason;

    [Fact]
    public void Every_listed_message_makes_a_request_and_nothing_else_does()
    {
        var samples = new object[]
        {
            new SetModel("opus"), new SetPermissionMode(PermissionMode.Plan), GetMcpStatus.Instance, new RewindFiles("u1"),
            new ReconnectMcpServer("calc"), new ToggleMcpServer("calc", false), new SetMcpServers(new Dictionary<string, JsonElement>()),
            new StopTask("t1"), new GetContextUsage(), new SetMaxThinkingTokens(100), new SendControlRequest("get_settings"),
        };
        Assert.Equal(ControlRequests.Messages.OrderBy(t => t.Name), samples.Select(s => s.GetType()).OrderBy(t => t.Name));
        foreach (var sample in samples)
            Assert.NotNull(ControlRequests.For(sample, Options with { EnableFileCheckpointing = true }, null));
        Assert.Null(ControlRequests.For(new Query("hi"), Options, null));
        Assert.Null(ControlRequests.For(GetServerInfo.Instance, Options, null));
    }

    [Fact]
    public void The_written_request_carries_its_subtype_last_and_leaves_the_fields_as_they_were()
    {
        var sent = Sent(new ToggleMcpServer("calc", true));
        Assert.Equal("""{"serverName":"calc","enabled":true,"subtype":"mcp_toggle"}""", sent.Request().ToJsonString());
        Assert.Equal("""{"serverName":"calc","enabled":true}""", sent.Fields.ToJsonString());
        Assert.Equal("""{"subtype":"interrupt"}""", ControlRequests.Interrupt().Request().ToJsonString());
    }

    [Fact]
    public void Set_model_is_checked_against_the_models_the_CLI_listed_by_alias_or_resolved_id()
    {
        var info = Json("""{"models":[{"value":"sonnet","resolvedModel":"claude-sonnet-5-5"},{"value":"opus"}]}""");
        Assert.Equal("""{"model":"OPUS"}""", Sent(new SetModel("OPUS"), serverInfo: info).Fields.ToJsonString());
        Assert.Equal("set_model", Sent(new SetModel("claude-sonnet-5-5"), serverInfo: info).Subtype);
        Assert.Equal(ControlKind.SetModel("sonnet"), Sent(new SetModel("sonnet"), serverInfo: info).Kind);
        Assert.Equal("Unknown model 'gpt'. The CLI knows: sonnet, claude-sonnet-5-5, opus.", Refused(new SetModel("gpt"), serverInfo: info));
        Assert.Equal("The model must not be empty.", Refused(new SetModel(" ")));
        // Before the handshake (or when the CLI lists none) any model is passed on.
        Assert.Equal("set_model", Sent(new SetModel("gpt")).Subtype);
        Assert.Equal("set_model", Sent(new SetModel("gpt"), serverInfo: Json("""{"models":[]}""")).Subtype);
    }

    [Fact]
    public void Permission_modes_go_by_their_wire_names_and_are_remembered_by_kind()
    {
        var sent = Sent(new SetPermissionMode(PermissionMode.AcceptEdits));
        Assert.Equal("set_permission_mode", sent.Subtype);
        Assert.Equal("""{"mode":"acceptEdits"}""", sent.Fields.ToJsonString());
        Assert.Equal(ControlKind.SetPermissionMode(PermissionMode.AcceptEdits), sent.Kind);
    }

    [Fact]
    public void Rewind_needs_file_checkpointing_and_a_user_message_id()
    {
        Assert.Equal("rewind_files needs SessionOptions.EnableFileCheckpointing.", Refused(new RewindFiles("u1")));
        var checkpointing = Options with { EnableFileCheckpointing = true };
        Assert.Equal("A user message id is required.", Refused(new RewindFiles(""), checkpointing));
        Assert.Equal("""{"user_message_id":"u1","dry_run":true}""", Sent(new RewindFiles("u1", DryRun: true), checkpointing).Fields.ToJsonString());
    }

    [Fact]
    public void Named_requests_need_a_name()
    {
        Assert.Equal("mcp_reconnect needs a name.", Refused(new ReconnectMcpServer("")));
        Assert.Equal("mcp_toggle needs a name.", Refused(new ToggleMcpServer(" ", true)));
        Assert.Equal("stop_task needs a name.", Refused(new StopTask("")));
        Assert.Equal("""{"serverName":"calc","enabled":false}""", Sent(new ToggleMcpServer("calc", false)).Fields.ToJsonString());
        Assert.Equal("""{"task_id":"t1"}""", Sent(new StopTask("t1")).Fields.ToJsonString());
    }

    [Fact]
    public void Setting_MCP_servers_keeps_the_sessions_in_process_servers_and_refuses_a_bad_config()
    {
        var options = Options with { Callbacks = new() { McpServers = [new SdkMcpServer("calc", [])] } };
        var sent = Sent(new SetMcpServers(new Dictionary<string, JsonElement> { ["web"] = Json("""{"type":"http","url":"http://127.0.0.1:1"}""") }), options);
        Assert.Equal("mcp_set_servers", sent.Subtype);
        Assert.Equal("""{"servers":{"web":{"type":"http","url":"http://127.0.0.1:1"},"calc":{"type":"sdk","name":"calc"}}}""", sent.Fields.ToJsonString());
        Assert.Equal("Every MCP server needs a name and a JSON object as its config.",
            Refused(new SetMcpServers(new Dictionary<string, JsonElement> { ["web"] = Json("\"stdio\"") }), options));
    }

    [Fact]
    public void Context_usage_and_the_thinking_budget()
    {
        Assert.Equal("""{"detail":"full"}""", Sent(new GetContextUsage(Full: true)).Fields.ToJsonString());
        Assert.Equal("""{"detail":"summary"}""", Sent(new GetContextUsage()).Fields.ToJsonString());
        Assert.Equal("The thinking budget cannot be negative.", Refused(new SetMaxThinkingTokens(-1)));
        Assert.Equal("""{"max_thinking_tokens":null}""", Sent(new SetMaxThinkingTokens(null)).Fields.ToJsonString());
    }

    [Fact]
    public void A_raw_request_is_passed_on_unless_the_session_owns_its_subtype_or_its_fields_are_no_object()
    {
        var sent = Sent(new SendControlRequest("get_settings", Json("""{"scope":"user"}""")));
        Assert.Equal("get_settings", sent.Subtype);
        Assert.Equal("""{"scope":"user"}""", sent.Fields.ToJsonString());
        Assert.Equal("{}", Sent(new SendControlRequest("list_models")).Fields.ToJsonString());
        foreach (var owned in new[] { "initialize", "interrupt", "set_model", "set_permission_mode", "rewind_files", "mcp_message" })
            Assert.Equal($"'{owned}' is managed by the session: use its own message.", Refused(new SendControlRequest(owned)));
        Assert.Equal("A control request needs a subtype.", Refused(new SendControlRequest("")));
        Assert.Equal("A control request's fields must be a JSON object.", Refused(new SendControlRequest("x", Json("[1]"))));
    }
}
