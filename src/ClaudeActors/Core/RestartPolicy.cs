namespace ClaudeActors.Core;

/// <summary>
/// How a session restarts its CLI after a crash: exponential backoff from <see cref="MinBackoff"/> to
/// <see cref="MaxBackoff"/>, at most <see cref="MaxRestarts"/> within <see cref="Window"/>; past that the session
/// is <c>Failed</c> and its supervisor stops and reports it (never a restart storm).
/// </summary>
public sealed record RestartPolicy
{
    /// <summary>The default policy: 0.2 s doubling to 10 s, 5 restarts per minute.</summary>
    public static readonly RestartPolicy Default = new();

    /// <summary>The first delay.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Restarts allowed within <see cref="Window"/>.</summary>
    public int MaxRestarts { get; init; } = 5;

    /// <summary>The sliding window that <see cref="MaxRestarts"/> counts in.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Random spread added to each delay (0.2 = up to 20 %), so many sessions do not restart in lockstep.</summary>
    public double RandomFactor { get; init; } = 0.2;

    internal TimeSpan Backoff(int recentRestarts)
    {
        var exponent = Math.Min(Math.Max(recentRestarts, 0), 20);
        var ms = Math.Min(MaxBackoff.TotalMilliseconds, MinBackoff.TotalMilliseconds * Math.Pow(2, exponent));
        ms *= 1 + Random.Shared.NextDouble() * RandomFactor;
        return TimeSpan.FromMilliseconds(ms);
    }
}
