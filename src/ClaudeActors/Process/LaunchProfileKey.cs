using System.Security.Cryptography;
using System.Text;

namespace ClaudeActors.Process;

/// <summary>
/// What makes two CLI launches interchangeable before their first turn: the same executable, the same argv except
/// <c>--session-id</c>, the same environment (in any order) and the same working directory. A warm CLI started for
/// one launch serves any session whose launch has the same key. Environment values may be secrets: the key keeps
/// them only to compare, and prints a short hash.
/// </summary>
internal sealed class LaunchProfileKey : IEquatable<LaunchProfileKey>
{
    private readonly string _canonical;

    private LaunchProfileKey(string canonical) => _canonical = canonical;

    /// <summary>The key of <paramref name="spec"/>: everything but the session id.</summary>
    public static LaunchProfileKey Of(CliLaunchSpec spec)
    {
        var text = new StringBuilder();
        text.Append(spec.FileName).Append('\0').Append(spec.WorkingDirectory).Append('\0');
        for (var i = 0; i < spec.Arguments.Count; i++)
        {
            if (spec.Arguments[i] == "--session-id" && i + 1 < spec.Arguments.Count)
            {
                i++; // the flag and its value
                continue;
            }
            text.Append("a:").Append(spec.Arguments[i]).Append('\0');
        }
        foreach (var (key, value) in spec.Environment.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            text.Append("e:").Append(key).Append('=').Append(value).Append('\0');
        return new LaunchProfileKey(text.ToString());
    }

    /// <summary>The key of a session started with <paramref name="options"/> and the resolved executable.</summary>
    public static LaunchProfileKey Of(SessionOptions options, string resolvedCli) => Of(CliCommandBuilder.Build(options, resolvedCli));

    public bool Equals(LaunchProfileKey? other) => other is not null && string.Equals(_canonical, other._canonical, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as LaunchProfileKey);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_canonical);

    /// <summary>A short hash, never the arguments or the environment (they may hold secrets).</summary>
    public override string ToString() =>
        "profile-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(_canonical)), 0, 4).ToLowerInvariant();
}

/// <summary>
/// Which sessions may take a warm CLI. The rule is the safe one: only a fresh conversation whose id the host picks and
/// whose CLI needs nothing from the session in the handshake. Resume, continue and fork load another conversation at
/// launch; a chosen session id is the caller's; callbacks (tool permissions, hooks, in-process MCP servers) are
/// registered in the initialize request and bound to the session's own handlers, so a CLI initialized by the pool
/// could not serve them.
/// </summary>
internal static class WarmPoolEligibility
{
    /// <summary>Why a session with these options never takes a warm CLI, or null when it may.</summary>
    public static string? Refusal(SessionOptions options)
    {
        if (options.Resume is not null) return "it resumes a conversation";
        if (options.Continue) return "it continues a conversation";
        if (options.ForkSession) return "it forks a conversation";
        if (options.SessionId is not null) return "its session id is chosen by the caller";
        if (!options.Callbacks.IsEmpty) return "it has callbacks (permissions, hooks or in-process MCP servers)";
        return null;
    }
}
