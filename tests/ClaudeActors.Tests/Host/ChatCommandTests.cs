using System.Diagnostics;
using SystemProcess = System.Diagnostics.Process;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

// Not ClaudeActors.Tests.Host: that namespace would hide Microsoft.Extensions.Hosting.Host from the other tests.
namespace ClaudeActors.Tests.CommandLine;

/// <summary>
/// <c>claude-actors chat</c> end to end: the built host runs as its own process (as a user would start it), with
/// the real claude CLI against the fake Messages API and input piped on stdin.
/// </summary>
public sealed class ChatCommandTests(ITestOutputHelper output) : FakeApiTestBase
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Chat_streams_two_turns_that_share_context_and_quits_cleanly()
    {
        var run = await RunHostAsync(
            ["chat", "--cli-path", TestPaths.RealCli, "--cwd", Sandbox.WorkDir],
            "My name is Alice\nWhat is my name?\n/quit\n");

        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}; stderr:\n{run.Stderr}");
        Assert.Contains("Nice to meet you, Alice.", run.Stdout);
        Assert.Contains("Your name is Alice!", run.Stdout);
        Assert.True(run.Stdout.IndexOf("Nice to meet you", StringComparison.Ordinal) < run.Stdout.IndexOf("Your name is", StringComparison.Ordinal));
        // The second answer needed the first turn: both went through one CLI process and one conversation.
        Assert.Contains(Api.ConversationRequests[^1].UserTexts, t => t.Contains("My name is Alice"));
        Assert.Empty(Sandbox.LiveProcesses());
    }

    [Fact]
    public async Task Context_and_restart_commands_answer_and_the_conversation_goes_on_after_a_restart()
    {
        var run = await RunHostAsync(
            ["chat", "--cli-path", TestPaths.RealCli, "--cwd", Sandbox.WorkDir],
            "My name is Alice\n/context\n/restart\nWhat is my name?\n/quit\n");

        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}; stderr:\n{run.Stderr}");
        Assert.Matches(@"context: [\d,]+ of [\d,]+ tokens \(\d+(\.\d)?%\)", run.Stderr);
        Assert.Matches(@"restarted: CLI process \d+, same conversation \([0-9a-f-]{36}\)\.", run.Stderr);
        Assert.Contains("Your name is Alice!", run.Stdout);
        Assert.Empty(Sandbox.LiveProcesses());
    }

    [Fact]
    public async Task A_missing_cli_exits_with_code_3_and_one_line_on_stderr()
    {
        var run = await RunHostAsync(["chat", "--cli-path", "/nonexistent/claude", "--cwd", Sandbox.WorkDir], "");

        Assert.Equal(3, run.ExitCode);
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.Contains("not found", line);
        Assert.Contains("--cli-path", line);
        Assert.DoesNotContain("Exception", run.Stderr);
        Assert.DoesNotContain(" at ", run.Stderr.Replace("not found at", "", StringComparison.Ordinal));
        Assert.Equal("", run.Stdout);
    }

    private async Task<HostRun> RunHostAsync(IReadOnlyList<string> arguments, string stdin)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Sandbox.WorkDir,
        };
        start.ArgumentList.Add(HostDll());
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in Sandbox.Environment) start.Environment[key] = value;
        start.Environment.Remove("CLAUDE_CLI_PATH");

        using var process = SystemProcess.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();

        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"claude-actors did not exit within {RunTimeout}.\nstdout:\n{await stdout}\nstderr:\n{await stderr}");
        }
        var run = new HostRun(process.ExitCode, await stdout, await stderr);
        output.WriteLine($"exit code {run.ExitCode}\n--- stdout\n{run.Stdout}\n--- stderr\n{run.Stderr}");
        return run;
    }

    /// <summary>The host built with the tests' configuration (the project reference builds it first).</summary>
    private static string HostDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = Path.Combine(TestPaths.RepoRoot, "src", "ClaudeActors.Host", "bin", configuration, "net10.0", "claude-actors.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException("The host was not built: " + path);
    }

    private sealed record HostRun(int ExitCode, string Stdout, string Stderr);
}
