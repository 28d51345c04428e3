using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Sessions;

/// <summary>The core session features, each driven through the real claude CLI against the fake Messages API.</summary>
public sealed class RealCliSessionTests(ITestOutputHelper output) : SessionTestKit(output)
{
    [Fact]
    public async Task Two_turns_share_context_through_one_cli_process()
    {
        await using var session = await StartRealAsync();
        var before = await session.GetInfoAsync();
        Assert.Equal(SessionStatus.Ready, before.Status);
        Assert.NotNull(before.CliProcessId);

        var first = await session.FinalTextAsync("My name is Alice");
        Assert.Equal("Nice to meet you, Alice.", first);
        var second = await session.FinalTextAsync("What is my name?");
        Assert.Equal("Your name is Alice!", second);

        var after = await session.GetInfoAsync();
        Assert.Equal(before.CliProcessId, after.CliProcessId);
        // The fake API could only answer because the CLI sent the first turn along with the second.
        var last = Api.ConversationRequests[^1];
        Assert.Contains(last.UserTexts, t => t.Contains("My name is Alice"));
    }

    [Fact]
    public async Task A_streamed_turn_yields_init_partials_assistant_and_result_in_order()
    {
        await using var session = await StartRealAsync(o => o with { IncludePartialMessages = true });
        var sessionId = await session.GetSessionIdAsync();
        Assert.True(SessionIds.IsValid(sessionId));

        var messages = new List<ClaudeMessage>();
        await foreach (var m in session.StreamAsync("Say exactly: streaming works")) messages.Add(m);

        var init = Assert.IsType<SystemMessage>(messages.First(m => m is SystemMessage { IsInit: true }));
        Assert.Equal(sessionId, init.SessionId);
        var firstInit = messages.IndexOf(init);
        var firstDelta = messages.FindIndex(m => m is StreamEventMessage { TextDelta: not null });
        var assistant = messages.FindIndex(m => m is AssistantMessage);
        Assert.True(firstInit < firstDelta && firstDelta < assistant, string.Join(",", messages.Select(m => m.Type)));
        var result = Assert.IsType<ResultMessage>(messages[^1]);
        Assert.False(result.IsError);
        Assert.Equal("streaming works", result.Result);
        Assert.Equal(sessionId, result.SessionId);
        var deltas = string.Concat(messages.OfType<StreamEventMessage>().Select(e => e.TextDelta));
        Assert.Equal("streaming works", deltas);
        Assert.Equal("streaming works", string.Concat(((AssistantMessage)messages[assistant]).Message.Content.OfType<TextBlock>().Select(b => b.Text)));
    }

    [Fact]
    public async Task Queries_sent_during_a_turn_run_one_by_one_in_order()
    {
        await using var session = await StartRealAsync();
        var probe = CreateTestProbe();
        // The CLI would merge lines written during a turn into one; the session must hold them back.
        session.Actor.Tell(new Query("[slow:100] Say exactly: first") { QueryId = "q1" }, probe.Ref);
        session.Actor.Tell(new Query("Say exactly: second") { QueryId = "q2" }, probe.Ref);
        session.Actor.Tell(new Query("Say exactly: third") { QueryId = "q3" }, probe.Ref);

        var completed = new List<QueryCompleted>();
        var timeout = TimeSpan.FromSeconds(60);
        while (completed.Count < 3)
        {
            var msg = probe.ReceiveOne(timeout);
            if (msg is QueryFailed failed) Assert.Fail(failed.Failure.ToString());
            if (msg is QueryCompleted c) completed.Add(c);
        }
        Assert.Equal(["q1", "q2", "q3"], completed.Select(c => c.QueryId));
        Assert.Equal(["first", "second", "third"], completed.Select(c => c.Result.Result));
    }

    [Fact]
    public async Task Set_model_changes_the_model_of_the_next_api_request()
    {
        await using var session = await StartRealAsync();
        await session.FinalTextAsync("Say exactly: before");
        var answer = await session.SetModelAsync("haiku");
        Assert.NotNull(answer);

        await session.FinalTextAsync("Say exactly: after");
        var last = Api.ConversationRequests[^1];
        Assert.Contains("haiku", last.Model);
        Assert.Contains("haiku", (await session.GetInfoAsync()).Model);

        var unknown = await Assert.ThrowsAsync<InvalidSessionRequestException>(() => session.SetModelAsync("claude-opus-4-1"));
        Assert.Contains("Unknown model", unknown.Message);
    }

    [Fact]
    public async Task Interrupt_ends_a_slow_turn_and_the_session_goes_on()
    {
        await using var session = await StartRealAsync(o => o with { IncludePartialMessages = true });
        var seen = new List<ClaudeMessage>();
        var failure = await Assert.ThrowsAsync<QueryInterruptedException>(async () =>
        {
            await foreach (var m in session.StreamAsync("[slow:400] Say exactly: one two three four five six seven eight nine ten"))
            {
                seen.Add(m);
                if (m is StreamEventMessage { TextDelta: not null }) await session.InterruptAsync();
            }
        });
        Assert.Equal(FailureKind.Interrupted, failure.Failure.Kind);
        Assert.Contains(seen, m => m is StreamEventMessage { TextDelta: not null }); // output already produced is kept

        Assert.Equal("still here", await session.FinalTextAsync("Say exactly: still here"));
    }

    [Fact]
    public async Task A_query_past_its_timeout_fails_with_a_timeout_and_the_next_one_runs()
    {
        await using var session = await StartRealAsync();
        var failure = await Assert.ThrowsAsync<QueryTimeoutException>(() =>
            session.FinalTextAsync("[slow:1000] Say exactly: too slow for the timeout", new QueryOptions { Timeout = TimeSpan.FromSeconds(2) }));
        Assert.Equal(FailureKind.Timeout, failure.Failure.Kind);

        Assert.Equal("on time", await session.FinalTextAsync("Say exactly: on time"));
    }

    [Fact]
    public async Task A_missing_cli_is_a_typed_error()
    {
        var ex = await Assert.ThrowsAsync<CliNotFoundException>(() =>
            StartRealAsync(o => o with { CliPath = Path.Combine(Sandbox.Root, "no-such-claude") }));
        Assert.Contains("not found", ex.Message);
    }

    [Fact]
    public async Task A_cli_killed_mid_turn_fails_the_caller_at_once_and_the_session_resumes()
    {
        await using var session = await StartRealAsync();
        Assert.Equal("Nice to meet you, Bob.", await session.FinalTextAsync("My name is Bob"));
        var pid = (await session.GetInfoAsync()).CliProcessId!.Value;

        var turn = session.FinalTextAsync("[slow:2000] Say exactly: this turn dies");
        await Api.WaitForRequestAsync(r => r.IsConversation && r.LastUserText.Contains("this turn dies"), TimeSpan.FromSeconds(30));
        var killedAt = DateTime.UtcNow;
        System.Diagnostics.Process.GetProcessById(pid).Kill();

        var crash = await Assert.ThrowsAsync<CliCrashedException>(() => turn);
        Assert.True(DateTime.UtcNow - killedAt < TimeSpan.FromSeconds(5), "the caller waited too long for the crash report");
        Assert.Equal(FailureKind.CliCrashed, crash.Failure.Kind);

        // The session restarts its CLI with --resume: the context survives.
        await session.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("Your name is Bob!", await session.FinalTextAsync("What is my name?"));
        var info = await session.GetInfoAsync();
        Assert.Equal(1, info.RestartCount);
        Assert.NotEqual(pid, info.CliProcessId);
    }

    [Fact]
    public async Task Stop_ends_the_cli_process()
    {
        var session = await StartRealAsync();
        await session.FinalTextAsync("Say exactly: hello");
        var pid = (await session.GetInfoAsync()).CliProcessId!.Value;
        Assert.True(ProcessTable.IsAlive(pid));

        await session.StopAsync();
        Assert.False(ProcessTable.IsAlive(pid));
        Assert.Empty(Sandbox.LiveProcesses());
        await Assert.ThrowsAnyAsync<Exception>(() => session.GetInfoAsync());
    }

    [Fact]
    public async Task An_actor_can_tell_a_query_and_receive_the_stream_then_one_terminal_message()
    {
        await using var session = await StartRealAsync();
        var probe = CreateTestProbe();
        session.Actor.Tell(new Query("Say exactly: via tell"), probe.Ref);

        var streamed = new List<ClaudeMessage>();
        object reply;
        do
        {
            reply = probe.ReceiveOne(TimeSpan.FromSeconds(60));
            if (reply is QueryMessage m) streamed.Add(m.Message);
        } while (reply is QueryMessage);
        var completed = Assert.IsType<QueryCompleted>(reply);
        Assert.Equal("via tell", completed.Result.Result);
        Assert.Contains(streamed, m => m is AssistantMessage);
        Assert.Same(completed.Result, streamed[^1]);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        // Ask works too when only the terminal message is wanted.
        var asked = await session.Actor.Ask<QueryCompleted>(new Query("Say exactly: via ask") { StreamMessages = false }, TimeSpan.FromSeconds(60));
        Assert.Equal("via ask", asked.Result.Result);
    }

    [Fact]
    public async Task Server_info_and_runtime_controls_answer_without_a_restart()
    {
        await using var session = await StartRealAsync();
        var pid = (await session.GetInfoAsync()).CliProcessId;
        var info = (await session.GetServerInfoAsync())!.Value;
        Assert.True(info.TryGetProperty("models", out var models) && models.GetArrayLength() > 0);

        var mode = (await session.SetPermissionModeAsync(PermissionMode.AcceptEdits))!.Value;
        Assert.Equal("acceptEdits", mode.GetProperty("mode").GetString());
        var mcp = (await session.GetMcpStatusAsync())!.Value;
        Assert.True(mcp.TryGetProperty("mcpServers", out _));
        await Assert.ThrowsAsync<InvalidSessionRequestException>(() => session.RewindFilesAsync("x"));

        Assert.Equal(pid, (await session.GetInfoAsync()).CliProcessId);
    }

    [Fact]
    public async Task The_cli_accepts_the_extended_option_set()
    {
        await using var session = await StartRealAsync(o => o with
        {
            FallbackModel = "haiku",
            MaxBudgetUsd = 5m,
            Effort = "high",
            Agents = """{"reviewer":{"description":"Reviews code","prompt":"You review code"}}""",
            Betas = ["context-1m-2025-08-07"],
            SettingSources = ["user"],
            StrictMcpConfig = true,
            ReplayUserMessages = true,
            AppendSystemPrompt = "Be brief.",
            MaxTurns = 3,
            AllowedTools = ["Read"],
            DisallowedTools = ["WebFetch"],
            Tools = ["Read", "Grep"],
            DisableSlashCommands = true,
            IncludeHookEvents = true,
            ForwardSubagentText = true,
            ExtraArgs = new Dictionary<string, string?> { ["--name"] = "extended" },
        });
        var messages = new List<ClaudeMessage>();
        await foreach (var m in session.StreamAsync("Say exactly: accepted")) messages.Add(m);
        Assert.Equal("accepted", Assert.IsType<ResultMessage>(messages[^1]).Result);
        Assert.Contains(messages, m => m is UserMessage { IsReplay: true }); // --replay-user-messages took effect
        Assert.Contains("Be brief.", Api.ConversationRequests[^1].System);
        var init = messages.OfType<SystemMessage>().First(m => m.IsInit);
        Assert.Equal(["Grep", "Read"], init.Tools!.Order()); // --tools: the only built-in tools that exist
    }

    [Fact]
    public async Task Leaving_the_enumeration_early_interrupts_the_turn()
    {
        await using var session = await StartRealAsync(o => o with { IncludePartialMessages = true });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Ten chunks, 3 s apart: the full turn would take half a minute.
        await foreach (var m in session.StreamAsync("[slow:3000] Say exactly: a b c d e f g h i j"))
            if (m is StreamEventMessage { TextDelta: not null }) break;

        Assert.Equal("next", await session.FinalTextAsync("Say exactly: next"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the abandoned turn was not interrupted ({clock.Elapsed})");
        Assert.Equal(0, (await session.GetInfoAsync()).RestartCount);
    }
}
