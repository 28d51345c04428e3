// One two-turn conversation with the real CLI in this fresh process, then exit:
//   claude-actors-coldstart host|raw API_URL
// host goes through an ActorSystem and ClaudeSession, raw through a direct pipe (the baseline). The benchmark harness
// (coldstart) times whole processes of each, interleaved. With COLDSTART_TRACE=1 the phases go to stderr, in ms since
// the process started.
using System.Diagnostics;
using Akka.Actor;
using ClaudeActors.Benchmarks;
using ClaudeActors.Client;

if (args.Length != 2 || args[0] is not ("host" or "raw") || !Uri.TryCreate(args[1], UriKind.Absolute, out var api))
{
    Console.Error.WriteLine("usage: claude-actors-coldstart host|raw API_URL");
    return 2;
}
var trace = Environment.GetEnvironmentVariable("COLDSTART_TRACE") == "1";
var started = Process.GetCurrentProcess().StartTime.ToUniversalTime();
void Mark(string phase)
{
    if (trace) Console.Error.WriteLine($"{phase} {(DateTime.UtcNow - started).TotalMilliseconds:F0}");
}

Mark("main");
using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
await using var sandbox = new BenchSandbox(api);
string second = args[0] == "host" ? await ColdStart.HostAsync(sandbox, Mark, cts.Token) : await ColdStart.RawAsync(sandbox, Mark, cts.Token);
Mark("end");
if (trace) Console.Error.WriteLine("assemblies " + string.Join(",", AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name).Order()));
return second.Contains("Alice", StringComparison.Ordinal) ? 0 : 1;

internal static class ColdStart
{
    private const string First = "My name is Alice";
    private const string Second = "What is my name?";

    public static async Task<string> HostAsync(BenchSandbox sandbox, Action<string> mark, CancellationToken ct)
    {
        // The CLI starts while the ActorSystem is created (COLDSTART_PRESTART=0 to start it only when the session does).
        if (Environment.GetEnvironmentVariable("COLDSTART_PRESTART") != "0") ClaudeSession.Prestart(sandbox.SessionOptions());
        var hocon = Environment.GetEnvironmentVariable("COLDSTART_HOCON") ?? "akka.loglevel = WARNING";
        using var system = ActorSystem.Create("coldstart", hocon);
        mark("system");
        var session = await ClaudeSession.StartAsync(system, sandbox.SessionOptions(), ct);
        mark("ready");
        await session.FinalTextAsync(First, cancellationToken: ct);
        mark("turn1");
        var second = await session.FinalTextAsync(Second, cancellationToken: ct);
        mark("turn2");
        await session.StopAsync(ct);
        await system.Terminate();
        return second;
    }

    public static async Task<string> RawAsync(BenchSandbox sandbox, Action<string> mark, CancellationToken ct)
    {
        await using var raw = await RawCli.StartAsync(sandbox, ct);
        mark("ready");
        await raw.TurnAsync(First, ct);
        mark("turn1");
        var second = await raw.TurnAsync(Second, ct);
        mark("turn2");
        return second;
    }
}
