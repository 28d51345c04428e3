using System.Diagnostics;
using System.Globalization;
using System.Text;
using Akka.Actor;
using ClaudeActors.Tests.Chaos;

namespace ClaudeActors.Chaos;

/// <summary>
/// The chaos campaign. Every case is loopback only, bounded in count and time, stops by itself and kills every
/// process it started (checked per case with /proc, and at the end for the whole run).
/// <code>
/// dotnet run -c Release --project tests/ClaudeActors.Chaos -- kill-storm|host-death|slow-consumer|hostile-input|secrets|soak|failover|--all
///     [--quick] [--fake] [--sessions N] [--kills N] [--span SECONDS] [--soak MINUTES] [--only C01,S05] [--out FILE]
/// </code>
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var options = CampaignOptions.Parse(args);
        if (options is null)
        {
            Console.Error.WriteLine(CampaignOptions.Usage);
            return 2;
        }
        Console.WriteLine($"# ClaudeActors chaos campaign — {DateTimeOffset.Now:yyyy-MM-dd HH:mm} — {Environment.ProcessorCount} cores — load {Load()}");
        Console.WriteLine($"fake CLI: {ChaosPaths.FakeCli}");
        Console.WriteLine($"real CLI: {ChaosPaths.RealCli} ({(File.Exists(ChaosPaths.RealCli) ? "present" : "missing")})");
        Console.WriteLine($"host:     {ChaosPaths.HostDll ?? "not built"}");
        Console.WriteLine();

        var report = new CampaignReport();
        var total = Stopwatch.StartNew();
        foreach (var name in options.Cases)
        {
            var watch = Stopwatch.StartNew();
            var section = report.Section(name);
            section.Row("load before", Load());
            try
            {
                switch (name)
                {
                    case "kill-storm":
                        await Cases.KillStormAsync(section, options, fake: options.Fake);
                        break;
                    case "kill-storm-fake":
                        await Cases.KillStormAsync(section, options, fake: true);
                        break;
                    case "host-death":
                        await Cases.HostDeathAsync(section, options);
                        break;
                    case "slow-consumer":
                        await Cases.SlowConsumerAsync(section, options);
                        break;
                    case "permission-block":
                        await Cases.PermissionBlockAsync(section, options);
                        break;
                    case "hostile-input":
                        await Cases.HostileInputAsync(section, options, report);
                        break;
                    case "secrets":
                        await Cases.SecretsAsync(section, options);
                        break;
                    case "soak":
                        await Cases.SoakAsync(section, options);
                        break;
                    case "failover":
                        await Failover.RunAsync(section, options);
                        break;
                }
            }
            catch (Exception ex)
            {
                section.Fail("case crashed: " + ex.GetType().Name + ": " + ex.Message);
                Console.Error.WriteLine(ex);
            }
            section.Row("load after", Load());
            section.Row("case time", $"{watch.Elapsed.TotalSeconds:0.0} s");
            Console.WriteLine(section.Render());
        }

        // Nothing of ours may be left: every CLI this run started had a sandbox under the temp folder.
        var temp = Path.GetTempPath();
        var left = ChaosProcesses.WithEnvironmentPrefix("CLAUDE_CONFIG_DIR=" + Path.Combine(temp, "ca-chaos-"))
            .Concat(ChaosProcesses.WithEnvironmentPrefix("CLAUDE_CONFIG_DIR=" + Path.Combine(temp, "ca-hostile-")))
            .Distinct().ToList();
        Console.WriteLine($"campaign time {total.Elapsed.TotalMinutes:0.0} min; processes of this run left: {left.Count}; load {Load()}");
        if (options.OutFile is { } file) await File.WriteAllTextAsync(file, report.Render());
        return report.Failed || left.Count > 0 ? 1 : 0;
    }

    public static string Load()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} {parts[1]} {parts[2]}";
        }
        catch (IOException)
        {
            return "?";
        }
    }
}

public sealed class CampaignOptions
{
    public const string Usage =
        "usage: dotnet run -c Release --project tests/ClaudeActors.Chaos -- <case>|--all [--quick] [--fake] [--sessions N] [--kills N] [--span SECONDS] [--soak MINUTES] [--only IDS] [--runs N] [--out FILE]\n" +
        "cases: kill-storm (real CLI; --fake: fake CLI at scale), kill-storm-fake, host-death, slow-consumer, permission-block, hostile-input, secrets, soak, " +
        "failover (three host processes on PostgreSQL, SIGKILL of a session's node; --runs N, default 10; --fake: fake CLI; not in --all)";

    private static readonly string[] Known = ["kill-storm", "kill-storm-fake", "host-death", "slow-consumer", "permission-block", "hostile-input", "secrets", "soak", "failover"];

    public List<string> Cases { get; } = [];
    public bool Quick { get; private set; }
    public bool Fake { get; private set; }
    public int? Sessions { get; private set; }
    public int? Kills { get; private set; }
    public int? SpanSeconds { get; private set; }
    public double SoakMinutes { get; private set; } = 10;
    public string[]? Only { get; private set; }
    public string? OutFile { get; private set; }
    public int? Runs { get; private set; }

    public static CampaignOptions? Parse(string[] args)
    {
        var o = new CampaignOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException(a + " needs a value");
            switch (a)
            {
                case "--all":
                    o.Cases.AddRange(["kill-storm", "kill-storm-fake", "host-death", "slow-consumer", "permission-block", "hostile-input", "secrets"]);
                    break;
                case "--quick": o.Quick = true; break;
                case "--fake": o.Fake = true; break;
                case "--sessions": o.Sessions = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--kills": o.Kills = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--span": o.SpanSeconds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--soak":
                    o.SoakMinutes = double.Parse(Next(), CultureInfo.InvariantCulture);
                    if (!o.Cases.Contains("soak")) o.Cases.Add("soak");
                    break;
                case "--only": o.Only = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--out": o.OutFile = Next(); break;
                case "--runs": o.Runs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default:
                    if (!Known.Contains(a)) return null;
                    o.Cases.Add(a);
                    break;
            }
        }
        return o.Cases.Count == 0 ? null : o;
    }
}

/// <summary>Figures of the run, printed as one markdown table per case.</summary>
public sealed class CampaignReport
{
    private readonly List<Section> _sections = [];
    public bool Failed => _sections.Any(s => s.Failures.Count > 0);

    public Section Section(string name)
    {
        var section = new Section(name);
        _sections.Add(section);
        return section;
    }

    public string Render() => string.Join("\n", _sections.Select(s => s.Render()));
}

public sealed class Section(string name)
{
    private readonly List<(string Figure, string Value)> _rows = [];
    public List<string> Failures { get; } = [];
    public List<string> Extra { get; } = [];

    public void Row(string figure, object value)
    {
        lock (_rows) _rows.Add((figure, Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
    }

    public void Fail(string why)
    {
        lock (Failures) Failures.Add(why);
    }

    public void Expect(bool condition, string why)
    {
        if (!condition) Fail(why);
    }

    public string Render()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"## {name} — {(Failures.Count == 0 ? "PASS" : "FAIL")}");
        sb.AppendLine();
        sb.AppendLine("| figure | value |");
        sb.AppendLine("|---|---|");
        foreach (var (figure, value) in _rows) sb.AppendLine($"| {figure} | {value.Replace("|", "\\|")} |");
        foreach (var failure in Failures) sb.AppendLine($"| **failure** | {failure.Replace("|", "\\|")} |");
        sb.AppendLine();
        foreach (var extra in Extra) sb.AppendLine(extra);
        return sb.ToString();
    }
}
