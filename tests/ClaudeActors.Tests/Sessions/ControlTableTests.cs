using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using Xunit;

namespace ClaudeActors.Tests.Sessions;

/// <summary>Correlating the host's control requests with the CLI's answers. Plain objects, no actor system.</summary>
public sealed class ControlTableTests
{
    private static ControlResponseBody Answer(string requestId, string json) =>
        new() { Subtype = "success", RequestId = requestId, Response = JsonDocument.Parse(json).RootElement.Clone() };

    [Fact]
    public void Each_request_gets_its_own_short_id_and_its_answer_finds_it_once()
    {
        var table = new ControlTable();
        var first = table.Add(ActorRefs.Nobody, ControlKind.SetModel("opus"));
        var second = table.Add(ActorRefs.Nobody, ControlKind.Plain);
        Assert.NotEqual(first, second);
        Assert.Equal(24, first.Length);
        Assert.StartsWith("req_1_", first);
        Assert.StartsWith("req_2_", second);
        Assert.Equal(2, table.PendingCount);

        var plain = table.Answered(Answer(second, """{"mcpServers":[]}"""))!;
        Assert.Equal(ControlKind.Plain, plain.Pending.Kind);
        Assert.Equal("""{"mcpServers":[]}""", plain.Result.Response!.Value.GetRawText());
        var setModel = table.Answered(Answer(first, """{"model":"claude-opus-5-5"}"""))!;
        Assert.Equal(ControlKind.SetModel("opus"), setModel.Pending.Kind);
        Assert.Null(table.Answered(Answer(first, "{}"))); // answered once; a second answer is unknown
    }

    [Fact]
    public void A_refusal_of_the_CLI_fails_the_request_with_its_error_text()
    {
        var table = new ControlTable();
        var id = table.Add(ActorRefs.Nobody, ControlKind.Plain);
        var refused = table.Answered(new ControlResponseBody
        {
            Subtype = "error", RequestId = id, Error = "Unsupported control request subtype: no_such_subtype", ErrorCode = "unsupported_request",
        })!;
        Assert.Equal(new SessionFailure(FailureKind.ControlRequestFailed, "Unsupported control request subtype: no_such_subtype"), refused.Result.Failure);

        var silent = table.Answered(new ControlResponseBody { Subtype = "error", RequestId = table.Add(ActorRefs.Nobody, ControlKind.Plain) })!;
        Assert.Equal("The CLI refused the request.", silent.Result.Failure!.Message);

        var unreadable = table.Unreadable(table.Add(ActorRefs.Nobody, ControlKind.Plain))!;
        Assert.Equal(FailureKind.ProtocolError, unreadable.Result.Failure!.Kind);
        Assert.Null(table.Unreadable("req_unknown"));
    }

    [Fact]
    public void A_request_that_timed_out_is_gone_so_its_late_answer_is_ignored()
    {
        var table = new ControlTable();
        var id = table.Add(ActorRefs.Nobody, ControlKind.Plain);
        var timedOut = table.TimedOut(id, TimeSpan.FromSeconds(30))!;
        Assert.Equal(new SessionFailure(FailureKind.Timeout, "The CLI did not answer the control request within 00:00:30."), timedOut.Result.Failure);
        Assert.Null(table.Answered(Answer(id, "{}"))); // the late answer finds nothing
        Assert.Null(table.TimedOut(id, TimeSpan.FromSeconds(30)));
        Assert.Equal(0, table.PendingCount);
    }

    [Fact]
    public void When_the_CLI_is_gone_every_pending_request_is_taken_out_with_its_id()
    {
        var table = new ControlTable();
        var ids = new[] { table.Add(ActorRefs.Nobody, ControlKind.Plain), table.Add(ActorRefs.Nobody, ControlKind.Plain) };
        Assert.Equal(ids.Order(), table.TakeAll().Select(p => p.RequestId).Order());
        Assert.Empty(table.TakeAll());
    }

    [Fact]
    public void The_initialize_id_changes_with_each_CLI_and_is_never_a_pending_request()
    {
        var table = new ControlTable();
        var firstCli = table.BeginInitialize();
        Assert.True(table.IsInitialize(firstCli));
        var secondCli = table.BeginInitialize();
        Assert.False(table.IsInitialize(firstCli)); // the old CLI's late answer does not initialize the new one
        Assert.True(table.IsInitialize(secondCli));
        Assert.Null(table.Answered(Answer(secondCli, "{}")));
    }

    [Fact]
    public void Deferred_requests_come_back_in_the_order_they_were_asked_and_only_once()
    {
        var table = new ControlTable();
        table.Defer(new DeferredControl(ActorRefs.Nobody, new ControlToSend("mcp_status", new JsonObject(), ControlKind.Plain)));
        table.Defer(new DeferredControl(ActorRefs.Nobody, new ControlToSend("set_model", new JsonObject(), ControlKind.SetModel("haiku"))));
        Assert.Equal(["mcp_status", "set_model"], table.TakeDeferred().Select(d => d.Control.Subtype));
        Assert.Empty(table.TakeDeferred());
    }

    [Fact]
    public void A_set_model_answer_records_the_resolved_model_and_the_option_a_restarted_CLI_starts_with()
    {
        var memory = new SessionMemory(new SessionOptions { Model = "sonnet" });
        ControlKind.SetModel("opus").Apply(memory, Answer("c1", """{"model":"claude-opus-5-5"}"""));
        Assert.Equal("claude-opus-5-5", memory.Model);
        Assert.Equal("opus", memory.Effective.Model);

        ControlKind.SetModel("haiku").Apply(memory, Answer("c2", "{}"));
        Assert.Equal("haiku", memory.Model);

        ControlKind.SetPermissionMode(PermissionMode.AcceptEdits).Apply(memory, Answer("c3", """{"mode":"acceptEdits"}"""));
        Assert.Equal(PermissionMode.AcceptEdits, memory.Effective.PermissionMode);
        Assert.Equal("haiku", memory.Effective.Model);

        var before = memory.Effective;
        ControlKind.Plain.Apply(memory, Answer("c4", """{"model":"ignored"}"""));
        Assert.Same(before, memory.Effective);
    }

    [Fact]
    public void The_request_id_of_an_unreadable_answer_is_found_when_it_is_there()
    {
        Assert.Equal("req_9", ControlTable.RequestIdOf(JsonDocument.Parse("""{"type":"control_response","response":{"request_id":"req_9","subtype":7}}""").RootElement));
        Assert.Null(ControlTable.RequestIdOf(JsonDocument.Parse("""{"type":"control_response","response":{"request_id":9}}""").RootElement));
        Assert.Null(ControlTable.RequestIdOf(JsonDocument.Parse("""{"type":"control_response","response":"x"}""").RootElement));
    }
}
