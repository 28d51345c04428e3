using System.Text.Json;
using System.Text.RegularExpressions;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.CommandLine;

/// <summary>
/// <c>claude-actors node</c> in cluster mode (a cluster of one on a random port, SQLite journal in a temp dir,
/// the fake CLI) driven by the operator commands and <c>chat --join</c>, each its own process as an operator
/// would run them.
/// </summary>
public sealed class ClusterCommandTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly CliSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private NodeProcess StartNode(params (string Key, string Value)[] environment) => StartNode([], environment);

    private NodeProcess StartNode(string[] arguments, params (string Key, string Value)[] environment)
    {
        var env = new Dictionary<string, string>
        {
            ["ClaudeActors__Defaults__CliPath"] = TestPaths.FakeCli,
            ["ClaudeActors__Defaults__WorkingDirectory"] = _sandbox.WorkDir,
        };
        foreach (var (key, value) in environment) env[key] = value;
        return NodeProcess.Start(_sandbox, ["--port", "0", "--data-dir", Path.Combine(_sandbox.Root, "data"), .. arguments], env, output);
    }

    private Task<HostRun> Run(params string[] arguments) => HostProcess.RunAsync(_sandbox, arguments, output);

    [Fact]
    public async Task Sessions_commands_start_list_and_stop_sessions_of_a_running_node()
    {
        await using var node = StartNode(("ClaudeActors__Sessions__0__Name", "alpha"));
        var seed = await node.WaitUntilStartedAsync(StartTimeout);
        Assert.Contains("persistence Sqlite (" + Path.Combine(_sandbox.Root, "data", "claude-actors.db") + ")", node.Log);

        var start = await Run("sessions", "start", "beta", "--seed", seed);
        Assert.True(start.ExitCode == 0, start.Stderr);
        Assert.Contains("beta", start.Stdout);
        // The session was journaled in the node's SQLite file.
        Assert.True(File.Exists(Path.Combine(_sandbox.Root, "data", "claude-actors.db")));

        var list = await Run("sessions", "list", "--seed", seed);
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Matches(@"\balpha\b.*" + Regex.Escape(seed), list.Stdout);
        Assert.Matches(@"\bbeta\b.*" + Regex.Escape(seed), list.Stdout);

        var json = await Run("sessions", "list", "--seed", seed, "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        var rows = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["alpha", "beta"], rows.Select(r => r.GetProperty("name").GetString()));
        Assert.All(rows, r => Assert.Equal(seed, r.GetProperty("node").GetString()));

        var restart = await Run("sessions", "restart", "beta", "--seed", seed);
        Assert.True(restart.ExitCode == 0, restart.Stderr);
        Assert.Matches(@"session 'beta' restarted: CLI process \d+, session id [0-9a-f-]{36}\.", restart.Stdout);
        var info = await Run("sessions", "info", "beta", "--seed", seed);
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Matches(@"CLI process\s*│\s*\d+", info.Stdout);
        Assert.Matches(@"CLI memory \(PSS\)\s*│\s*\d+\.\dMiB", info.Stdout); // what the CLI's process tree costs now
        var missing = await Run("sessions", "restart", "nobody", "--seed", seed);
        Assert.Equal(8, missing.ExitCode);

        var stop = await Run("sessions", "stop", "beta", "--seed", seed);
        Assert.True(stop.ExitCode == 0, stop.Stderr);

        var after = await Run("sessions", "list", "--seed", seed);
        Assert.True(after.ExitCode == 0, after.Stderr);
        Assert.Contains("alpha", after.Stdout);
        Assert.DoesNotContain("beta", after.Stdout);

        // No --seed: the commands default to this machine's node (127.0.0.1 and the configured port, 4053 unless set).
        var localPort = new Dictionary<string, string> { ["ClaudeActors__Node__Port"] = new Uri(seed.Replace("akka.tcp://", "tcp://")).Port.ToString() };
        var unseeded = await HostProcess.RunAsync(_sandbox, ["sessions", "list"], output, environment: localPort);
        Assert.True(unseeded.ExitCode == 0, unseeded.Stderr);
        Assert.Contains("alpha", unseeded.Stdout);
        var chat = await HostProcess.RunAsync(_sandbox, ["chat", "alpha", "--join"], output, "Say exactly: joined\n/quit\n", environment: localPort);
        Assert.True(chat.ExitCode == 0, chat.Stderr);
        Assert.Contains("joined", chat.Stdout);

        Assert.Equal(0, await node.TerminateAsync(StopTimeout));
        Assert.True(await ProcessTable.WaitUntilAsync(() => _sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(5)),
            "a process of the sandbox outlived the node: " + string.Join(", ", _sandbox.LiveProcesses()));
    }

    [Fact]
    public async Task Chat_joins_a_running_node_and_talks_to_its_named_session_which_keeps_its_context()
    {
        await using var node = StartNode();
        var seed = await node.WaitUntilStartedAsync(StartTimeout);

        var first = await HostProcess.RunAsync(_sandbox, ["chat", "ann", "--join", seed], output, "My name is Ann\n/quit\n");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("Nice to meet you, Ann.", first.Stdout);

        // A second chat finds the same session (it kept running on the node) and its conversation.
        var second = await HostProcess.RunAsync(_sandbox, ["chat", "ann", "--join", seed], output, "What is my name?\n/quit\n");
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("Your name is Ann!", second.Stdout);

        Assert.Equal(0, await node.TerminateAsync(StopTimeout));
        Assert.True(await ProcessTable.WaitUntilAsync(() => _sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Node_with_json_logs_writes_one_object_per_line_with_the_session_name_and_id_as_scopes()
    {
        await using var node = StartNode(["--log-format", "json", "--verbose"], ("ClaudeActors__Sessions__0__Name", "alpha"));
        await node.WaitUntilStartedAsync(StartTimeout);

        var deadline = DateTime.UtcNow + StartTimeout;
        JsonElement? cliStarted = null;
        while (cliStarted is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            cliStarted = JsonLines(node.Log).Cast<JsonElement?>().FirstOrDefault(e => e!.Value.GetProperty("Message").GetString()!.Contains("claude CLI started"));
        }
        Assert.True(cliStarted is not null, "no 'claude CLI started' line:\n" + node.Log);
        var line = cliStarted.Value;
        Assert.Equal("Debug", line.GetProperty("LogLevel").GetString());
        var scope = Assert.Single(line.GetProperty("Scopes").EnumerateArray());
        Assert.Equal("alpha", scope.GetProperty("SessionName").GetString());
        Assert.True(Guid.TryParse(scope.GetProperty("SessionId").GetString(), out _), scope.ToString());

        Assert.Equal(0, await node.TerminateAsync(StopTimeout));
        // Every line the node wrote on stderr is one JSON object (JsonLines throws on any other).
        Assert.NotEmpty(JsonLines(node.Log));
    }

    private static List<JsonElement> JsonLines(string log) => log
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Where(l => !l.StartsWith("stdout: ", StringComparison.Ordinal))
        .Select(l => JsonDocument.Parse(l).RootElement.Clone())
        .ToList();

    [Fact]
    public async Task A_node_without_any_credential_for_the_cli_says_so_once_and_a_turn_fails_not_authenticated()
    {
        // The real CLI, with no key, no token and no login in its HOME (the sandbox's).
        await using var node = StartNode(("ClaudeActors__Defaults__CliPath", TestPaths.RealCli), ("ANTHROPIC_API_KEY", ""));
        var seed = await node.WaitUntilStartedAsync(StartTimeout);
        Assert.Single(node.Log.Split('\n'), l => l.Contains("no credential for the claude CLI") && l.Contains("ANTHROPIC_API_KEY"));

        var chat = await HostProcess.RunAsync(_sandbox, ["chat", "nokey", "--join", seed], output, "hello\n/quit\n");
        // The turn fails typed (NotAuthenticatedException, reported as such); the chat goes on to /quit.
        Assert.True(chat.ExitCode == 0, $"exit {chat.ExitCode}: {chat.Stderr}");
        Assert.Contains("error: not authenticated:", chat.Stderr);
        Assert.Contains("Not logged in", chat.Stderr);
        Assert.Equal(0, await node.TerminateAsync(StopTimeout));
    }

    [Fact]
    public async Task A_node_isolates_its_sessions_under_its_data_directory_by_default_and_stop_removes_their_folders()
    {
        await using var node = StartNode();
        var seed = await node.WaitUntilStartedAsync(StartTimeout);
        var sessions = Path.Combine(_sandbox.Root, "data", "sessions");
        Assert.Contains("sessions are isolated", node.Log);
        var start = await Run("sessions", "start", "Tenant/../A", "--seed", seed);
        Assert.NotEqual(0, start.ExitCode); // a name with a separator never becomes a session, nor a folder
        start = await Run("sessions", "start", "tenant-a", "--seed", seed);
        Assert.True(start.ExitCode == 0, start.Stderr);
        var folder = Assert.Single(Directory.GetDirectories(sessions));
        Assert.StartsWith("tenant-a-", Path.GetFileName(folder));
        Assert.True(Directory.Exists(Path.Combine(folder, "config")) && Directory.Exists(Path.Combine(folder, "work")));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        var stop = await Run("sessions", "stop", "tenant-a", "--seed", seed);
        Assert.True(stop.ExitCode == 0, stop.Stderr);
        Assert.Empty(Directory.GetDirectories(sessions));
        Assert.Equal(0, await node.TerminateAsync(StopTimeout));
    }

    [Fact]
    public async Task Isolation_false_leaves_sessions_in_the_nodes_own_directories()
    {
        await using var node = StartNode(("ClaudeActors__Cluster__Isolation", "false"));
        var seed = await node.WaitUntilStartedAsync(StartTimeout);
        Assert.Contains("sessions share the node's config dir", node.Log);
        var start = await Run("sessions", "start", "shared", "--seed", seed);
        Assert.True(start.ExitCode == 0, start.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_sandbox.Root, "data", "sessions")));
        Assert.Equal(0, await node.TerminateAsync(StopTimeout));
    }

    [Fact]
    public async Task A_node_with_a_key_gives_no_credential_warning()
    {
        await using var node = StartNode();
        await node.WaitUntilStartedAsync(StartTimeout);
        Assert.DoesNotContain("no credential", node.Log);
        Assert.Equal(0, await node.TerminateAsync(StopTimeout));
    }

    [Fact]
    public async Task A_second_node_on_a_port_in_use_fails_with_one_line_instead_of_sharing_it()
    {
        await using var first = StartNode();
        var seed = await first.WaitUntilStartedAsync(StartTimeout);
        var port = new Uri(seed.Replace("akka.tcp://claude-actors@", "tcp://")).Port;

        // On Linux, Akka's default socket option would let both listen (SO_REUSEPORT) and split connections between them.
        var second = await Run("node", "--port", port.ToString(), "--data-dir", Path.Combine(_sandbox.Root, "data2"));

        Assert.Equal(1, second.ExitCode);
        // One error line (Akka's own log lines about the failed bind may be flushed around it).
        var error = Assert.Single(second.StderrLines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Equal($"error: cannot listen on 127.0.0.1:{port}: the address is in use (is another node running there?); choose another with --port.", error);
        var list = await Run("sessions", "list", "--seed", seed);
        Assert.True(list.ExitCode == 0, list.Stderr); // the first node still answers alone
    }

    [Fact]
    public async Task Sessions_list_without_a_cluster_at_the_seed_fails_with_one_line()
    {
        var run = await HostProcess.RunAsync(_sandbox, ["sessions", "list", "--seed", "akka.tcp://claude-actors@127.0.0.1:1"], output,
            timeout: TimeSpan.FromSeconds(30));

        Assert.Equal(7, run.ExitCode);
        var line = Assert.Single(run.StderrLines);
        Assert.StartsWith("error: no cluster answered at akka.tcp://claude-actors@127.0.0.1:1", line);
        Assert.Equal("", run.Stdout);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(25), $"took {run.Elapsed}");
    }

    [Theory]
    [InlineData("not-an-address", "is not an address")]
    [InlineData("akka.tcp://other@127.0.0.1:4053", "names the actor system 'other'")]
    public async Task Sessions_with_an_invalid_seed_fails_at_once_with_code_2(string seed, string message)
    {
        var run = await Run("sessions", "list", "--seed", seed);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, Assert.Single(run.StderrLines));
    }

    [Theory]
    [InlineData("--memory-budget", "lots")]
    [InlineData("--cli-memory-limit", "-1G")]
    [InlineData("--memory-budget", "0")]
    public async Task Node_with_a_size_that_is_not_one_fails_at_once_with_code_2(string flag, string value)
    {
        var run = await Run("node", flag, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{flag}: '{value}' is not a size", run.Stderr);
    }
}
