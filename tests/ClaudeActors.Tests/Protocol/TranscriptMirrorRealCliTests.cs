using System.Diagnostics;
using System.Text;
using ClaudeActors.History;
using ClaudeActors.Protocol;
using ClaudeActors.Tests.Infrastructure;
using Xunit;

namespace ClaudeActors.Tests.Protocol;

/// <summary>What the real CLI writes with <c>--session-mirror</c>, and that the parser keeps its entries byte for byte.</summary>
public sealed class TranscriptMirrorRealCliTests : FakeApiTestBase
{
    [Fact]
    public async Task Mirror_frames_carry_the_transcript_files_lines_byte_for_byte_and_cost_state_comes_after_the_result()
    {
        var lines = await RunOneTurnAsync(TestPaths.RealCli, "My name is Mirror");

        var parsed = lines.Select(l => MessageParser.Parse(l).Message).ToList();
        var frames = parsed.OfType<TranscriptMirrorMessage>().ToList();
        Assert.NotEmpty(frames);
        var resultIndex = parsed.FindIndex(m => m is ResultMessage);
        Assert.True(resultIndex > 0, "a result line");
        var sessionId = ((ResultMessage)parsed[resultIndex]!).SessionId!;
        var expected = Path.Combine(ConversationHistory.ProjectsDirectory(Sandbox.ConfigDir),
            ConversationHistory.EncodeProjectPath(Sandbox.WorkDir), sessionId + ".jsonl");
        // The frames name the very file the entity writes back to (same config dir, same separators).
        Assert.All(frames, f => Assert.Equal(expected, f.FilePath));

        // Joined, the entries are the file's lines byte for byte, in order — all but the CLI's request replay
        // records (api-request, api-request-shape, api-request-blob), which it writes to the file only.
        var mirrored = string.Concat(frames.Select(f => f.ToTranscriptText()));
        var fileLines = (await File.ReadAllLinesAsync(expected)).ToList();
        var unmirrored = fileLines.Where(l => !mirrored.Contains(l + "\n")).Select(TypeOf).Distinct().Order().ToList();
        Assert.All(unmirrored, t => Assert.StartsWith("api-request", t));
        Assert.Equal(string.Concat(fileLines.Where(l => !TypeOf(l).StartsWith("api-request", StringComparison.Ordinal)).Select(l => l + "\n")), mirrored);

        // Entries come before the result (the user line, the assistant's), and one after it: cost-state, on exit.
        var before = parsed.Take(resultIndex).OfType<TranscriptMirrorMessage>().SelectMany(f => f.Entries).ToList();
        var after = parsed.Skip(resultIndex).OfType<TranscriptMirrorMessage>().SelectMany(f => f.Entries).ToList();
        Assert.Contains(before, e => e.Contains("\"type\":\"user\"") && e.Contains("My name is Mirror"));
        Assert.Contains(before, e => e.Contains("\"type\":\"assistant\"") && e.Contains("Nice to meet you, Mirror."));
        Assert.Contains(after, e => e.Contains("\"type\":\"cost-state\""));
    }

    [Fact]
    public async Task Without_the_flag_the_cli_writes_no_mirror_frames()
    {
        var lines = await RunOneTurnAsync(TestPaths.RealCli, "My name is Plain", mirror: false);
        Assert.Contains(lines, l => l.Contains("\"type\":\"result\""));
        Assert.DoesNotContain(lines, l => l.Contains("transcript_mirror"));
    }

    [Fact]
    public async Task The_fake_cli_mirrors_its_transcript_like_the_real_one()
    {
        var lines = await RunOneTurnAsync(TestPaths.FakeCli, "My name is Fake");
        var parsed = lines.Select(l => MessageParser.Parse(l).Message).ToList();
        var resultIndex = parsed.FindIndex(m => m is ResultMessage);
        var frames = parsed.OfType<TranscriptMirrorMessage>().ToList();
        Assert.NotEmpty(frames);
        Assert.Equal(await File.ReadAllTextAsync(frames[0].FilePath), string.Concat(frames.Select(f => f.ToTranscriptText())));
        Assert.Contains(parsed.Skip(resultIndex).OfType<TranscriptMirrorMessage>().SelectMany(f => f.Entries), e => e.Contains("\"type\":\"cost-state\""));
    }

    private static string TypeOf(string line) => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("type").GetString()!;

    /// <summary>One turn through a CLI process; all its stdout lines, up to its exit after stdin closes.</summary>
    private async Task<List<string>> RunOneTurnAsync(string cli, string prompt, bool mirror = true)
    {
        var start = new ProcessStartInfo(cli)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Sandbox.WorkDir,
        };
        foreach (var arg in new[] { "--output-format", "stream-json", "--input-format", "stream-json", "--verbose" }) start.ArgumentList.Add(arg);
        if (mirror) start.ArgumentList.Add("--session-mirror");
        foreach (var (key, value) in Sandbox.Environment) start.Environment[key] = value;
        using var process = System.Diagnostics.Process.Start(start)!;
        _ = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(OutboundFrames.UserText(prompt));
        await process.StandardInput.FlushAsync();
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            lines.Add(line);
            // The CLI writes its cost-state when it ends (seen: not in 3 s after the result, at once after stdin closed).
            if (line.Contains("\"type\":\"result\"")) process.StandardInput.Close();
        }
        await process.WaitForExitAsync(timeout.Token);
        return lines;
    }
}
