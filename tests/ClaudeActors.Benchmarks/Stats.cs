namespace ClaudeActors.Benchmarks;

/// <summary>Order statistics of a list of wall times (milliseconds).</summary>
internal sealed record Stats(int Count, double Median, double P90, double Min, double Max)
{
    public static Stats Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0) return new Stats(0, double.NaN, double.NaN, double.NaN, double.NaN);
        var sorted = samples.OrderBy(x => x).ToArray();
        return new Stats(sorted.Length, Percentile(sorted, 0.5), Percentile(sorted, 0.9), sorted[0], sorted[^1]);
    }

    /// <summary>Linear interpolation between closest ranks (the median of an even count is the mean of the middle two).</summary>
    private static double Percentile(double[] sorted, double p)
    {
        var rank = p * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public override string ToString() => $"median {Median:F1} ms, p90 {P90:F1} ms, min {Min:F1}, max {Max:F1} (n={Count})";
}

/// <summary>The machine's load, as <c>uptime</c> prints it (from /proc/loadavg).</summary>
internal static class Load
{
    public static string Now()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} {parts[1]} {parts[2]}";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }
}

/// <summary>One row of the final table.</summary>
internal sealed record Row(string Benchmark, string Figure, string Load);
