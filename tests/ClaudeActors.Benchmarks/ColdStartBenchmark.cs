using System.Diagnostics;
using ClaudeActors.Testing;

namespace ClaudeActors.Benchmarks;

/// <summary>
/// coldstart: the whole-process time of a two-turn conversation in a fresh process (tests/ClaudeActors.ColdStart),
/// through ClaudeSession against a raw pipe to the same CLI, the two interleaved (ABBA) so drift hits both; the ratio is
/// the median of the pairs' ratios (goal ≤ 1.05). COLDSTART_EXE chooses another build of the child (e.g. a ReadyToRun
/// publish); every other environment variable (COLDSTART_HOCON, DOTNET_TieredPGO, ...) is passed on to it.
/// </summary>
internal static class ColdStartBenchmark
{
    public static string ChildPath => Environment.GetEnvironmentVariable("COLDSTART_EXE") ?? Path.Combine(BenchPaths.RepoRoot, "tests", "ClaudeActors.ColdStart", "bin",
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name, "net10.0", "claude-actors-coldstart");

    public static async Task<List<Row>> RunAsync(FakeMessagesApi api, int pairs, CancellationToken ct)
    {
        if (!File.Exists(ChildPath)) throw new FileNotFoundException("Build tests/ClaudeActors.ColdStart first (same configuration).", ChildPath);
        Console.WriteLine($"coldstart: {ChildPath}, 1 warm-up pair, then {pairs} pairs, ABBA (load {Load.Now()})");
        var loadBefore = Load.Now();
        var host = new List<double>();
        var raw = new List<double>();
        var ratios = new List<double>();
        await RunOnceAsync("host", api, ct);
        await RunOnceAsync("raw", api, ct);
        for (var i = 0; i < pairs; i++)
        {
            double h, r;
            if (i % 4 is 0 or 3)
            {
                h = await RunOnceAsync("host", api, ct);
                r = await RunOnceAsync("raw", api, ct);
            }
            else
            {
                r = await RunOnceAsync("raw", api, ct);
                h = await RunOnceAsync("host", api, ct);
            }
            host.Add(h);
            raw.Add(r);
            ratios.Add(h / r);
            Console.WriteLine($"  {i + 1,3}/{pairs}  ClaudeSession {h,7:F0} ms   raw pipe {r,7:F0} ms   ratio {h / r:F3}   load {Load.Now()}");
        }
        var load = $"{loadBefore} -> {Load.Now()}";
        var hs = Stats.Of(host);
        var rs = Stats.Of(raw);
        var ratio = Stats.Of(ratios);
        Console.WriteLine($"coldstart ClaudeSession: {hs}");
        Console.WriteLine($"coldstart raw pipe:      {rs}");
        Console.WriteLine($"coldstart ratio (median of pairs): {ratio.Median:F3}");
        return
        [
            new("coldstart: two-turn process, ClaudeSession", $"median {hs.Median:F0} ms (n={hs.Count})", load),
            new("coldstart: two-turn process, raw pipe", $"median {rs.Median:F0} ms (n={rs.Count})", load),
            new("coldstart: ratio, median of pairs (goal <= 1.05)", $"{ratio.Median:F3} (min {ratio.Min:F3}, max {ratio.Max:F3})", load),
        ];
    }

    private static async Task<double> RunOnceAsync(string mode, FakeMessagesApi api, CancellationToken ct)
    {
        var info = new ProcessStartInfo(ChildPath) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add(api.BaseUrl.ToString());
        var sw = Stopwatch.StartNew();
        using var process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned null.");
        var stderr = process.StandardError.ReadToEndAsync(ct);
        _ = process.StandardOutput.ReadToEndAsync(ct);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        var ms = sw.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0) throw new InvalidOperationException($"coldstart {mode} exited {process.ExitCode}: {await stderr}");
        return ms;
    }
}
