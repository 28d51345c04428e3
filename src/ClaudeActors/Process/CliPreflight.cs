namespace ClaudeActors.Process;

/// <summary>
/// What can be known about a CLI start before any process runs: the options' rules, the executable and the working
/// directory. Asked by the supervisor (a rejected start), by the session (a failed session) and, for the directory, by
/// the CLI actor itself (it can vanish between the session's start and a restart of its CLI), so all say the same thing.
/// </summary>
internal static class CliPreflight
{
    /// <summary>Why no CLI can start with these options, or null when one can; <paramref name="cliPath"/> is the resolved executable.</summary>
    /// <param name="options">The session's options.</param>
    /// <param name="cliPath">The resolved executable.</param>
    /// <param name="configuration">The host's configuration, for the credential references.</param>
    public static SessionFailure? Check(SessionOptions options, out string? cliPath, Func<string, string?>? configuration = null)
    {
        cliPath = null;
        var errors = options.Validate();
        if (errors.Count > 0) return new InvalidSessionOptionsException(errors).Failure;
        try
        {
            cliPath = CliLocator.Resolve(options.CliPath);
        }
        catch (CliNotFoundException ex)
        {
            return ex.Failure;
        }
        // A directory that is not there is an option error like the others, caught before any process starts.
        if (MissingWorkingDirectory(options.WorkingDirectory) is { } missing) return new InvalidSessionOptionsException([missing]).Failure;
        return SandboxRuntime.Check(options) ?? CredentialReferences.Check(options, configuration);
    }

    /// <summary>Throws <see cref="InvalidSessionOptionsException"/> (every rule broken, the working directory included) before a local start.</summary>
    public static SessionOptions EnsureStartable(SessionOptions options)
    {
        var errors = options.Validate().ToList();
        if (MissingWorkingDirectory(options.WorkingDirectory) is { } missing) errors.Add(missing);
        return errors.Count > 0 ? throw new InvalidSessionOptionsException(errors) : options;
    }

    /// <summary>The complaint about a working directory that does not exist, or null (null itself means the host's own).</summary>
    public static string? MissingWorkingDirectory(string? workingDirectory) =>
        workingDirectory is not null && !Directory.Exists(workingDirectory)
            ? $"WorkingDirectory '{workingDirectory}' does not exist."
            : null;
}
