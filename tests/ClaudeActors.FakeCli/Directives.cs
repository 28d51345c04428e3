using System.Globalization;

namespace ClaudeActors.FakeCli;

/// <summary>Fault directives: a prefix of a user message such as "[slow:200][stderr:4096]Hello"; "[grow:N]" makes the process keep N MiB more (memory tests).</summary>
internal sealed class Directives
{
    public int? SlowMs;
    public bool Garbage;
    public bool Crash;
    public int? CrashAfterMs;
    public bool Hang;
    public bool LeakKey;
    public int? Flood;
    public int? BigLine;
    public long? Stderr;
    public bool Unknown;
    public int? Exit;
    public int? GrowMiB;

    /// <summary>Reads the directives at the start of <paramref name="text"/> into this, returns the rest.</summary>
    public string Parse(string text) => Consume(text, this);

    /// <summary>The text without its leading directives.</summary>
    public static string Strip(string text) => Consume(text, null);

    private static string Consume(string text, Directives? into)
    {
        var rest = text.AsSpan().TrimStart();
        while (rest.Length > 2 && rest[0] == '[')
        {
            var close = rest.IndexOf(']');
            if (close < 0)
            {
                break;
            }

            var inner = rest[1..close];
            var colon = inner.IndexOf(':');
            var name = colon < 0 ? inner : inner[..colon];
            var arg = colon < 0 ? [] : inner[(colon + 1)..].Trim();
            long n = 0;
            var hasNumber = colon >= 0 && long.TryParse(arg, NumberStyles.Integer, CultureInfo.InvariantCulture, out n);
            var known = true;
            switch (name)
            {
                case "slow" when hasNumber:
                    if (into is not null) into.SlowMs = Clamp(n);
                    break;
                case "garbage" when colon < 0:
                    if (into is not null) into.Garbage = true;
                    break;
                case "crash" when colon < 0:
                    if (into is not null) into.Crash = true;
                    break;
                case "crash-after" when hasNumber:
                    if (into is not null) into.CrashAfterMs = Clamp(n);
                    break;
                case "hang" when colon < 0:
                    if (into is not null) into.Hang = true;
                    break;
                case "flood" when hasNumber:
                    if (into is not null) into.Flood = Clamp(n);
                    break;
                case "bigline" when hasNumber:
                    if (into is not null) into.BigLine = Clamp(n);
                    break;
                case "stderr" when hasNumber:
                    if (into is not null) into.Stderr = Math.Max(0, n);
                    break;
                case "leak-key" when colon < 0:
                    if (into is not null) into.LeakKey = true;
                    break;
                case "unknown" when colon < 0:
                    if (into is not null) into.Unknown = true;
                    break;
                case "grow" when hasNumber:
                    if (into is not null) into.GrowMiB = Clamp(n);
                    break;
                case "exit" when hasNumber:
                    if (into is not null) into.Exit = (int)(n & 0xFF);
                    break;
                default:
                    known = false;
                    break;
            }

            if (!known)
            {
                break;
            }

            rest = rest[(close + 1)..].TrimStart();
        }

        return rest.Length == text.Length ? text : rest.ToString();
    }

    private static int Clamp(long n) => (int)Math.Clamp(n, 0, int.MaxValue);
}
