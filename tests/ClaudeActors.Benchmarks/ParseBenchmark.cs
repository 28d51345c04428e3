using System.Diagnostics;
using ClaudeActors.Protocol;

namespace ClaudeActors.Benchmarks;

/// <summary>
/// parse: <see cref="MessageParser.Parse(ReadOnlySpan{byte})"/> over every line of the test fixtures (transcripts
/// left out), as UTF-8 byte arrays, in a loop for a fixed time after a warm-up. Single-threaded.
/// </summary>
internal static class ParseBenchmark
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(3);

    public static List<Row> Run(CancellationToken ct)
    {
        var files = Directory.GetFiles(BenchPaths.Fixtures, "*.jsonl")
            .Where(f => !Path.GetFileName(f).StartsWith("transcript", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToArray();
        var lines = new List<byte[]>();
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            var start = 0;
            for (var i = 0; i <= bytes.Length; i++)
            {
                if (i < bytes.Length && bytes[i] != (byte)'\n') continue;
                var line = bytes.AsSpan(start, i - start).TrimEnd((byte)'\r');
                if (!line.Trim((byte)' ').IsEmpty) lines.Add(line.ToArray());
                start = i + 1;
            }
        }

        var failures = 0;
        var results = new List<byte[]>();
        var streamEvents = new List<byte[]>();
        foreach (var line in lines)
        {
            var parsed = MessageParser.Parse(line);
            if (!parsed.IsSuccess || parsed.Message is UnknownMessage) failures++;
            if (parsed.Message is ResultMessage) results.Add(line);
            if (parsed.Message is StreamEventMessage) streamEvents.Add(line);
        }
        Console.WriteLine($"parse: {lines.Count} lines from {files.Length} fixture files ({lines.Sum(l => l.Length)} bytes), " +
                          $"{results.Count} result, {streamEvents.Count} stream_event; not parsed as a known type: {failures} (load {Load.Now()})");

        var rows = new List<Row>();
        foreach (var (label, set) in new[] { ("parse: all fixture lines", lines), ("parse: result lines", results), ("parse: stream_event lines", streamEvents) })
        {
            if (set.Count == 0) continue;
            ct.ThrowIfCancellationRequested();
            var loadBefore = Load.Now();
            var array = set.ToArray();
            Loop(array, Warmup);
            var m = Loop(array, Duration);
            var perSecond = m.Messages / m.Seconds;
            var mbPerSecond = m.Bytes / m.Seconds / 1e6;
            var allocPerMessage = (double)m.Allocated / m.Messages;
            Console.WriteLine($"{label}: {perSecond:N0} messages/s, {mbPerSecond:F1} MB/s, {m.Bytes / (double)m.Messages:F0} B/line, " +
                              $"{allocPerMessage:N0} B allocated/message ({m.Messages:N0} messages in {m.Seconds:F2} s)");
            rows.Add(new Row(label, $"{perSecond:N0} msg/s, {mbPerSecond:F1} MB/s ({m.Bytes / (double)m.Messages:F0} B/line, {allocPerMessage:N0} B alloc/msg)",
                $"{loadBefore} -> {Load.Now()}"));
        }
        return rows;
    }

    private readonly record struct Measurement(long Messages, long Bytes, double Seconds, long Allocated);

    private static Measurement Loop(byte[][] lines, TimeSpan duration)
    {
        long messages = 0, bytes = 0, sink = 0;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        do
        {
            // Whole passes between clock reads: the clock is read once per pass, not per line.
            foreach (var line in lines)
            {
                var result = MessageParser.Parse(line);
                sink += result.Length;
                if (result.Message is null) sink--;
                bytes += line.Length;
            }
            messages += lines.Length;
        } while (sw.Elapsed < duration);
        var seconds = sw.Elapsed.TotalSeconds;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        if (sink == long.MinValue) Console.WriteLine(sink); // keeps the parse results observable
        return new Measurement(messages, bytes, seconds, allocated);
    }
}
