using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClaudeActors.Client;
using ClaudeActors.Examples;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using ClaudeActors.Testing;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Testing;

/// <summary>The test kit's StubSession: the facade, actors and the session protocol against scripted replies, no CLI anywhere.</summary>
public sealed class StubSessionTests(ITestOutputHelper output) : TestKit("akka.loglevel = INFO", output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task FinalTextAsync_returns_the_scripted_text()
    {
        var script = new StubScript().Reply("Hello from the stub");
        var session = StubSession.Start(Sys, script);

        Assert.Equal("Hello from the stub", await session.FinalTextAsync("Say hello"));
        Assert.Equal(["Say hello"], script.ReceivedPrompts);
    }

    [Fact]
    public async Task StreamAsync_yields_the_scripted_messages_in_order_ending_with_the_result()
    {
        var script = new StubScript { SessionId = "11111111-2222-3333-4444-555555555555" }.ReplyWith(
            ClaudeMessages.Thinking("Let me look."),
            ClaudeMessages.ToolUse("Bash", new { command = "ls" }, id: "toolu_1"),
            ClaudeMessages.ToolResult("toolu_1", "README.md"),
            ClaudeMessages.Text("There is a README."));
        var session = StubSession.Start(Sys, script);

        var messages = new List<ClaudeMessage>();
        await foreach (var message in session.StreamAsync("What is here?")) messages.Add(message);

        Assert.Collection(messages,
            m => Assert.IsType<ThinkingBlock>(Assert.Single(Assert.IsType<AssistantMessage>(m).Message.Content)),
            m => Assert.Equal("ls", Assert.IsType<ToolUseBlock>(Assert.Single(Assert.IsType<AssistantMessage>(m).Message.Content)).Input.GetProperty("command").GetString()),
            m => Assert.Equal("README.md", Assert.IsType<ToolResultBlock>(Assert.Single(Assert.IsType<UserMessage>(m).Message.Content)).ContentText),
            m => Assert.IsType<AssistantMessage>(m),
            m => Assert.Equal("There is a README.", Assert.IsType<ResultMessage>(m).Result)); // appended: the last assistant text
        // Messages built without a session id carry the stub's.
        Assert.All(messages, m => Assert.Equal(script.SessionId, m switch
        {
            AssistantMessage a => a.SessionId,
            UserMessage u => u.SessionId,
            ResultMessage r => r.SessionId,
            _ => null,
        }));
    }

    [Fact]
    public async Task Reply_streams_init_assistant_and_result_and_text_deltas_reach_the_helpers()
    {
        var script = new StubScript()
            .Reply("plain")
            .ReplyWith(ClaudeMessages.TextDelta("Hel"), ClaudeMessages.TextDelta("lo"), ClaudeMessages.Text("Hello"));
        var session = StubSession.Start(Sys, script);

        var turn = new List<ClaudeMessage>();
        await foreach (var message in session.StreamAsync("one")) turn.Add(message);
        Assert.Equal(["system", "assistant", "result"], turn.Select(m => m.Type));
        var init = Assert.IsType<SystemMessage>(turn[0]);
        Assert.True(init.IsInit);
        Assert.Equal(ClaudeMessages.DefaultModel, init.Model);

        var deltas = new List<string>();
        await foreach (var delta in session.StreamAsync("two").TextDeltas()) deltas.Add(delta);
        Assert.Equal(["Hel", "lo"], deltas);
    }

    [Fact]
    public async Task A_scripted_failure_throws_the_typed_exception()
    {
        var script = new StubScript()
            .Fail(FailureKind.ApiError, "overloaded")
            .Fail(FailureKind.NotAuthenticated, "bad key")
            .Then(StubReply.Fail(FailureKind.CliCrashed, "gone", ClaudeMessages.Text("partial")));
        var session = StubSession.Start(Sys, script);

        var apiError = await Assert.ThrowsAsync<ClaudeApiErrorException>(() => session.FinalTextAsync("q1"));
        Assert.Equal("overloaded", apiError.Failure.Message);
        Assert.True(apiError.Failure.Result?.IsError);
        await Assert.ThrowsAsync<NotAuthenticatedException>(() => session.FinalTextAsync("q2"));

        // Streamed messages arrive before the failure is thrown.
        var seen = new List<ClaudeMessage>();
        await Assert.ThrowsAsync<CliCrashedException>(async () =>
        {
            await foreach (var message in session.StreamAsync("q3")) seen.Add(message);
        });
        Assert.IsType<AssistantMessage>(Assert.Single(seen));
    }

    [Fact]
    public async Task An_error_result_fails_the_query_like_a_real_session()
    {
        var script = new StubScript().ReplyWith(ClaudeMessages.Text("API Error: 400"), ClaudeMessages.Result("API Error: 400", isError: true));
        var session = StubSession.Start(Sys, script);

        var ex = await Assert.ThrowsAsync<ClaudeApiErrorException>(() => session.QueryAsync("q"));
        Assert.Equal("API Error: 400", ex.Failure.Result?.Result);
    }

    [Fact]
    public async Task The_default_echoes_and_Respond_computes_replies_when_the_queue_is_empty()
    {
        var script = new StubScript().Reply("queued first");
        var session = StubSession.Start(Sys, script);

        Assert.Equal("queued first", await session.FinalTextAsync("a"));
        Assert.Equal("Echo: b", await session.FinalTextAsync("b"));

        script.Respond(prompt => [ClaudeMessages.Text(prompt.ToUpperInvariant())]);
        Assert.Equal("SHOUT", await session.FinalTextAsync("shout"));

        script.Respond(prompt => prompt == "bad" ? StubReply.Fail(FailureKind.InvalidRequest, "no") : StubReply.Text("fine"));
        Assert.Equal("fine", await session.FinalTextAsync("good"));
        await Assert.ThrowsAsync<InvalidSessionRequestException>(() => session.FinalTextAsync("bad"));

        script.Respond((Func<string, IEnumerable<ClaudeMessage>>)(_ => throw new InvalidOperationException("oops")));
        var crashed = await Assert.ThrowsAsync<SessionCrashedException>(() => session.FinalTextAsync("c"));
        Assert.Contains("oops", crashed.Failure.Message);

        Assert.Equal(["a", "b", "shout", "good", "bad", "c"], script.ReceivedPrompts);
    }

    [Fact]
    public async Task Queries_are_answered_in_order_one_at_a_time_and_recorded()
    {
        var script = new StubScript()
            .Then(StubReply.Text("slow").WithDelay(TimeSpan.FromMilliseconds(150)))
            .Reply("fast");
        var stub = Sys.ActorOf(StubSession.Props(script));
        var probe = CreateTestProbe();

        stub.Tell(new Query("first") { QueryId = "q1" }, probe);
        stub.Tell(new Query("second") { QueryId = "q2" }, probe);
        var info = await stub.Ask<SessionInfo>(GetSessionInfo.Instance, Wait);
        Assert.Equal(SessionStatus.Busy, info.Status);
        Assert.Equal(1, info.QueuedQueries);

        var order = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            order.Add(await probe.ExpectMsgAsync<object>(Wait) switch
            {
                QueryMessage m => $"{m.QueryId}:{m.Message.Type}",
                QueryCompleted c => $"{c.QueryId}:completed:{c.Result.Result}",
                var other => other.ToString()!,
            });
        }
        Assert.Equal(
            ["q1:system", "q1:assistant", "q1:result", "q1:completed:slow", "q2:system", "q2:assistant", "q2:result", "q2:completed:fast"],
            order);

        stub.Tell(GetReceivedQueries.Instance, probe);
        var received = await probe.ExpectMsgAsync<ReceivedQueries>(Wait);
        Assert.Equal(["q1", "q2"], received.Queries.Select(q => q.QueryId));
        Assert.Equal(["first", "second"], script.ReceivedPrompts);
    }

    [Fact]
    public async Task A_query_without_streaming_gets_only_its_terminal_message_and_invalid_queries_are_refused()
    {
        var stub = Sys.ActorOf(StubSession.Props(new StubScript().Reply("only this")));

        var reply = await stub.Ask<object>(new Query("q") { StreamMessages = false }, Wait);
        Assert.Equal("only this", Assert.IsType<QueryCompleted>(reply).Result.Result);

        var refused = await stub.Ask<object>(new Query("  "), Wait);
        Assert.Equal(FailureKind.InvalidRequest, Assert.IsType<QueryFailed>(refused).Failure.Kind);
    }

    [Fact]
    public async Task Control_and_info_requests_are_answered()
    {
        var script = new StubScript { SessionId = "aaaaaaaa-0000-0000-0000-000000000001" };
        var session = StubSession.Start(Sys, script, "assistant");

        var ready = await session.WaitUntilReadyAsync(Wait);
        Assert.Equal(("assistant", SessionStatus.Ready, script.SessionId), (ready.Name, ready.Status, ready.SessionId));
        Assert.Equal(script.SessionId, await session.GetSessionIdAsync());

        Assert.Equal("claude-opus-5-5", (await session.SetModelAsync("claude-opus-5-5"))?.GetProperty("model").GetString());
        Assert.Equal("claude-opus-5-5", (await session.GetInfoAsync()).Model);
        Assert.Equal("plan", (await session.SetPermissionModeAsync(PermissionMode.Plan))?.GetProperty("mode").GetString());
        Assert.Equal(0, (await session.GetMcpStatusAsync())?.GetProperty("mcpServers").GetArrayLength());
        Assert.Equal("stub", (await session.GetServerInfoAsync())?.GetProperty("claude_code_version").GetString());
        Assert.False(await session.InterruptAsync()); // nothing runs: a no-op

        // The init line of a turn reports the current model; the conversation holds the prompt and the answer.
        var turn = new List<ClaudeMessage>();
        await foreach (var message in session.StreamAsync("hi")) turn.Add(message);
        Assert.Equal("claude-opus-5-5", Assert.IsType<SystemMessage>(turn[0]).Model);
        var conversation = await session.GetConversationAsync();
        Assert.Equal(["user", "assistant"], conversation.Messages.Select(m => m.Type));

        await session.ClearAsync();
        var newId = await session.GetSessionIdAsync();
        Assert.NotEqual(script.SessionId, newId);
        Assert.Empty((await session.GetConversationAsync()).Messages);
        var result = await session.QueryAsync("after clear");
        Assert.Equal(newId, result.SessionId);
    }

    [Fact]
    public async Task A_slow_turn_can_be_interrupted_or_time_out()
    {
        var script = new StubScript()
            .Then(StubReply.Text("slow").WithDelay(TimeSpan.FromSeconds(5)))
            .Then(StubReply.Text("slow").WithDelay(TimeSpan.FromSeconds(5)));
        var session = StubSession.Start(Sys, script);

        var running = session.FinalTextAsync("interrupt me");
        await AwaitConditionAsync(async () => (await session.GetInfoAsync()).Status == SessionStatus.Busy, Wait);
        Assert.True(await session.InterruptAsync());
        await Assert.ThrowsAsync<QueryInterruptedException>(() => running);

        await Assert.ThrowsAsync<QueryTimeoutException>(() =>
            session.FinalTextAsync("time out", new QueryOptions { Timeout = TimeSpan.FromMilliseconds(200) }));
        Assert.Equal(SessionStatus.Ready, (await session.GetInfoAsync()).Status);
    }

    [Fact]
    public void StopSession_stops_the_stub_and_fails_its_queries()
    {
        var stub = Sys.ActorOf(StubSession.Props(new StubScript().Then(StubReply.Text("never").WithDelay(TimeSpan.FromSeconds(5)))));
        var probe = CreateTestProbe();
        Watch(stub);

        stub.Tell(new Query("running") { QueryId = "r" }, probe);
        stub.Tell(new Query("queued") { QueryId = "q" }, probe);
        stub.Tell(StopSession.Instance);

        ExpectTerminated(stub, Wait);
        var failed = new[] { probe.ExpectMsg<QueryFailed>(Wait), probe.ExpectMsg<QueryFailed>(Wait) };
        Assert.Equal(["r", "q"], failed.Select(f => f.QueryId));
        Assert.All(failed, f => Assert.Equal(FailureKind.SessionStopped, f.Failure.Kind));
    }

    // ---- A sample of what users write: their own actor, tested against a stub session. ----

    [Fact]
    public async Task Sample_the_SessionUserActor_answers_with_the_stubbed_text()
    {
        var script = new StubScript().Reply("Paris");
        var session = Sys.ActorOf(StubSession.Props(script));
        var user = Sys.ActorOf(SessionUserActor.Props(session));

        var answered = await user.Ask<SessionUserActor.Answered>(new SessionUserActor.Ask("Capital of France?"), Wait);

        Assert.Equal("Paris", answered.Text);
        Assert.Equal(3, answered.StreamedMessages); // init, assistant, result
        Assert.Equal(["Capital of France?"], script.ReceivedPrompts);
    }

    [Fact]
    public async Task Sample_the_SessionUserActor_reports_a_stubbed_failure()
    {
        var session = Sys.ActorOf(StubSession.Props(new StubScript().Fail(FailureKind.Timeout, "too slow")));
        var user = Sys.ActorOf(SessionUserActor.Props(session));

        await Assert.ThrowsAsync<QueryTimeoutException>(() =>
            user.Ask<SessionUserActor.Answered>(new SessionUserActor.Ask("anything"), Wait));
    }

    [Fact]
    public async Task Sample_the_SessionAskingActor_gets_the_terminal_message_only()
    {
        var script = new StubScript().Respond(prompt => StubReply.Text(prompt.Replace("Say exactly: ", "")));
        var asking = Sys.ActorOf(SessionAskingActor.Props(Sys.ActorOf(StubSession.Props(script))));

        var text = await asking.Ask<string>(new SessionAskingActor.Summarize("short and sweet"), Wait);

        Assert.Equal("short and sweet", text);
        Assert.False(Assert.Single(script.ReceivedQueries).StreamMessages);
    }
}
