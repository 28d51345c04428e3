namespace ClaudeActors.Process;

/// <summary>
/// Whether this machine can run the CLI's command sandbox: on Linux bubblewrap (<c>bwrap</c>) and <c>socat</c> (the
/// network proxy) on PATH, on macOS <c>sandbox-exec</c>. Asked at node start (a warning) and before a session that
/// needs the sandbox starts (<see cref="FailureKind.SandboxUnavailable"/>): such a session never runs unsandboxed.
/// </summary>
internal static class SandboxRuntime
{
    private static readonly Lazy<string?> Cached = new(() => Probe(CliLocator.FindOnPath));

    /// <summary>Why the sandbox cannot run here, or null when its programs are there.</summary>
    public static string? MissingReason => Cached.Value;

    /// <summary><see cref="MissingReason"/> with the program lookup given (tests).</summary>
    public static string? Probe(Func<string, string?> findOnPath)
    {
        if (OperatingSystem.IsLinux())
        {
            var missing = new[] { "bwrap", "socat" }.Where(p => findOnPath(p) is null).ToList();
            return missing.Count == 0 ? null
                : $"the command sandbox needs {string.Join(" and ", missing)} on PATH (Debian/Ubuntu: apt-get install bubblewrap socat).";
        }
        if (OperatingSystem.IsMacOS())
            return File.Exists("/usr/bin/sandbox-exec") ? null : "the command sandbox needs /usr/bin/sandbox-exec.";
        return "the command sandbox is supported on Linux and macOS only.";
    }

    /// <summary>The failure of a session that needs the sandbox on a machine without it, or null.</summary>
    public static SessionFailure? Check(SessionOptions options) =>
        options.Sandbox is { Enabled: true } && MissingReason is { } reason
            ? new SessionFailure(FailureKind.SandboxUnavailable, $"Session '{options.Name}' needs the sandbox, but {reason} It was not started.")
            : null;
}
