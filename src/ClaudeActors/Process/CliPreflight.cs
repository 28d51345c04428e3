namespace ClaudeActors.Process;

/// <summary>
/// What can be known about a CLI start before any process runs: the executable and the working directory. Asked by
/// the supervisor (a rejected start), by the session (a failed session) and by the CLI actor itself (the directory can
/// vanish between the session's start and a restart of its CLI), so the three say the same thing.
/// </summary>
internal static class CliPreflight
{
    /// <summary>Why the CLI cannot start with these options, or null when it can; <paramref name="cliPath"/> is the resolved executable.</summary>
    public static SessionFailure? Check(SessionOptions options, out string? cliPath)
    {
        try
        {
            cliPath = CliLocator.Resolve(options.CliPath);
        }
        catch (CliNotFoundException ex)
        {
            cliPath = null;
            return ex.Failure;
        }
        return MissingWorkingDirectory(options.WorkingDirectory) is { } missing
            ? new SessionFailure(FailureKind.CliStartFailed, missing)
            : null;
    }

    /// <summary>The complaint about a working directory that does not exist, or null (null itself means the host's own).</summary>
    public static string? MissingWorkingDirectory(string? workingDirectory) =>
        workingDirectory is not null && !Directory.Exists(workingDirectory)
            ? $"The working directory '{workingDirectory}' does not exist."
            : null;
}
