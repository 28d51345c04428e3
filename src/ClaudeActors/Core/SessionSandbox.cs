using System.Text.Json.Nodes;

namespace ClaudeActors.Core;

/// <summary>
/// The CLI's command sandbox (its <c>sandbox</c> settings, as the TS and Python SDKs' <c>SandboxSettings</c>): Bash
/// commands run confined (bubblewrap on Linux, Seatbelt on macOS) to the working directory and the paths allowed
/// here, with the network limited to the allowed domains. Passed in the <c>--settings</c> JSON; null values are left
/// to the CLI. The host never runs a session that asks for the sandbox without one: a missing runtime fails the
/// session at start with <see cref="FailureKind.SandboxUnavailable"/>, and <c>failIfUnavailable</c> is sent so the
/// CLI refuses too.
/// </summary>
public sealed record SessionSandbox
{
    /// <summary>Run Bash commands inside the sandbox (<c>sandbox.enabled</c>).</summary>
    public bool Enabled { get; init; }

    /// <summary>Approve a Bash command that runs sandboxed without a permission prompt (<c>sandbox.autoAllowBashIfSandboxed</c>).</summary>
    public bool? AutoAllowBashIfSandboxed { get; init; }

    /// <summary>
    /// Whether the model may ask to run a command outside the sandbox (<c>sandbox.allowUnsandboxedCommands</c>).
    /// Default here: false (the CLI's own default lets it ask), so "sandboxed" means every command.
    /// </summary>
    public bool AllowUnsandboxedCommands { get; init; }

    /// <summary>Command patterns that run outside the sandbox (<c>sandbox.excludedCommands</c>), e.g. <c>docker:*</c>.</summary>
    public IReadOnlyList<string> ExcludedCommands { get; init; } = [];

    /// <summary>Domains sandboxed commands may reach (<c>sandbox.network.allowedDomains</c>); empty: none without a prompt.</summary>
    public IReadOnlyList<string> AllowedDomains { get; init; } = [];

    /// <summary>Domains always blocked (<c>sandbox.network.deniedDomains</c>).</summary>
    public IReadOnlyList<string> DeniedDomains { get; init; } = [];

    /// <summary>Unix sockets sandboxed commands may use (<c>sandbox.network.allowUnixSockets</c>).</summary>
    public IReadOnlyList<string> AllowUnixSockets { get; init; } = [];

    /// <summary>Let sandboxed commands use local ports (<c>sandbox.network.allowLocalBinding</c>).</summary>
    public bool? AllowLocalBinding { get; init; }

    /// <summary>Your own HTTP proxy for sandboxed traffic (<c>sandbox.network.httpProxyPort</c>).</summary>
    public int? HttpProxyPort { get; init; }

    /// <summary>Your own SOCKS5 proxy for sandboxed traffic (<c>sandbox.network.socksProxyPort</c>).</summary>
    public int? SocksProxyPort { get; init; }

    /// <summary>Paths sandboxed commands may not read (<c>sandbox.filesystem.denyRead</c>).</summary>
    public IReadOnlyList<string> DenyRead { get; init; } = [];

    /// <summary>Paths re-allowed for reading inside <see cref="DenyRead"/> (<c>sandbox.filesystem.allowRead</c>).</summary>
    public IReadOnlyList<string> AllowRead { get; init; } = [];

    /// <summary>Extra paths sandboxed commands may write (<c>sandbox.filesystem.allowWrite</c>).</summary>
    public IReadOnlyList<string> AllowWrite { get; init; } = [];

    /// <summary>Paths sandboxed commands may not write (<c>sandbox.filesystem.denyWrite</c>).</summary>
    public IReadOnlyList<string> DenyWrite { get; init; } = [];

    /// <summary>Linux: no fresh /proc mount, for unprivileged containers (<c>sandbox.enableWeakerNestedSandbox</c>; weaker).</summary>
    public bool? EnableWeakerNestedSandbox { get; init; }

    /// <summary>The <c>sandbox</c> object of the CLI's settings.</summary>
    internal JsonObject ToSettings()
    {
        var sandbox = new JsonObject { ["enabled"] = Enabled };
        if (Enabled) sandbox["failIfUnavailable"] = true;
        if (AutoAllowBashIfSandboxed is { } autoAllow) sandbox["autoAllowBashIfSandboxed"] = autoAllow;
        sandbox["allowUnsandboxedCommands"] = AllowUnsandboxedCommands;
        AddList(sandbox, "excludedCommands", ExcludedCommands);
        if (EnableWeakerNestedSandbox is { } weaker) sandbox["enableWeakerNestedSandbox"] = weaker;
        var network = new JsonObject();
        AddList(network, "allowedDomains", AllowedDomains);
        AddList(network, "deniedDomains", DeniedDomains);
        AddList(network, "allowUnixSockets", AllowUnixSockets);
        if (AllowLocalBinding is { } binding) network["allowLocalBinding"] = binding;
        if (HttpProxyPort is { } http) network["httpProxyPort"] = http;
        if (SocksProxyPort is { } socks) network["socksProxyPort"] = socks;
        if (network.Count > 0) sandbox["network"] = network;
        var filesystem = new JsonObject();
        AddList(filesystem, "denyRead", DenyRead);
        AddList(filesystem, "allowRead", AllowRead);
        AddList(filesystem, "allowWrite", AllowWrite);
        AddList(filesystem, "denyWrite", DenyWrite);
        if (filesystem.Count > 0) sandbox["filesystem"] = filesystem;
        return sandbox;
    }

    /// <summary>Every problem, as sentences.</summary>
    internal IEnumerable<string> Validate()
    {
        if (HttpProxyPort is < 1 or > 65535) yield return "Sandbox.HttpProxyPort must be a port (1-65535).";
        if (SocksProxyPort is < 1 or > 65535) yield return "Sandbox.SocksProxyPort must be a port (1-65535).";
        foreach (var entry in ExcludedCommands.Concat(AllowedDomains).Concat(DeniedDomains).Concat(DenyRead).Concat(AllowRead).Concat(AllowWrite).Concat(DenyWrite))
            if (string.IsNullOrWhiteSpace(entry)) yield return "Sandbox: list entries must not be empty.";
    }

    private static void AddList(JsonObject target, string key, IReadOnlyList<string> values)
    {
        if (values.Count == 0) return;
        var array = new JsonArray();
        foreach (var value in values) array.Add(value);
        target[key] = array;
    }
}

/// <summary>The <c>--settings</c> value of a session: its own settings (JSON or a file) with the sandbox merged in, as the SDKs do.</summary>
internal static class SessionSettings
{
    /// <summary>The value to pass, or null for none; <paramref name="error"/> says why the settings cannot be merged.</summary>
    public static string? Build(string? settings, SessionSandbox? sandbox, out string? error)
    {
        error = null;
        if (sandbox is null) return settings;
        JsonObject merged;
        if (settings is null) merged = new JsonObject();
        else
        {
            try
            {
                var text = settings.TrimStart().StartsWith('{') ? settings : File.ReadAllText(settings);
                merged = JsonNode.Parse(text) as JsonObject ?? throw new System.Text.Json.JsonException("not an object");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or ArgumentException or NotSupportedException)
            {
                error = "Settings must be a JSON object or a readable JSON file when Sandbox is set (the sandbox is merged into it).";
                return null;
            }
        }
        merged["sandbox"] = sandbox.ToSettings();
        return merged.ToJsonString();
    }
}
