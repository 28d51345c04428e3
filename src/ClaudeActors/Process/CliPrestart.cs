using System.Collections.Concurrent;

namespace ClaudeActors.Process;

/// <summary>
/// A CLI process started before the host is ready for it: a short-lived program knows its session's options at once, so
/// the CLI's own start-up (most of a session start) runs while the ActorSystem is created and the session path warms up.
/// The first fresh session of the same <see cref="LaunchProfileKey"/> takes the process (not an actor: there is none yet)
/// and starts it under the pre-assigned <c>--session-id</c>; its initialize request goes out as usual. A process nobody
/// takes is killed after <see cref="Unclaimed"/>, and the kernel ends it with the host in any case (parent-death signal).
/// </summary>
internal static class CliPrestart
{
    /// <summary>How long a prestarted CLI waits for its session before it is killed.</summary>
    public static readonly TimeSpan Unclaimed = TimeSpan.FromSeconds(60);

    private static readonly ConcurrentDictionary<LaunchProfileKey, ConcurrentQueue<Prestarted>> Waiting = new();

    /// <summary>A started process, its spec and the conversation id it was started with.</summary>
    internal sealed record Prestarted(CliLaunchSpec Spec, string SessionId, Task<System.Diagnostics.Process> Process, Timer Expiry);

    /// <summary>Starts a CLI for <paramref name="options"/> now; false when such a session never takes one (<see cref="WarmPoolEligibility"/>) or no CLI can start.</summary>
    public static bool Begin(SessionOptions options)
    {
        if (WarmPoolEligibility.Refusal(options) is not null || CliPreflight.Check(options, out var cliPath) is not null) return false;
        var sessionId = SessionIds.New();
        var spec = CliCommandBuilder.Build(options with { SessionId = sessionId }, cliPath!);
        var key = LaunchProfileKey.Of(spec);
        var queue = Waiting.GetOrAdd(key, _ => new ConcurrentQueue<Prestarted>());
        Prestarted? entry = null;
        var expiry = new Timer(_ => Expire(key, entry!), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        entry = new Prestarted(spec, sessionId, ProcessLauncher.StartAsync(spec), expiry);
        queue.Enqueue(entry);
        expiry.Change(Unclaimed, Timeout.InfiniteTimeSpan);
        return true;
    }

    /// <summary>True when some CLI waits for its session (a cheap test before computing a launch key).</summary>
    public static bool AnyWaiting => Waiting.Values.Any(q => !q.IsEmpty);

    /// <summary>A prestarted CLI of that launch profile, now the caller's to own, or null.</summary>
    public static Prestarted? TryTake(LaunchProfileKey key)
    {
        if (!Waiting.TryGetValue(key, out var queue) || !queue.TryDequeue(out var entry)) return null;
        entry.Expiry.Dispose();
        return entry;
    }

    private static void Expire(LaunchProfileKey key, Prestarted entry)
    {
        entry.Expiry.Dispose();
        if (!Waiting.TryGetValue(key, out var queue)) return;
        // Taken meanwhile: the session owns it. Otherwise it is removed here and killed.
        var kept = new List<Prestarted>();
        var found = false;
        while (queue.TryDequeue(out var next))
        {
            if (ReferenceEquals(next, entry)) found = true;
            else kept.Add(next);
        }
        foreach (var other in kept) queue.Enqueue(other);
        if (found) entry.Process.ContinueWith(t => { if (t.IsCompletedSuccessfully) ProcessLauncher.KillTree(t.Result); }, TaskScheduler.Default);
    }
}
