using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.History;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Sessions;

/// <summary>Resume, continue, fork, explicit ids, no persistence, clear, history and restarts — real CLI, fake API.</summary>
public sealed class ContinuityTests(ITestOutputHelper output) : SessionTestKit(output)
{
    [Fact]
    public async Task A_stopped_conversation_is_resumed_by_its_session_id()
    {
        string id;
        await using (var first = await StartRealAsync())
        {
            Assert.Equal("OK, I will remember the code.", await first.FinalTextAsync("Remember: the code is 12345"));
            id = (await first.GetSessionIdAsync())!;
        }

        await using var resumed = await StartRealAsync(o => o with { Resume = id });
        // Known before the first turn, and its conversation is readable already.
        Assert.Equal(id, await resumed.GetSessionIdAsync());
        Assert.Contains((await resumed.GetConversationAsync()).Messages, m => m is AssistantMessage);
        Assert.Equal("The code is 12345.", await resumed.FinalTextAsync("What was the code?"));
        Assert.Equal(id, await resumed.GetSessionIdAsync());
    }

    [Fact]
    public async Task Continue_picks_the_most_recent_conversation_of_the_working_directory()
    {
        await using (var first = await StartRealAsync())
            Assert.Equal("Nice to meet you, Carol.", await first.FinalTextAsync("My name is Carol"));

        await using var continued = await StartRealAsync(o => o with { Continue = true });
        Assert.Equal("Your name is Carol!", await continued.FinalTextAsync("What is my name?"));
    }

    [Fact]
    public async Task A_fork_keeps_the_context_under_a_new_id_and_leaves_the_original_unchanged()
    {
        string original;
        await using (var first = await StartRealAsync())
        {
            await first.FinalTextAsync("My name is Mike");
            original = (await first.GetSessionIdAsync())!;
        }
        var originalFile = ConversationHistory.FindTranscript(original, Sandbox.ConfigDir)!;
        var originalLines = File.ReadAllLines(originalFile).Length;

        await using (var fork = await StartRealAsync(o => o with { Resume = original, ForkSession = true }))
        {
            // The fork's id is known before its first query (the host gives it with --session-id), and the CLI keeps it.
            var forkId = await fork.GetSessionIdAsync();
            Assert.True(SessionIds.IsValid(forkId));
            Assert.NotEqual(original, forkId);
            Assert.Equal("Your name is Mike!", await fork.FinalTextAsync("What is my name?"));
            Assert.Equal(forkId, await fork.GetSessionIdAsync());
            Assert.NotNull(ConversationHistory.FindTranscript(forkId!, Sandbox.ConfigDir));
            await fork.FinalTextAsync("Say exactly: only in the fork");
        }

        Assert.Equal(originalLines, File.ReadAllLines(originalFile).Length);
        await using var again = await StartRealAsync(o => o with { Resume = original });
        Assert.Equal("Your name is Mike!", await again.FinalTextAsync("What is my name?"));
        Assert.DoesNotContain(Api.ConversationRequests[^1].UserTexts, t => t.Contains("only in the fork"));
    }

    [Fact]
    public async Task An_explicit_session_id_is_used_by_the_cli()
    {
        var id = SessionIds.New();
        await using var session = await StartRealAsync(o => o with { SessionId = id });
        Assert.Equal(id, await session.GetSessionIdAsync());
        var result = await session.QueryAsync("Say exactly: fixed id");
        Assert.Equal(id, result.SessionId);
        Assert.NotNull(ConversationHistory.FindTranscript(id, Sandbox.ConfigDir, Sandbox.WorkDir));
    }

    [Fact]
    public async Task No_session_persistence_writes_no_transcript()
    {
        await using var session = await StartRealAsync(o => o with { NoSessionPersistence = true });
        Assert.Equal("Nice to meet you, Nora.", await session.FinalTextAsync("My name is Nora"));
        Assert.Equal("Your name is Nora!", await session.FinalTextAsync("What is my name?"));
        var projects = ConversationHistory.ProjectsDirectory(Sandbox.ConfigDir);
        Assert.Empty(Directory.Exists(projects) ? Directory.EnumerateFiles(projects, "*.jsonl", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task Clear_starts_a_fresh_conversation_without_restarting_the_session_actor()
    {
        await using var session = await StartRealAsync();
        await session.FinalTextAsync("My name is Dan");
        var before = await session.GetSessionIdAsync();

        await session.ClearAsync();
        var after = await session.GetSessionIdAsync();
        Assert.NotEqual(before, after);
        Assert.Equal("I don't know your name.", await session.FinalTextAsync("What is my name?"));
        Assert.DoesNotContain(Api.ConversationRequests[^1].UserTexts, t => t.Contains("Dan"));
        Assert.Equal(0, (await session.GetInfoAsync()).RestartCount);
    }

    [Fact]
    public async Task History_is_read_from_a_running_session_and_by_session_id_in_order()
    {
        await using var session = await StartRealAsync();
        await session.FinalTextAsync("My name is Eve");
        await session.FinalTextAsync("What is my name?");
        var id = (await session.GetSessionIdAsync())!;

        var live = await session.GetConversationAsync();
        var texts = live.Messages.Select(Text).Where(t => t.Length > 0).ToList();
        Assert.Equal(["My name is Eve", "Nice to meet you, Eve.", "What is my name?", "Your name is Eve!"], texts);
        Assert.IsType<UserMessage>(live.Messages[0]);
        Assert.Empty(live.Problems);

        var stored = await ClaudeSession.ReadConversationAsync(id, Sandbox.ConfigDir);
        Assert.Equal(live.Messages.Count, stored.Messages.Count);
        Assert.Equal(live.FilePath, stored.FilePath);
    }

    [Fact]
    public async Task A_session_actor_that_throws_restarts_and_keeps_its_conversation()
    {
        await using var session = await StartRealAsync();
        await session.FinalTextAsync("My name is Fay");
        var id = await session.GetSessionIdAsync();

        session.Actor.Tell(new SessionActor.SimulateFailure("test: the session actor throws"));
        await AwaitAssertAsync(async () => Assert.Equal(1, (await session.GetInfoAsync()).RestartCount), TimeSpan.FromSeconds(30));
        await session.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(id, await session.GetSessionIdAsync());
        Assert.Equal("Your name is Fay!", await session.FinalTextAsync("What is my name?"));
    }

    private static string Text(ClaudeMessage message) => message switch
    {
        UserMessage u => string.Concat(u.Message.Content.OfType<TextBlock>().Select(b => b.Text)),
        AssistantMessage a => string.Concat(a.Message.Content.OfType<TextBlock>().Select(b => b.Text)),
        _ => "",
    };
}
