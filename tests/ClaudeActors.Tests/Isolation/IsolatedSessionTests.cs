using ClaudeActors.Client;
using ClaudeActors.History;
using ClaudeActors.Testing;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Isolation;

/// <summary>
/// Isolated sessions (local mode) driven through the real claude CLI against the fake API: what the config dir and
/// working directory of each session separate, and, with the sandbox, what Bash can no longer reach.
/// </summary>
public sealed class IsolatedSessionTests : SessionTestKit
{
    private readonly ITestOutputHelper _output;

    public IsolatedSessionTests(ITestOutputHelper output) : base(output) => _output = output;

    private IsolationLayout UseIsolation()
    {
        var layout = new IsolationLayout(Path.Combine(Sandbox.Root, "data"));
        ClaudeActors.Process.SessionConfiguration.Get(Sys).Isolation = layout;
        return layout;
    }

    /// <summary>The test's CLI environment without a config dir: isolation picks it.</summary>
    private SessionOptions Isolated(string name, Func<SessionOptions, SessionOptions>? configure = null)
    {
        var environment = Sandbox.Environment.Where(kv => kv.Key != "CLAUDE_CONFIG_DIR").ToDictionary();
        var options = new SessionOptions { Name = name, CliPath = TestPaths.RealCli, Environment = environment };
        return configure is null ? options : configure(options);
    }

    private async Task<string> ToolTurnAsync(ClaudeSession session, string tool, object input)
    {
        Api.EnqueueReply(FakeReply.ToolUse(tool, input));
        await session.FinalTextAsync("use the tool");
        var result = Api.ConversationRequests[^1].LastUserMessage!.ToolResults.Single();
        _output.WriteLine($"{tool} {System.Text.Json.JsonSerializer.Serialize(input)} -> error={result.IsError}: {result.ToolResultText}");
        return result.ToolResultText ?? "";
    }

    private static string? TranscriptOf(string configDir, string sessionId) =>
        Directory.Exists(Path.Combine(configDir, "projects"))
            ? Directory.EnumerateFiles(Path.Combine(configDir, "projects"), sessionId + ".jsonl", SearchOption.AllDirectories).FirstOrDefault()
            : null;

    private async Task AssertNoCliLeftAsync(IsolationLayout layout, params string[] names)
    {
        foreach (var name in names)
        {
            var config = layout.For(name).Config;
            Assert.True(await ProcessTable.WaitUntilAsync(() => ProcessTable.WithEnvironmentValue("CLAUDE_CONFIG_DIR=" + config).Count == 0, TimeSpan.FromSeconds(10)),
                $"a CLI of '{name}' outlived its session");
        }
    }

    [Fact]
    public async Task Two_sessions_keep_their_transcripts_and_files_apart_and_answer_from_their_own_context()
    {
        var layout = UseIsolation();
        var a = await ClaudeSession.StartAsync(Sys, Isolated("client-a"));
        var b = await ClaudeSession.StartAsync(Sys, Isolated("client-b"));
        Assert.Equal("Nice to meet you, Alice.", await a.FinalTextAsync("My name is Alice"));
        Assert.Equal("Nice to meet you, Bob.", await b.FinalTextAsync("My name is Bob"));
        Assert.Equal("Your name is Alice!", await a.FinalTextAsync("What is my name?"));
        Assert.Equal("Your name is Bob!", await b.FinalTextAsync("What is my name?"));

        var dirsA = layout.For("client-a");
        var dirsB = layout.For("client-b");
        var idA = (await a.GetSessionIdAsync())!;
        var idB = (await b.GetSessionIdAsync())!;
        // Each transcript is in its own session's config dir only; nothing went to the test's shared one.
        Assert.NotNull(TranscriptOf(dirsA.Config, idA));
        Assert.Null(TranscriptOf(dirsA.Config, idB));
        Assert.NotNull(TranscriptOf(dirsB.Config, idB));
        Assert.Null(TranscriptOf(dirsB.Config, idA));
        Assert.Null(TranscriptOf(Sandbox.ConfigDir, idA));
        // The CLI ran in the session's working directory (the model is told its cwd in the system prompt).
        Assert.Contains(Api.ConversationRequests, r => r.RawBody.Contains(dirsA.Work, StringComparison.Ordinal));
        // History follows the session's config dir.
        var conversation = await a.GetConversationAsync();
        Assert.StartsWith(dirsA.Config + Path.DirectorySeparatorChar, conversation.FilePath);
        Assert.Contains("My name is Alice", File.ReadAllText(conversation.FilePath));
        Assert.DoesNotContain("Bob", File.ReadAllText(conversation.FilePath));

        // Terminating removes the session's folder, and only that one.
        var sessions = new ClaudeSessionsClient(Sys);
        await sessions.TerminateAsync("client-a");
        Assert.False(Directory.Exists(dirsA.Root));
        Assert.True(File.Exists(TranscriptOf(dirsB.Config, idB)));
        Assert.Equal("Your name is Bob!", await b.FinalTextAsync("What is my name?"));
        await sessions.TerminateAsync("client-b");
        await AssertNoCliLeftAsync(layout, "client-a", "client-b");
    }

    [Fact]
    public async Task A_session_may_write_in_its_own_working_directory_but_not_in_another_sessions()
    {
        var layout = UseIsolation();
        var a = await ClaudeSession.StartAsync(Sys, Isolated("writer-a", o => o with { PermissionMode = PermissionMode.AcceptEdits }));
        var b = await ClaudeSession.StartAsync(Sys, Isolated("writer-b", o => o with { PermissionMode = PermissionMode.AcceptEdits }));
        await b.FinalTextAsync("Say exactly: ready");
        var own = Path.Combine(layout.For("writer-a").Work, "own.txt");
        var foreign = Path.Combine(layout.For("writer-b").Work, "planted.txt");

        await ToolTurnAsync(a, "Write", new { file_path = own, content = "mine" });
        Assert.Equal("mine", File.ReadAllText(own));
        var refused = await ToolTurnAsync(a, "Write", new { file_path = foreign, content = "planted" });
        Assert.False(File.Exists(foreign), "session A wrote into session B's working directory: " + refused);
        Assert.Equal("Nice to meet you, Bea.", await b.FinalTextAsync("My name is Bea"));
        await Sys.Terminate();
        await AssertNoCliLeftAsync(layout, "writer-a", "writer-b");
    }

    /// <summary>Every tool runs unasked (as root the CLI wants IS_SANDBOX=1 for that).</summary>
    private static SessionOptions Bypassing(SessionOptions o) => o with
    {
        PermissionMode = PermissionMode.BypassPermissions,
        Environment = new Dictionary<string, string>(o.Environment) { ["IS_SANDBOX"] = "1" },
    };

    [Fact]
    public async Task Without_the_sandbox_a_Bash_command_of_the_same_user_can_read_another_sessions_transcript()
    {
        // The limit of directory isolation, shown so that the docs can say it: same uid, no sandbox, permissions bypassed.
        var layout = UseIsolation();
        var b = await ClaudeSession.StartAsync(Sys, Isolated("open-b"));
        await b.FinalTextAsync("Remember: the code is 4711");
        var transcriptB = TranscriptOf(layout.For("open-b").Config, (await b.GetSessionIdAsync())!)!;
        var a = await ClaudeSession.StartAsync(Sys, Isolated("open-a", Bypassing));
        var read = await ToolTurnAsync(a, "Bash", new { command = "cat " + transcriptB, description = "read b" });
        Assert.Contains("4711", read);
        await Sys.Terminate();
        await AssertNoCliLeftAsync(layout, "open-a", "open-b");
    }

    [Fact]
    public async Task With_the_sandbox_Bash_cannot_read_another_sessions_transcript_or_write_outside_its_directory()
    {
        var layout = UseIsolation();
        var sandbox = new SessionSandbox { Enabled = true, AutoAllowBashIfSandboxed = true };
        if (ClaudeActors.Process.SandboxRuntime.MissingReason is not null)
        {
            // No bubblewrap here: the session fails typed, it never runs unsandboxed.
            await Assert.ThrowsAsync<SandboxUnavailableException>(() => ClaudeSession.StartAsync(Sys, Isolated("reader-a", o => o with { Sandbox = sandbox })));
            return;
        }
        var b = await ClaudeSession.StartAsync(Sys, Isolated("victim-b"));
        await b.FinalTextAsync("Remember: the code is 4711");
        var transcriptB = TranscriptOf(layout.For("victim-b").Config, (await b.GetSessionIdAsync())!)!;
        Assert.Contains("4711", File.ReadAllText(transcriptB));

        // Permissions bypassed: nothing but the sandbox stands between A's Bash and B's files.
        var a = await ClaudeSession.StartAsync(Sys, Isolated("reader-a", o => Bypassing(o) with { Sandbox = sandbox }));
        var own = Path.Combine(layout.For("reader-a").Work, "note.txt");
        File.WriteAllText(own, "own-note-42");

        // The contrast: Bash runs, sandboxed, and reads its own folder.
        var ownRead = await ToolTurnAsync(a, "Bash", new { command = "cat " + own, description = "read own note" });
        Assert.Contains("own-note-42", ownRead);
        var foreignRead = await ToolTurnAsync(a, "Bash", new { command = "cat " + transcriptB, description = "read b" });
        Assert.DoesNotContain("4711", foreignRead);
        var outside = Path.Combine(Sandbox.Root, "outside.txt");
        await ToolTurnAsync(a, "Bash", new { command = "echo x > " + outside, description = "write outside" });
        Assert.False(File.Exists(outside), "a sandboxed Bash command wrote outside its working directory");
        await Sys.Terminate();
        await AssertNoCliLeftAsync(layout, "victim-b", "reader-a");
    }
}

/// <summary>The sandbox failing inside the CLI (bubblewrap there, but broken): no command runs unconfined.</summary>
public sealed class BrokenSandboxTests(ITestOutputHelper output) : SessionTestKit(output)
{
    [Fact]
    public async Task With_a_broken_bubblewrap_a_bash_command_does_not_run_unsandboxed()
    {
        if (!OperatingSystem.IsLinux() || ClaudeActors.Process.SandboxRuntime.MissingReason is not null) return; // the preflight answers first there
        // A bwrap that always fails, first on the CLI's PATH: the host's check passes, the CLI's use of the sandbox does not.
        var bin = Directory.CreateDirectory(Path.Combine(Sandbox.Root, "bin")).FullName;
        var bwrap = Path.Combine(bin, "bwrap");
        File.WriteAllText(bwrap, "#!/bin/sh\nexit 1\n");
        File.SetUnixFileMode(bwrap, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = new Dictionary<string, string>(Sandbox.Environment)
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["IS_SANDBOX"] = "1",
        };
        var options = Sandbox.RealCliOptions() with
        {
            Environment = environment, PermissionMode = PermissionMode.BypassPermissions, Sandbox = new SessionSandbox { Enabled = true },
        };
        var marker = Path.Combine(Sandbox.WorkDir, "ran.txt");
        try
        {
            await using var session = await ClaudeSession.StartAsync(Sys, options);
            Api.EnqueueReply(FakeReply.ToolUse("Bash", new { command = "echo ran > " + marker, description = "write marker" }));
            await session.FinalTextAsync("use the tool");
        }
        catch (ClaudeSessionException ex)
        {
            // The CLI refusing to start (failIfUnavailable) is typed as the host's own check.
            Assert.True(ex.Failure.Kind == FailureKind.SandboxUnavailable, ex.ToString());
        }
        Assert.False(File.Exists(marker), "a Bash command ran although the sandbox could not start");
    }
}
