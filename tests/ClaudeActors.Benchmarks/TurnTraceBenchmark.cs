using System.Diagnostics;
using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Telemetry;
using ClaudeActors.Testing;

namespace ClaudeActors.Benchmarks;

/// <summary>
/// trace: where a turn's host time goes. Runs trivial turns through <see cref="ClaudeSession"/> with
/// <see cref="TurnTrace"/> on and splits each turn at the points it passes: the way in (call → session → CLI actor →
/// stdin flushed), the CLI's own time (flushed → the stdout read that brought the result line) and the way out (that
/// read → parsed → CLI actor → session → receiver → the caller's await returns). The host's time per turn is the way
/// in plus the way out; what lies between is the CLI's, which a raw pipe would wait for just the same.
/// </summary>
internal static class TurnTraceBenchmark
{
    private const int WarmupTurns = 5;

    public static async Task<List<Row>> RunAsync(ActorSystem system, FakeMessagesApi api, int iterations, CancellationToken ct)
    {
        Console.WriteLine($"trace: {WarmupTurns} warm-up turns, then {iterations} traced turns (load {Load.Now()})");
        var loadBefore = Load.Now();
        await using var sandbox = new BenchSandbox(api.BaseUrl);
        var session = await ClaudeSession.StartAsync(system, sandbox.SessionOptions(), ct);
        var segments = new Dictionary<string, List<double>>();
        var order = new List<string>();
        void Add(string name, double ms)
        {
            if (!segments.TryGetValue(name, out var list))
            {
                segments[name] = list = [];
                order.Add(name);
            }
            list.Add(ms);
        }
        try
        {
            for (var i = 0; i < WarmupTurns; i++) await session.FinalTextAsync(SessionBenchmarks.Prompt, null, ct);
            TurnTrace.Enabled = true;
            for (var i = 0; i < iterations; i++)
            {
                TurnTrace.Drain();
                var call = Stopwatch.GetTimestamp();
                await session.FinalTextAsync(SessionBenchmarks.Prompt, null, ct);
                var done = Stopwatch.GetTimestamp();
                var marks = TurnTrace.Drain();
                long At(string point, long after = 0) => marks.FirstOrDefault(m => m.Point == point && m.Timestamp >= after).Timestamp;
                var sent = At("caller.sent", call);
                var query = At("session.query", sent);
                var frame = At("cli.frame", query);
                var flushed = At("stdin.flushed", frame);
                var parsedResult = At("parsed:result", flushed);
                var readResult = marks.LastOrDefault(m => m.Point == "stdout.read" && m.Timestamp <= parsedResult).Timestamp;
                var cliResult = At("cli.line:result", parsedResult);
                var sessionResult = At("session.line:result", cliResult);
                var receiverResult = At("receiver:result", sessionResult);
                var completed = At("receiver:completed", receiverResult);
                if (new[] { sent, query, frame, flushed, parsedResult, readResult, cliResult, sessionResult, receiverResult, completed }.Any(t => t == 0))
                {
                    Console.WriteLine($"  turn {i + 1}: a point is missing ({string.Join(", ", marks.Select(m => m.Point))})");
                    continue;
                }
                Add("in: call -> query sent", Ms(call, sent));
                Add("in: sent -> session", Ms(sent, query));
                Add("in: session -> CLI actor", Ms(query, frame));
                Add("in: CLI actor -> stdin flushed", Ms(frame, flushed));
                Add("CLI: flushed -> result read", Ms(flushed, readResult));
                Add("out: read -> parsed", Ms(readResult, parsedResult));
                Add("out: parsed -> CLI actor", Ms(parsedResult, cliResult));
                Add("out: CLI actor -> session", Ms(cliResult, sessionResult));
                Add("out: session -> receiver", Ms(sessionResult, receiverResult));
                Add("out: receiver result -> completed", Ms(receiverResult, completed));
                Add("out: completed -> caller returns", Ms(completed, done));
                Add("host in", Ms(call, flushed));
                Add("host out", Ms(readResult, done));
                Add("host total (in + out)", Ms(call, flushed) + Ms(readResult, done));
                Add("turn wall", Ms(call, done));
                // Every line of the turn, from its stdout read to the caller's await: the per-line cost on the way out.
                var lines = marks.Count(m => m.Point.StartsWith("parsed:", StringComparison.Ordinal) && m.Timestamp > flushed);
                Add("lines per turn", lines);
                Add("stdout reads per turn", marks.Count(m => m.Point == "stdout.read" && m.Timestamp > flushed));
            }
        }
        finally
        {
            TurnTrace.Enabled = false;
            await session.StopAsync(CancellationToken.None);
        }
        var load = $"{loadBefore} -> {Load.Now()}";
        var rows = new List<Row>();
        foreach (var name in order)
        {
            var stats = Stats.Of(segments[name]);
            var figure = name.EndsWith("per turn", StringComparison.Ordinal)
                ? $"median {stats.Median:F0}"
                : $"median {stats.Median:F3} ms, p90 {stats.P90:F3} ms (n={stats.Count})";
            Console.WriteLine($"  {name,-36} {figure}");
            rows.Add(new Row("trace: " + name, figure, load));
        }
        return rows;
    }

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}
