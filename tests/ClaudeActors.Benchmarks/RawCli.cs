using System.Diagnostics;
using System.Text;

namespace ClaudeActors.Benchmarks;

/// <summary>
/// The baseline: the same CLI driven through a minimal direct pipe (no actors, no parsing beyond a substring
/// test). Started with exactly <c>--output-format stream-json --input-format stream-json --verbose</c>.
/// </summary>
internal sealed class RawCli : IAsyncDisposable
{
    private const string InitializeRequest =
        "{\"type\":\"control_request\",\"request_id\":\"init\",\"request\":{\"subtype\":\"initialize\"}}";

    private readonly System.Diagnostics.Process _process;
    private readonly Stream _stdin;
    private readonly StreamReader _stdout;
    private readonly Queue<string> _stderrTail = new();

    private RawCli(System.Diagnostics.Process process)
    {
        _process = process;
        _stdin = process.StandardInput.BaseStream;
        _stdout = new StreamReader(process.StandardOutput.BaseStream, new UTF8Encoding(false), false, 64 * 1024);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderrTail)
            {
                _stderrTail.Enqueue(e.Data);
                while (_stderrTail.Count > 20) _stderrTail.Dequeue();
            }
        };
        process.BeginErrorReadLine();
    }

    /// <summary>Starts the CLI and returns once its answer to the initialize control_request has arrived.</summary>
    public static async Task<RawCli> StartAsync(BenchSandbox sandbox, CancellationToken ct)
    {
        var info = new ProcessStartInfo(BenchPaths.SessionCli)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = sandbox.WorkDir,
        };
        foreach (var arg in new[] { "--output-format", "stream-json", "--input-format", "stream-json", "--verbose" })
            info.ArgumentList.Add(arg);
        foreach (var (key, value) in sandbox.Environment) info.Environment[key] = value;

        var cli = new RawCli(System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned null."));
        try
        {
            await cli.WriteLineAsync(InitializeRequest, ct);
            await cli.ReadUntilAsync(l => l.Contains("\"type\":\"control_response\"") && l.Contains("\"request_id\":\"init\""), ct);
            return cli;
        }
        catch
        {
            await cli.DisposeAsync();
            throw;
        }
    }

    /// <summary>One turn: writes the user message and reads lines until the result line; returns that line.</summary>
    public async Task<string> TurnAsync(string prompt, CancellationToken ct)
    {
        var escaped = System.Text.Json.JsonEncodedText.Encode(prompt).ToString();
        await WriteLineAsync(
            "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"" + escaped + "\"},\"parent_tool_use_id\":null,\"session_id\":\"\"}", ct);
        return await ReadUntilAsync(l => l.Contains("\"type\":\"result\""), ct);
    }

    private async Task WriteLineAsync(string line, CancellationToken ct)
    {
        await _stdin.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), ct);
        await _stdin.FlushAsync(ct);
    }

    private async Task<string> ReadUntilAsync(Func<string, bool> done, CancellationToken ct)
    {
        while (true)
        {
            var line = await _stdout.ReadLineAsync(ct);
            if (line is null)
                throw new InvalidOperationException("The CLI closed stdout. stderr tail:\n" + StderrTail());
            if (done(line)) return line;
        }
    }

    public string StderrTail()
    {
        lock (_stderrTail) return string.Join("\n", _stderrTail);
    }

    /// <summary>Closes stdin (the CLI exits by itself), waits up to 5 s, then kills its process tree.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            _stdin.Close();
        }
        catch (IOException)
        {
        }
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
