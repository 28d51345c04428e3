using ClaudeActors.Cluster;
using ClaudeActors.Sessions;
using ClaudeActors.Testing;
using ClaudeActors.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ClaudeActors.Tests.Cluster;

/// <summary>Named sessions as sharded, persistent entities across in-process nodes sharing one SQLite journal.</summary>
public sealed class ClusterSessionTests : IAsyncLifetime
{
    private ClusterNodes _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ClusterNodes.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private Task<ClusterNode> Node(string cli, ClusterNode? seed = null, ClaudeClusterOptions? options = null, string? workingDirectory = null, string? postgres = null) =>
        _cluster.Node(cli, seed, options, workingDirectory, postgres);

    [Fact]
    public async Task A_session_started_on_one_node_is_reachable_by_name_and_listed_on_another()
    {
        var a = await Node(TestPaths.FakeCli);
        var b = await Node(TestPaths.FakeCli, seed: a, workingDirectory: a.Sandbox.WorkDir);

        var started = await a.Sessions.StartAsync(new SessionOptions { Name = "assistant" });
        Assert.Equal("Nice to meet you, Ann.", await started.FinalTextAsync("My name is Ann"));

        var fromB = await b.Sessions.GetAsync("assistant");
        Assert.Equal("Your name is Ann!", await fromB.FinalTextAsync("What is my name?"));
        Assert.Equal(await started.GetSessionIdAsync(), await fromB.GetSessionIdAsync());

        await AssertEventually(async () =>
        {
            var entry = Assert.Single(await b.Client.ListDirectoryAsync());
            Assert.Equal("assistant", entry.Name);
            Assert.True(SessionIds.IsValid(entry.SessionId));
            Assert.Contains(entry.Node, new[] { a.Address, b.Address });
            Assert.Equal(2, entry.Turns);
            Assert.Equal("claude-sonnet-5-5", entry.Model);
        });
        // A restart asked from the other node: a new CLI, the same conversation.
        var restarted = await fromB.RestartAsync();
        Assert.Equal(1, restarted.RestartCount);
        Assert.Equal("Your name is Ann!", await fromB.FinalTextAsync("What is my name?"));
        var count = await b.Sessions.CountAsync();
        Assert.Equal(1, count.Total);
        Assert.Equal(1, count.ByStatus.Values.Sum());
        await Assert.ThrowsAsync<SessionNotFoundException>(() => b.Sessions.GetAsync("nobody"));
        await Assert.ThrowsAsync<SessionAlreadyExistsException>(() => b.Sessions.StartAsync(new SessionOptions { Name = "assistant" }));
    }

    [Fact]
    public async Task A_session_survives_the_loss_of_its_node_with_its_conversation_through_the_real_cli()
    {
        var a = await Node(TestPaths.RealCli);
        var b = await Node(TestPaths.RealCli, seed: a, workingDirectory: a.Sandbox.WorkDir);

        var session = await a.Sessions.StartAsync(new SessionOptions { Name = "traveller" });
        Assert.Equal("OK, I will remember the code.", await session.FinalTextAsync("Remember: the code is 4242"));
        var id = await session.GetSessionIdAsync();

        var entry = await AssertEventually(async () => Assert.Single(await a.Client.ListDirectoryAsync(), e => e.SessionId == id));
        var (lost, survivor) = entry.Node == a.Address ? (a, b) : (b, a);
        await lost.StopAsync();

        // The survivor's own HOME has no transcript: the entity writes it back from the journal before --resume.
        var again = await survivor.Sessions.GetAsync("traveller");
        Assert.Equal("The code is 4242.", await again.FinalTextAsync("What was the code?"));
        Assert.Equal(id, await again.GetSessionIdAsync());
        Assert.True(File.Exists(Path.Combine(survivor.Sandbox.ConfigDir, "projects",
            ClaudeActors.History.ConversationHistory.EncodeProjectPath(a.Sandbox.WorkDir), id + ".jsonl")));
    }

    [Fact]
    public async Task An_idle_session_passivates_its_cli_and_the_next_query_brings_it_back()
    {
        var node = await Node(TestPaths.RealCli, options: new ClaudeClusterOptions { PassivateIdleAfter = TimeSpan.FromSeconds(2) });
        var session = await node.Sessions.StartAsync(new SessionOptions { Name = "sleepy" });
        await session.FinalTextAsync("My name is Pat");
        var id = await session.GetSessionIdAsync();
        Assert.NotEmpty(node.Sandbox.LiveProcesses());

        Assert.True(await ProcessTable.WaitUntilAsync(() => node.Sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(30)),
            "the idle session's CLI did not stop");
        await AssertEventually(async () => Assert.True(Assert.Single(await node.Client.ListDirectoryAsync()).Passivated));
        // Looking at it does not wake it: the entity answers, no CLI starts.
        Assert.Equal(id, await session.GetSessionIdAsync());
        Assert.Equal(SessionStatus.Stopped, (await session.GetInfoAsync()).Status);
        Assert.False(await session.IsAliveAsync());
        Assert.Empty(node.Sandbox.LiveProcesses());

        Assert.Equal("Your name is Pat!", await session.FinalTextAsync("What is my name?"));
        Assert.Equal(id, await session.GetSessionIdAsync());
    }

    [Fact]
    public async Task A_turn_longer_than_the_idle_time_is_not_cut_off()
    {
        var node = await Node(TestPaths.FakeCli, options: new ClaudeClusterOptions { PassivateIdleAfter = TimeSpan.FromSeconds(1) });
        var session = await node.Sessions.StartAsync(new SessionOptions { Name = "long-turn" });
        // Ten chunks 400 ms apart: four idle periods pass while the turn runs.
        Assert.Equal("still going", await session.FinalTextAsync("[slow:400] Say exactly: still going"));
        Assert.Equal(0, (await session.GetInfoAsync()).RestartCount);
    }

    [Fact]
    public async Task The_live_cli_cap_passivates_the_least_recently_used_sessions()
    {
        var node = await Node(TestPaths.FakeCli, options: new ClaudeClusterOptions { MaxLiveCliProcesses = 2 });
        for (var i = 0; i < 5; i++)
        {
            var s = await node.Sessions.StartAsync(new SessionOptions { Name = "burst-" + i });
            await s.FinalTextAsync($"My name is User{i}");
        }
        Assert.True(await ProcessTable.WaitUntilAsync(() => node.Sandbox.LiveProcesses().Count <= 2, TimeSpan.FromSeconds(20)),
            $"{node.Sandbox.LiveProcesses().Count} CLIs are live, the cap is 2");

        var first = await node.Sessions.GetAsync("burst-0");
        Assert.Equal("Your name is User0!", await first.FinalTextAsync("What is my name?"));
        Assert.True(await ProcessTable.WaitUntilAsync(() => node.Sandbox.LiveProcesses().Count <= 2, TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task The_directory_shows_each_live_sessions_cli_memory_and_sessions_info_its_limit()
    {
        if (!OperatingSystem.IsLinux()) return;
        var node = await Node(TestPaths.FakeCli, options: new ClaudeClusterOptions { MemoryBudget = ByteSize.Parse("4GiB") });
        var session = await node.Sessions.StartAsync(new SessionOptions { Name = "measured", CliMemoryLimit = ByteSize.Parse("1GiB") });
        Assert.Equal("grown", await session.FinalTextAsync("[grow:32]Say exactly: grown"));
        // Measured after the turn off the session's thread, reported to the entity, written to the directory.
        var entry = await AssertEventually(async () =>
        {
            var e = Assert.Single(await node.Client.ListDirectoryAsync(), e => e.Name == "measured");
            Assert.True(e.CliMemory?.Bytes > 32L << 20, $"directory memory {e.CliMemory}");
            return e;
        });
        var info = await session.GetInfoAsync();
        Assert.Equal(ByteSize.Parse("1GiB"), info.CliMemoryLimit);
        Assert.Equal(0, info.RecycleCount);
        Assert.True(info.CliMemory?.Bytes > 32L << 20, $"info memory {info.CliMemory}, directory {entry.CliMemory}");
    }

    [Fact]
    public async Task Sqlite_keeps_the_conversation_across_a_full_restart_and_terminate_forgets_it()
    {
        var first = await Node(TestPaths.FakeCli);
        var session = await first.Sessions.StartAsync(new SessionOptions { Name = "durable" });
        await session.FinalTextAsync("My name is Quinn");
        var gone = await first.Sessions.StartAsync(new SessionOptions { Name = "gone" });
        await gone.FinalTextAsync("hi");
        await first.Sessions.TerminateAsync("gone");
        await first.StopAsync();

        var second = await Node(TestPaths.FakeCli, workingDirectory: first.Sandbox.WorkDir);
        // The new cluster's directory starts empty; the journal's sessions are listed again, without starting a CLI.
        await AssertEventually(async () => Assert.True(Assert.Single(await second.Client.ListDirectoryAsync(), e => e.Name == "durable").Passivated));
        Assert.Empty(second.Sandbox.LiveProcesses());
        Assert.DoesNotContain(await second.Client.ListDirectoryAsync(), e => e.Name == "gone"); // terminated: its journal is gone
        var back = await second.Sessions.GetAsync("durable");
        Assert.Equal("Your name is Quinn!", await back.FinalTextAsync("What is my name?"));

        await second.Sessions.TerminateAsync("durable");
        await Assert.ThrowsAsync<SessionNotFoundException>(() => second.Sessions.GetAsync("durable"));
        var fresh = await second.Sessions.StartAsync(new SessionOptions { Name = "durable" });
        Assert.Equal("I don't know your name.", await fresh.FinalTextAsync("What is my name?"));
    }

    [Fact]
    public async Task An_answered_turn_is_already_in_the_journal_and_snapshots_keep_the_conversation()
    {
        var first = await Node(TestPaths.RealCli);
        var session = await first.Sessions.StartAsync(new SessionOptions { Name = "journaled" });
        // Events: created, session id, then one or two per turn (a line still being written is taken with the next
        // turn's); the 20th brings a snapshot, after turn 9 at the earliest.
        for (var i = 0; i < 22; i++)
        {
            Assert.Equal($"Nice to meet you, Journal{i}.", await session.FinalTextAsync($"My name is Journal{i}"));
            // Read at once, with no grace period: the answer was held until its transcript lines were journaled.
            Assert.Contains($"Nice to meet you, Journal{i}.", JournalText("claude-session-journaled", "journal", "message"));
        }
        // The snapshot store is written on its own, after the journal: it may come a moment later.
        await AssertEventually(() =>
        {
            Assert.Contains("Nice to meet you, Journal8.", JournalText("claude-session-journaled", "snapshot", "snapshot"));
            return Task.CompletedTask;
        });
        await first.StopAsync();

        // Recovery from the snapshot plus the events after it.
        var second = await Node(TestPaths.RealCli, workingDirectory: first.Sandbox.WorkDir);
        var back = await second.Sessions.GetAsync("journaled");
        Assert.Equal("Your name is Journal21!", await back.FinalTextAsync("What is my name?"));
    }

    [Fact]
    public async Task The_journal_is_fed_from_mirror_frames_not_the_transcript_file_and_another_node_resumes_from_it()
    {
        var first = await Node(TestPaths.RealCli);
        var session = await first.Sessions.StartAsync(new SessionOptions { Name = "mirrored" });
        Assert.Equal("OK, I will remember the code.", await session.FinalTextAsync("Remember: the code is 4242"));
        var id = await session.GetSessionIdAsync();
        var file = Path.Combine(ClaudeActors.History.ConversationHistory.ProjectsDirectory(first.Sandbox.ConfigDir),
            ClaudeActors.History.ConversationHistory.EncodeProjectPath(first.Sandbox.WorkDir), id + ".jsonl");
        Assert.True(File.Exists(file));
        // The CLI's file loses its first turn: a journal copied from the file would now miss it (or start over).
        File.Delete(file);
        Assert.Equal("Nice to meet you, Mirrored.", await session.FinalTextAsync("My name is Mirrored"));
        var journal = JournalText("claude-session-mirrored", "journal", "message");
        Assert.Contains("Remember: the code is 4242", journal);
        Assert.Contains("Nice to meet you, Mirrored.", journal);
        // Only what the CLI mirrors: its request replay records stay in its own file.
        Assert.DoesNotContain("api-request-shape", journal);
        await first.StopAsync();

        // Another node (its own config dir) writes the transcript back from the journal and resumes with both turns.
        var second = await Node(TestPaths.RealCli, workingDirectory: first.Sandbox.WorkDir);
        var back = await second.Sessions.GetAsync("mirrored");
        Assert.Equal("The code is 4242.", await back.FinalTextAsync("What was the code?"));
        Assert.Equal("Your name is Mirrored!", await back.FinalTextAsync("What is my name?"));
        Assert.Equal(id, await back.GetSessionIdAsync());
    }

    [Fact]
    public async Task A_cli_that_sends_no_mirror_frames_is_journaled_from_its_transcript_file()
    {
        var first = await Node(TestPaths.FakeCli);
        // The fake CLI ignores --session-mirror with this set, like an older CLI.
        var session = await first.Sessions.StartAsync(new SessionOptions
        {
            Name = "unmirrored",
            Environment = new Dictionary<string, string> { ["FAKE_CLI_NO_MIRROR"] = "1" },
        });
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal($"Nice to meet you, Plain{i}.", await session.FinalTextAsync($"My name is Plain{i}"));
            Assert.Contains($"Nice to meet you, Plain{i}.", JournalText("claude-session-unmirrored", "journal", "message"));
        }
        await first.StopAsync();

        var second = await Node(TestPaths.FakeCli, workingDirectory: first.Sandbox.WorkDir);
        var back = await second.Sessions.GetAsync("unmirrored");
        Assert.Equal("Your name is Plain2!", await back.FinalTextAsync("What is my name?"));
    }

    /// <summary>Every row of the SQLite journal (or snapshot) table for one entity, as text.</summary>
    private string JournalText(string persistenceId, string table, string column)
    {
        using var connection = new SqliteConnection($"Data Source={_cluster.JournalFile};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {column} FROM {table} WHERE persistence_id = $id";
        command.Parameters.AddWithValue("$id", persistenceId);
        using var reader = command.ExecuteReader();
        var text = new System.Text.StringBuilder();
        while (reader.Read()) text.Append(System.Text.Encoding.UTF8.GetString((byte[])reader[0])).Append('\n');
        return text.ToString();
    }

    [PostgresFact]
    public async Task With_postgresql_a_session_survives_the_loss_of_its_node()
    {
        var pg = PostgresFactAttribute.ConnectionString!;
        var a = await Node(TestPaths.FakeCli, postgres: pg);
        var b = await Node(TestPaths.FakeCli, seed: a, workingDirectory: a.Sandbox.WorkDir, postgres: pg);
        var name = "pg-" + Guid.NewGuid().ToString("N")[..8]; // the database outlives test runs

        var session = await b.Sessions.StartAsync(new SessionOptions { Name = name });
        await session.FinalTextAsync("Remember: the code is 777");
        var id = await session.GetSessionIdAsync();
        var entry = await AssertEventually(async () => Assert.Single(await a.Client.ListDirectoryAsync(), e => e.Name == name));
        var (lost, survivor) = entry.Node == a.Address ? (a, b) : (b, a);
        await lost.StopAsync();

        var again = await survivor.Sessions.GetAsync(name);
        Assert.Equal("The code is 777.", await again.FinalTextAsync("What was the code?"));
        Assert.Equal(id, await again.GetSessionIdAsync());
        await survivor.Sessions.TerminateAsync(name);
    }

    private static async Task<T> AssertEventually<T>(Func<Task<T>> check)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                return await check();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static Task AssertEventually(Func<Task> check) => AssertEventually(async () =>
    {
        await check();
        return true;
    });
}
