using System.Diagnostics;
using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Testing;

namespace ClaudeActors.Benchmarks;

/// <summary>
/// turn and start: the same real CLI against the same fake Messages API, once through <see cref="ClaudeSession"/>
/// (actors, parser, backpressure) and once through <see cref="RawCli"/> (a bare pipe). The two are alternated
/// (ABAB, then BABA) so that drift in the machine's load hits both alike.
/// </summary>
internal static class SessionBenchmarks
{
    public const string Prompt = "Say exactly: ok";
    private const int WarmupTurns = 3;
    private static readonly TimeSpan TurnTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(100);

    public static async Task<List<Row>> TurnAsync(ActorSystem system, FakeMessagesApi api, int iterations, CancellationToken ct)
    {
        Console.WriteLine($"turn: {WarmupTurns} warm-up turns, then {iterations} measured turns each, alternating (load {Load.Now()})");
        var loadBefore = Load.Now();
        await using var sessionSandbox = new BenchSandbox(api.BaseUrl);
        await using var rawSandbox = new BenchSandbox(api.BaseUrl);
        var hostTimes = new List<double>();
        var rawTimes = new List<double>();
        var pairedDiffs = new List<double>();
        var mismatches = 0;

        var session = await WithTimeout(StartTimeout, ct, t => ClaudeSession.StartAsync(system, sessionSandbox.SessionOptions(), t));
        try
        {
            await using var raw = await WithTimeout(StartTimeout, ct, t => RawCli.StartAsync(rawSandbox, t));

            async Task<double> HostTurn()
            {
                var sw = Stopwatch.StartNew();
                var text = await WithTimeout(TurnTimeout, ct, t => session.FinalTextAsync(Prompt, null, t));
                var ms = sw.Elapsed.TotalMilliseconds;
                if (text != "ok") Interlocked.Increment(ref mismatches);
                return ms;
            }

            async Task<double> RawTurn()
            {
                var sw = Stopwatch.StartNew();
                var line = await WithTimeout(TurnTimeout, ct, t => raw.TurnAsync(Prompt, t));
                var ms = sw.Elapsed.TotalMilliseconds;
                if (!line.Contains("\"result\":\"ok\"") || line.Contains("\"is_error\":true")) Interlocked.Increment(ref mismatches);
                return ms;
            }

            for (var i = 0; i < WarmupTurns; i++)
            {
                await HostTurn();
                await Task.Delay(Pause, ct);
                await RawTurn();
                await Task.Delay(Pause, ct);
            }
            mismatches = 0;

            for (var i = 0; i < iterations; i++)
            {
                double h, r;
                if (i % 4 is 0 or 3)
                {
                    h = await HostTurn();
                    await Task.Delay(Pause, ct);
                    r = await RawTurn();
                }
                else
                {
                    r = await RawTurn();
                    await Task.Delay(Pause, ct);
                    h = await HostTurn();
                }
                await Task.Delay(Pause, ct);
                hostTimes.Add(h);
                rawTimes.Add(r);
                pairedDiffs.Add(h - r);
                Console.WriteLine($"  {i + 1,3}/{iterations}  ClaudeSession {h,7:F1} ms   raw pipe {r,7:F1} ms   load {Load.Now()}");
            }
        }
        finally
        {
            await session.StopAsync(CancellationToken.None);
        }

        var load = $"{loadBefore} -> {Load.Now()}";
        var host = Stats.Of(hostTimes);
        var rawStats = Stats.Of(rawTimes);
        var diff = Stats.Of(pairedDiffs);
        Console.WriteLine($"turn  ClaudeSession.FinalTextAsync: {host}");
        Console.WriteLine($"turn  raw pipe:                    {rawStats}");
        Console.WriteLine($"turn  host overhead: {host.Median - rawStats.Median:F1} ms (difference of medians), " +
                          $"{diff.Median:F1} ms (median of paired differences); answers not 'ok': {mismatches}");
        return
        [
            new("turn: ClaudeSession.FinalTextAsync", $"median {host.Median:F1} ms, p90 {host.P90:F1} ms (n={host.Count})", load),
            new("turn: raw pipe", $"median {rawStats.Median:F1} ms, p90 {rawStats.P90:F1} ms (n={rawStats.Count})", load),
            new("turn: host overhead", $"{Signed(host.Median - rawStats.Median)} ms (median of pairs {Signed(diff.Median)} ms)", load),
        ];
    }

    public static async Task<List<Row>> StartAsync(ActorSystem system, FakeMessagesApi api, int iterations, CancellationToken ct)
    {
        Console.WriteLine($"start: 1 warm-up start, then {iterations} measured starts each, alternating, fresh folders per start " +
                          $"(pooled: one folder, the pool's; load {Load.Now()})");
        var loadBefore = Load.Now();
        var hostTimes = new List<double>();
        var rawTimes = new List<double>();
        var pooledTimes = new List<double>();
        var pairedDiffs = new List<double>();

        // A warm pool of one CLI for the pooled starts: each is measured once the pool holds an idle, initialized CLI, so it
        // times the take, not the pool's refill (which overlaps the other starts).
        await using var poolSandbox = new BenchSandbox(api.BaseUrl);
        var pool = await Supervision.ClaudeSessions.Get(system).Supervisor.Ask<IActorRef>(
            new Supervision.SessionSupervisor.StartWarmPool([new Process.WarmPoolProfile(poolSandbox.SessionOptions(), 1)]), TimeSpan.FromSeconds(10), ct);

        async Task<double> PooledStart()
        {
            var deadline = DateTime.UtcNow + StartTimeout;
            while ((await pool.Ask<Process.WarmPoolState>(Process.GetWarmPoolState.Instance, TimeSpan.FromSeconds(10), ct)).Idle < 1)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("The warm pool did not refill.");
                await Task.Delay(20, ct);
            }
            var sw = Stopwatch.StartNew();
            var session = await WithTimeout(StartTimeout, ct, t => ClaudeSession.StartAsync(system, poolSandbox.SessionOptions(), t));
            var ms = sw.Elapsed.TotalMilliseconds;
            await session.StopAsync(CancellationToken.None);
            return ms;
        }

        async Task<double> HostStart()
        {
            await using var sandbox = new BenchSandbox(api.BaseUrl);
            var sw = Stopwatch.StartNew();
            var session = await WithTimeout(StartTimeout, ct, t => ClaudeSession.StartAsync(system, sandbox.SessionOptions(), t));
            var ms = sw.Elapsed.TotalMilliseconds;
            await session.StopAsync(CancellationToken.None);
            return ms;
        }

        async Task<double> RawStart()
        {
            await using var sandbox = new BenchSandbox(api.BaseUrl);
            var sw = Stopwatch.StartNew();
            var raw = await WithTimeout(StartTimeout, ct, t => RawCli.StartAsync(sandbox, t));
            var ms = sw.Elapsed.TotalMilliseconds;
            await raw.DisposeAsync();
            return ms;
        }

        await HostStart();
        await RawStart();
        await PooledStart();
        for (var i = 0; i < iterations; i++)
        {
            double h, r;
            if (i % 4 is 0 or 3)
            {
                h = await HostStart();
                await Task.Delay(Pause, ct);
                r = await RawStart();
            }
            else
            {
                r = await RawStart();
                await Task.Delay(Pause, ct);
                h = await HostStart();
            }
            await Task.Delay(Pause, ct);
            var p = await PooledStart();
            await Task.Delay(Pause, ct);
            pooledTimes.Add(p);
            hostTimes.Add(h);
            rawTimes.Add(r);
            pairedDiffs.Add(h - r);
            Console.WriteLine($"  {i + 1,3}/{iterations}  ClaudeSession {h,7:F1} ms   raw pipe {r,7:F1} ms   pooled {p,7:F1} ms   load {Load.Now()}");
        }

        // Its idle CLI ends with it, before its folder is removed.
        await pool.GracefulStop(TimeSpan.FromSeconds(10));
        var load = $"{loadBefore} -> {Load.Now()}";
        var host = Stats.Of(hostTimes);
        var rawStats = Stats.Of(rawTimes);
        var diff = Stats.Of(pairedDiffs);
        var pooled = Stats.Of(pooledTimes);
        Console.WriteLine($"start ClaudeSession.StartAsync -> Ready: {host}");
        Console.WriteLine($"start ClaudeSession.StartAsync -> Ready from the warm pool: {pooled}");
        Console.WriteLine($"start raw spawn -> initialize response:  {rawStats}");
        Console.WriteLine($"start host overhead: {host.Median - rawStats.Median:F1} ms (difference of medians), {diff.Median:F1} ms (median of paired differences)");
        return
        [
            new("start: ClaudeSession.StartAsync -> Ready", $"median {host.Median:F1} ms, p90 {host.P90:F1} ms (n={host.Count})", load),
            new("start: raw spawn -> initialize response", $"median {rawStats.Median:F1} ms, p90 {rawStats.P90:F1} ms (n={rawStats.Count})", load),
            new("start: host overhead", $"{Signed(host.Median - rawStats.Median)} ms (median of pairs {Signed(diff.Median)} ms)", load),
            new("start: ClaudeSession.StartAsync -> Ready, warm pool (goal <= 50 ms)", $"median {pooled.Median:F1} ms, p90 {pooled.P90:F1} ms (n={pooled.Count})", load),
        ];
    }

    private static async Task<T> WithTimeout<T>(TimeSpan timeout, CancellationToken ct, Func<CancellationToken, Task<T>> action)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            return await action(cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"No answer within {timeout.TotalSeconds:F0} s.");
        }
    }

    // "+1.2" / "-0.9" / "+0.0": a value that rounds to zero gets no minus sign.
    private static string Signed(double ms)
    {
        var rounded = Math.Round(ms, 1);
        return (rounded >= 0 ? "+" : "") + (rounded == 0 ? 0 : rounded).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
    }
}
