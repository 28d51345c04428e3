using System.Text.Json;
using System.Text.RegularExpressions;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.CommandLine;

/// <summary><c>claude-actors history</c>: a chat's transcript (written by the real CLI against the fake API) printed back.</summary>
public sealed class HistoryCommandTests(ITestOutputHelper output) : FakeApiTestBase
{
    [Fact]
    public async Task History_prints_both_turns_of_a_chat_in_order_and_as_json_lines()
    {
        var chat = await HostProcess.RunAsync(Sandbox, ["chat", "--cli-path", TestPaths.RealCli, "--cwd", Sandbox.WorkDir], output,
            "My name is Alice\nWhat is my name?\n/id\n/quit\n", TimeSpan.FromSeconds(60));
        Assert.True(chat.ExitCode == 0, chat.Stderr);
        var id = Regex.Match(chat.Stdout, @"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", RegexOptions.Multiline).Value;
        Assert.NotEmpty(id);

        var history = await HostProcess.RunAsync(Sandbox, ["history", id, "--config-dir", Sandbox.ConfigDir], output);
        Assert.True(history.ExitCode == 0, history.Stderr);
        var text = history.Stdout;
        int At(string expected)
        {
            var index = text.IndexOf(expected, StringComparison.Ordinal);
            Assert.True(index >= 0, $"'{expected}' is missing from:\n{text}");
            return index;
        }
        var positions = new[]
        {
            At("user: My name is Alice"), At("assistant: Nice to meet you, Alice."),
            At("user: What is my name?"), At("assistant: Your name is Alice!"),
        };
        Assert.Equal(positions.Order(), positions);

        var json = await HostProcess.RunAsync(Sandbox, ["history", id, "--config-dir", Sandbox.ConfigDir, "--json"], output);
        Assert.True(json.ExitCode == 0, json.Stderr);
        var lines = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 4, json.Stdout);
        var types = new List<string>();
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            types.Add(doc.RootElement.GetProperty("type").GetString()!);
            Assert.False(doc.RootElement.TryGetProperty("Type", out _), "a duplicate 'Type' property: " + line);
        }
        Assert.All(types, t => Assert.Contains(t, new[] { "user", "assistant" }));
        Assert.Contains(lines, l => l.Contains("My name is Alice", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Your name is Alice!", StringComparison.Ordinal));

        // Without an id: the stored conversations, this one with its first prompt.
        var list = await HostProcess.RunAsync(Sandbox, ["history", "--config-dir", Sandbox.ConfigDir, "--json"], output);
        Assert.True(list.ExitCode == 0, list.Stderr);
        using var stored = JsonDocument.Parse(Assert.Single(list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(id, stored.RootElement.GetProperty("session_id").GetString());
        Assert.Equal("My name is Alice", stored.RootElement.GetProperty("first_prompt").GetString());
        Assert.Equal(Path.GetFullPath(Sandbox.WorkDir), stored.RootElement.GetProperty("cwd").GetString());
        var table = await HostProcess.RunAsync(Sandbox, ["history", "--config-dir", Sandbox.ConfigDir], output);
        Assert.Contains(id, table.Stdout);
    }

    [Theory]
    [InlineData("not-a-session-id", 2, "is not a session id")]
    [InlineData("../../etc/passwd", 2, "is not a session id")]
    [InlineData("0b4f5a47-5d0a-4c47-9d5b-1f0c0e0a0a0a", 8, "No transcript for session")]
    public async Task History_of_an_invalid_or_unknown_id_fails_with_one_line(string id, int exitCode, string message)
    {
        var run = await HostProcess.RunAsync(Sandbox, ["history", id, "--config-dir", Sandbox.ConfigDir], output);

        Assert.Equal(exitCode, run.ExitCode);
        Assert.Contains(message, Assert.Single(run.StderrLines));
        Assert.Equal("", run.Stdout);
    }
}
