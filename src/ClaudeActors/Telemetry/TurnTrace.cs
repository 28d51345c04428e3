using System.Collections.Concurrent;
using System.Diagnostics;

namespace ClaudeActors.Telemetry;

/// <summary>
/// Timestamps of the points a turn passes through in the host (query received, frame written, stdout read, line
/// parsed, line at the CLI actor, at the session, at the caller), for the benchmark that breaks a turn's host time
/// down. Off unless a benchmark turns it on: then each point costs one branch; on, one queue insert.
/// </summary>
internal static class TurnTrace
{
    private static volatile bool _enabled;
    private static readonly ConcurrentQueue<(long Timestamp, string Point)> Marks = new();

    public static bool Enabled
    {
        get => _enabled;
        set => _enabled = value;
    }

    public static void Mark(string point)
    {
        if (_enabled) Marks.Enqueue((Stopwatch.GetTimestamp(), point));
    }

    /// <summary>The marks since the last call, in the order they were taken.</summary>
    public static List<(long Timestamp, string Point)> Drain()
    {
        var drained = new List<(long, string)>();
        while (Marks.TryDequeue(out var mark)) drained.Add(mark);
        drained.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return drained;
    }
}
