namespace ClaudeActors.Host.Configuration;

/// <summary>
/// Whether the CLIs a node starts will have a credential: the variables the CLI reads (an API key, an auth or OAuth
/// token, a cloud provider switch) in the node's environment or the sessions' default environment, a login saved
/// under the config dir (<c>.credentials.json</c>), or an <c>apiKeyHelper</c> in its settings. Without one every
/// turn fails with NotAuthenticated; the node says so once, at start. Only names are checked: no value is read or logged.
/// </summary>
internal static class CliCredentials
{
    private static readonly string[] Variables =
    [
        "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN",
        "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_USE_FOUNDRY",
    ];

    /// <summary>The warning to give, or null when a credential is there.</summary>
    /// <param name="defaults">The sessions' defaults: their environment and credential references.</param>
    /// <param name="processEnvironment">The node's environment.</param>
    /// <param name="isolated">Sessions have config dirs of their own: a login saved in the node's is not theirs.</param>
    public static string? MissingWarning(SessionOptions defaults, Func<string, string?> processEnvironment, bool isolated = false)
    {
        var sessionEnvironment = defaults.Environment;
        string? Get(string name) => sessionEnvironment.TryGetValue(name, out var value) ? value : processEnvironment(name);
        if (Variables.Any(v => !string.IsNullOrWhiteSpace(Get(v)) || defaults.EnvironmentFromConfiguration.ContainsKey(v))) return null;
        if (isolated)
            return "no credential for the claude CLI: none of " + string.Join(", ", Variables) +
                   " is set (node environment, ClaudeActors:Defaults:Environment or ClaudeActors:Defaults:EnvironmentFromConfiguration). " +
                   "Sessions are isolated (each has its own config dir), so a login saved in the node's config dir is not theirs. " +
                   "Sessions will start, but every turn will fail with NotAuthenticated until one is given.";
        var configDir = Get("CLAUDE_CONFIG_DIR") is { Length: > 0 } dir ? dir
            : Path.Combine(Get("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".claude");
        if (File.Exists(Path.Combine(configDir, ".credentials.json"))) return null;
        var settings = Path.Combine(configDir, "settings.json");
        if (File.Exists(settings) && File.ReadAllText(settings).Contains("\"apiKeyHelper\"", StringComparison.Ordinal)) return null;
        return "no credential for the claude CLI: none of " + string.Join(", ", Variables) +
               $" is set (node environment or ClaudeActors:Defaults:Environment), and no login or apiKeyHelper was found under {configDir}. " +
               "Sessions will start, but every turn will fail with NotAuthenticated until one is given.";
    }
}
