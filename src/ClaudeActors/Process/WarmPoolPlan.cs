namespace ClaudeActors.Process;

/// <summary>
/// How many CLIs a warm pool may start now, and how many idle ones it must give up: each profile up to its size, all
/// together within the governor's limit and the room the node's count cap leaves, a profile that keeps failing to
/// start waiting out its backoff. Plain arithmetic, kept out of the actor to be tested alone.
/// </summary>
internal static class WarmPoolPlan
{
    /// <summary>The CLIs to start per profile, in the order given (earlier profiles are filled first).</summary>
    /// <param name="profiles">Each profile's size, the CLIs it holds (idle and starting) and whether it is backing off.</param>
    /// <param name="limit">The governor's limit on all pooled CLIs, or null.</param>
    /// <param name="room">How many more CLIs the node may start at all (its count cap less its live CLIs and the pool's own).</param>
    public static int[] ToStart(IReadOnlyList<(int Size, int Held, bool BackingOff)> profiles, int? limit, int room)
    {
        var held = profiles.Sum(p => p.Held);
        var budget = Math.Max(0, Math.Min(room, (limit ?? int.MaxValue) - held));
        var result = new int[profiles.Count];
        for (var i = 0; i < profiles.Count && budget > 0; i++)
        {
            if (profiles[i].BackingOff) continue;
            var want = Math.Min(Math.Max(0, profiles[i].Size - profiles[i].Held), budget);
            result[i] = want;
            budget -= want;
        }
        return result;
    }

    /// <summary>How many idle CLIs to stop so that the pool holds no more than <paramref name="limit"/>.</summary>
    public static int ToStop(int held, int idle, int? limit) =>
        limit is { } max && held > max ? Math.Min(idle, held - max) : 0;

    /// <summary>The wait before a profile starts again after <paramref name="failures"/> starts in a row that failed.</summary>
    public static TimeSpan Backoff(int failures) =>
        failures <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Min(failures - 1, 10))));
}
