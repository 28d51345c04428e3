using Akka.Actor;

namespace ClaudeActors.Process;

/// <summary>
/// Resolves <see cref="SessionOptions.EnvironmentFromConfiguration"/> when a CLI starts: each variable's value is
/// looked up by its configuration key. The values are never stored: only the launch spec holds them, and it marks
/// them as secrets whatever the variable is called (<see cref="CliLaunchSpec.SecretValues"/>).
/// </summary>
internal static class CredentialReferences
{
    /// <summary>The variables that resolved; <paramref name="missing"/> lists the ones whose key has no value (names only).</summary>
    public static IReadOnlyDictionary<string, string> Resolve(SessionOptions options, Func<string, string?>? configuration, out IReadOnlyList<string> missing)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var absent = new List<string>();
        foreach (var (name, key) in options.EnvironmentFromConfiguration)
        {
            if (configuration?.Invoke(key) is { Length: > 0 } value) values[name] = value;
            else absent.Add($"{name} (configuration key '{key}')");
        }
        missing = absent;
        return values;
    }

    /// <summary>The failure of a session whose references do not all resolve, or null.</summary>
    public static SessionFailure? Check(SessionOptions options, Func<string, string?>? configuration)
    {
        if (options.EnvironmentFromConfiguration.Count == 0) return null;
        Resolve(options, configuration, out var missing);
        if (missing.Count == 0) return null;
        var why = configuration is null ? " (no IConfiguration is registered with this ActorSystem: use WithClaudeSessions or WithClaudeSessionsCluster in a host)" : "";
        return new SessionFailure(FailureKind.CredentialUnavailable,
            "No value in the host's configuration for " + string.Join(", ", missing) + why + "; the session was not started.");
    }
}

/// <summary>What a host set up for the sessions of one ActorSystem: its configuration (credential references) and isolation.</summary>
internal sealed class SessionConfiguration : IExtension
{
    /// <summary>Null until a host registers its <c>IConfiguration</c>.</summary>
    public Func<string, string?>? Lookup { get; set; }

    /// <summary>The directories of isolated sessions; null when isolation is off.</summary>
    public IsolationLayout? Isolation { get; set; }

    public static SessionConfiguration Get(ActorSystem system) => system.WithExtension<SessionConfiguration, SessionConfigurationProvider>();
}

internal sealed class SessionConfigurationProvider : ExtensionIdProvider<SessionConfiguration>
{
    public override SessionConfiguration CreateExtension(ExtendedActorSystem system) => new();
}
