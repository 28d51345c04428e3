using System.Text;

namespace ClaudeActors.Core;

/// <summary>The CLI's permission modes (<c>--permission-mode</c>, <c>set_permission_mode</c>).</summary>
public enum PermissionMode
{
    /// <summary>The CLI asks before tools that change things (<c>default</c>).</summary>
    Default,
    /// <summary>File edits are accepted without asking (<c>acceptEdits</c>).</summary>
    AcceptEdits,
    /// <summary>The model plans and changes nothing (<c>plan</c>).</summary>
    Plan,
    /// <summary>Every tool runs without asking (<c>bypassPermissions</c>; refused as root unless <c>IS_SANDBOX=1</c>).</summary>
    BypassPermissions,
    /// <summary>Tools that would need a prompt are denied (<c>dontAsk</c>).</summary>
    DontAsk,
}

/// <summary>
/// Everything a session is started with: the options of the Elixir SDK's sessions plus the CLI's common flags.
/// Immutable; <see cref="Validate"/> reports every invalid combination before any process starts.
/// Values in <see cref="Environment"/> may be secrets: they reach the CLI's environment only, never a log line.
/// </summary>
public sealed record SessionOptions
{
    /// <summary>The default per-query timeout: 300 000 ms, as in the Elixir SDK.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMilliseconds(300_000);

    /// <summary>The default wait for the CLI's answer to initialize and other control requests: 60 s.</summary>
    public static readonly TimeSpan DefaultControlTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The session's name: its address in the supervisor and, in a cluster, its entity id.</summary>
    public string? Name { get; init; }

    /// <summary>A session id to resume (<c>--resume</c>).</summary>
    public string? Resume { get; init; }

    /// <summary>Continue the most recent conversation of the working directory (<c>--continue</c>).</summary>
    public bool Continue { get; init; }

    /// <summary>With <see cref="Resume"/> (or <see cref="Continue"/>): keep the context under a new session id (<c>--fork-session</c>).</summary>
    public bool ForkSession { get; init; }

    /// <summary>Use this session id (must be a valid UUID) (<c>--session-id</c>).</summary>
    public string? SessionId { get; init; }

    /// <summary>Write no transcript; the conversation cannot be resumed (<c>--no-session-persistence</c>).</summary>
    public bool NoSessionPersistence { get; init; }

    /// <summary>The model (<c>sonnet</c>, <c>opus</c>, a full model id) (<c>--model</c>).</summary>
    public string? Model { get; init; }

    /// <summary>Replaces the CLI's system prompt (<c>--system-prompt</c>).</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>Appended to the CLI's system prompt (<c>--append-system-prompt</c>).</summary>
    public string? AppendSystemPrompt { get; init; }

    /// <summary>The per-query timeout; default 300 000 ms. A query that takes longer is interrupted and fails with <c>Timeout</c>.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>Tools allowed without asking (<c>--allowedTools</c>), e.g. <c>Read</c>, <c>Bash(git:*)</c>.</summary>
    public IReadOnlyList<string> AllowedTools { get; init; } = [];

    /// <summary>Tools the model may not use (<c>--disallowedTools</c>).</summary>
    public IReadOnlyList<string> DisallowedTools { get; init; } = [];

    /// <summary>The permission mode (<c>--permission-mode</c>); null leaves the CLI's default.</summary>
    public PermissionMode? PermissionMode { get; init; }

    /// <summary>The CLI's working directory; null is the host's current directory. Must exist.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Extra directories the CLI may use (<c>--add-dir</c>).</summary>
    public IReadOnlyList<string> AddDirectories { get; init; } = [];

    /// <summary>MCP server configuration: a JSON string or a file path (<c>--mcp-config</c>).</summary>
    public string? McpConfig { get; init; }

    /// <summary>The most agentic turns per query (<c>--max-turns</c>).</summary>
    public int? MaxTurns { get; init; }

    /// <summary>Settings: a JSON string or a file path (<c>--settings</c>).</summary>
    public string? Settings { get; init; }

    /// <summary>Extra environment variables for the CLI (API keys, base URLs, config dir). Never logged or persisted.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Environment variables whose values are read from configuration when the CLI starts: variable name →
    /// configuration key (<c>"ANTHROPIC_API_KEY" → "Clients:Acme:ApiKey"</c>), resolved through the host's
    /// <c>IConfiguration</c> (user secrets, environment variables, a vault provider). Only the key is kept in
    /// options, the journal and the session directory; the value reaches the CLI's environment only. A key that
    /// has no value fails the session at start (<see cref="FailureKind.CredentialUnavailable"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string> EnvironmentFromConfiguration { get; init; } = new Dictionary<string, string>();

    /// <summary>The CLI's command sandbox (merged into <c>--settings</c>); null leaves the CLI's settings.</summary>
    public SessionSandbox? Sandbox { get; init; }

    /// <summary>The CLI executable: a path, or a name looked up on PATH. Null: <c>CLAUDE_CLI_PATH</c>, then <c>claude</c> on PATH.</summary>
    public string? CliPath { get; init; }

    /// <summary>Stream partial messages (text deltas) as <see cref="Protocol.StreamEventMessage"/> (<c>--include-partial-messages</c>).</summary>
    public bool IncludePartialMessages { get; init; }

    /// <summary>Track file changes so that <c>rewind_files</c> can undo them; implies <see cref="ReplayUserMessages"/>.</summary>
    public bool EnableFileCheckpointing { get; init; }

    /// <summary>The CLI echoes each prompt with its uuid (<c>--replay-user-messages</c>).</summary>
    public bool ReplayUserMessages { get; init; }

    /// <summary>Models to fall back to when the main one is overloaded (<c>--fallback-model</c>).</summary>
    public string? FallbackModel { get; init; }

    /// <summary>The most the session may spend on API calls, in US dollars (<c>--max-budget-usd</c>).</summary>
    public decimal? MaxBudgetUsd { get; init; }

    /// <summary>Effort level: <c>low</c>, <c>medium</c>, <c>high</c>, ... (<c>--effort</c>).</summary>
    public string? Effort { get; init; }

    /// <summary>Thinking token budget (<c>--max-thinking-tokens</c>).</summary>
    public int? MaxThinkingTokens { get; init; }

    /// <summary>Custom agents: a JSON object or a file (<c>--agents</c>).</summary>
    public string? Agents { get; init; }

    /// <summary>The agent for the session (<c>--agent</c>).</summary>
    public string? Agent { get; init; }

    /// <summary>Beta headers for API requests (<c>--betas</c>).</summary>
    public IReadOnlyList<string> Betas { get; init; } = [];

    /// <summary>Which setting sources to load: <c>user</c>, <c>project</c>, <c>local</c> (<c>--setting-sources</c>).</summary>
    public IReadOnlyList<string> SettingSources { get; init; } = [];

    /// <summary>Plugin directories (<c>--plugin-dir</c>, each).</summary>
    public IReadOnlyList<string> PluginDirectories { get; init; } = [];

    /// <summary>Use only the MCP servers of <see cref="McpConfig"/> (<c>--strict-mcp-config</c>).</summary>
    public bool StrictMcpConfig { get; init; }

    /// <summary>
    /// The built-in tools the model may use at all (<c>--tools</c>): null keeps the CLI's default set, an empty list
    /// gives none. Unlike <see cref="AllowedTools"/> (which skips the permission prompt), tools left out here do not exist
    /// for the model.
    /// </summary>
    public IReadOnlyList<string>? Tools { get; init; }

    /// <summary>No skills or slash commands (<c>--disable-slash-commands</c>).</summary>
    public bool DisableSlashCommands { get; init; }

    /// <summary>Stream every hook lifecycle event as a <c>system</c> message (<c>--include-hook-events</c>).</summary>
    public bool IncludeHookEvents { get; init; }

    /// <summary>Stream subagents' text and thinking as messages with their <c>parent_tool_use_id</c> (<c>--forward-subagent-text</c>).</summary>
    public bool ForwardSubagentText { get; init; }

    /// <summary>A JSON schema the final answer must follow (<c>--json-schema</c>).</summary>
    public string? JsonSchema { get; init; }

    /// <summary>Any other CLI flag: <c>"--flag" → value</c>, or <c>"--flag" → null</c> for a switch. Added last, as separate argv entries.</summary>
    public IReadOnlyDictionary<string, string?> ExtraArgs { get; init; } = new Dictionary<string, string?>();

    /// <summary>Handlers the CLI calls back: tool permissions, hooks, in-process MCP tools. Never serialised or persisted.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public SessionCallbacks Callbacks { get; init; } = new();

    /// <summary>How the session restarts its CLI after a crash (backoff and bound).</summary>
    public RestartPolicy Restart { get; init; } = RestartPolicy.Default;

    /// <summary>
    /// The most memory (PSS of its process tree) this session's CLI may use: over it, the CLI is replaced between turns
    /// by a new one that resumes the conversation; over 1.5x it during a turn, the turn is ended
    /// (<see cref="FailureKind.MemoryLimitExceeded"/>) and the session resumes on a new CLI. Null: no limit.
    /// </summary>
    public ByteSize? CliMemoryLimit { get; init; }

    /// <summary>How long to wait for the CLI's answer to the initialize handshake and other control requests.</summary>
    public TimeSpan ControlTimeout { get; init; } = DefaultControlTimeout;

    /// <summary>
    /// On a declared session (<c>ClaudeActors:Sessions</c>): keep this many CLIs started and initialized ahead with this
    /// session's launch options, for the sessions started later with the same options (a profile of its own beside the
    /// defaults' <see cref="ClaudeSessionsOptions.WarmPool"/>). Never taken from the defaults; 0 (the default) keeps none.
    /// </summary>
    public int WarmPool { get; init; }

    /// <summary>Checks every rule; returns the problems found (empty when the options are valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Name is not null && SessionNames.Check(Name) is { } nameError) errors.Add(nameError);
        if (SessionId is not null && !SessionIds.IsValid(SessionId))
            errors.Add("SessionId (--session-id) must be a valid UUID.");
        if (Resume is not null && !SessionIds.IsValid(Resume))
            errors.Add("Resume (--resume) must be a session id (a UUID).");
        if (Resume is not null && Continue)
            errors.Add("Resume and Continue cannot be used together.");
        if (ForkSession && Resume is null && !Continue)
            errors.Add("ForkSession (--fork-session) needs Resume (or Continue).");
        if (SessionId is not null && (Resume is not null || Continue) && !ForkSession)
            errors.Add("SessionId with Resume or Continue needs ForkSession.");
        if (NoSessionPersistence && (Resume is not null || Continue) && !ForkSession)
            errors.Add("NoSessionPersistence cannot be combined with Resume or Continue.");
        if (Timeout <= TimeSpan.Zero) errors.Add("Timeout must be positive.");
        if (ControlTimeout <= TimeSpan.Zero) errors.Add("ControlTimeout must be positive.");
        if (WarmPool < 0) errors.Add("WarmPool must not be negative.");
        if (CliMemoryLimit is { Bytes: <= 0 }) errors.Add("CliMemoryLimit (--cli-memory-limit) must be positive.");
        if (MaxTurns is <= 0) errors.Add("MaxTurns (--max-turns) must be positive.");
        if (MaxBudgetUsd is <= 0) errors.Add("MaxBudgetUsd (--max-budget-usd) must be positive.");
        if (MaxThinkingTokens is < 0) errors.Add("MaxThinkingTokens (--max-thinking-tokens) must not be negative.");
        foreach (var flag in ExtraArgs.Keys)
            if (!flag.StartsWith("--", StringComparison.Ordinal) || flag.Length < 3 || flag.Any(char.IsWhiteSpace))
                errors.Add($"ExtraArgs: '{flag}' must look like --flag.");
        if (WorkingDirectory is { Length: 0 }) errors.Add("WorkingDirectory must not be empty.");
        foreach (var (key, _) in Environment)
            if (key.Length == 0 || key.Contains('=') || key.Contains('\0'))
                errors.Add($"Environment: invalid variable name '{key}'.");
        foreach (var (key, reference) in EnvironmentFromConfiguration)
        {
            if (key.Length == 0 || key.Contains('=') || key.Contains('\0'))
                errors.Add($"EnvironmentFromConfiguration: invalid variable name '{key}'.");
            if (string.IsNullOrWhiteSpace(reference))
                errors.Add($"EnvironmentFromConfiguration: '{key}' needs a configuration key.");
            if (Environment.ContainsKey(key))
                errors.Add($"'{key}' is set both in Environment and in EnvironmentFromConfiguration.");
        }
        if (Sandbox is not null)
        {
            errors.AddRange(Sandbox.Validate());
            if (SessionSettings.Build(Settings, Sandbox, out var settingsError) is null && settingsError is not null) errors.Add(settingsError);
        }
        foreach (var server in Callbacks.McpServers)
        {
            if (string.IsNullOrWhiteSpace(server.Name) || !server.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                errors.Add($"MCP server name '{server.Name}' must be letters, digits, '-' or '_'.");
            var toolNames = server.Tools.Select(t => t.Name).Concat(server.McpServerTools.Select(t => t.ProtocolTool.Name)).ToList();
            if (toolNames.Distinct().Count() != toolNames.Count)
                errors.Add($"MCP server '{server.Name}' declares a tool name twice.");
        }
        if (Callbacks.McpServers.Select(s => s.Name).Distinct().Count() != Callbacks.McpServers.Count)
            errors.Add("Two MCP servers have the same name.");
        if (Callbacks.Timeout <= TimeSpan.Zero) errors.Add("Callbacks.Timeout must be positive.");
        foreach (var tool in AllowedTools.Concat(DisallowedTools).Concat(Tools ?? []))
            if (string.IsNullOrWhiteSpace(tool)) errors.Add("AllowedTools, DisallowedTools and Tools: tool names must not be empty.");
        return errors;
    }

    /// <summary>Throws <see cref="InvalidSessionOptionsException"/> when <see cref="Validate"/> finds a problem.</summary>
    public SessionOptions EnsureValid()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new InvalidSessionOptionsException(errors);
        return this;
    }

    // Secret-safe: environment values and prompts are left out of the printed form.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Name = ").Append(Name)
            .Append(", Model = ").Append(Model)
            .Append(", Resume = ").Append(Resume)
            .Append(", Continue = ").Append(Continue)
            .Append(", ForkSession = ").Append(ForkSession)
            .Append(", SessionId = ").Append(SessionId)
            .Append(", WorkingDirectory = ").Append(WorkingDirectory)
            .Append(", PermissionMode = ").Append(PermissionMode)
            .Append(", Timeout = ").Append(Timeout)
            .Append(", Environment = [").Append(string.Join(", ", Environment.Keys)).Append(']')
            .Append(", EnvironmentFromConfiguration = [").Append(string.Join(", ", EnvironmentFromConfiguration.Keys)).Append(']')
            .Append(", Sandbox = ").Append(Sandbox?.Enabled);
        return true;
    }
}

/// <summary>Rules for session names: they become actor names and, in a cluster, entity ids.</summary>
public static class SessionNames
{
    /// <summary>The longest name accepted.</summary>
    public const int MaxLength = 200;

    /// <summary>Returns why <paramref name="name"/> is not a valid session name, or null when it is.</summary>
    /// <remarks>
    /// A name is 1 to 200 characters, none of them a control character, whitespace other than a plain space,
    /// a path separator (<c>/</c>, <c>\</c>), or <c>$</c> as the first character (reserved by Akka).
    /// </remarks>
    public static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "a session name must not be empty.";
        if (name.Length > MaxLength) return $"a session name must be at most {MaxLength} characters.";
        if (name[0] == '$') return "a session name must not start with '$'.";
        if (name.Trim().Length != name.Length) return "a session name must not start or end with whitespace.";
        foreach (var c in name)
        {
            if (char.IsControl(c)) return "a session name must not contain control characters.";
            if (c is '/' or '\\') return "a session name must not contain path separators.";
            if (char.IsWhiteSpace(c) && c != ' ') return "a session name must not contain tabs or line breaks.";
        }
        return null;
    }
}

/// <summary>Session ids are UUIDs; anything else (e.g. a path like <c>../x</c>) is rejected.</summary>
public static class SessionIds
{
    /// <summary>True when <paramref name="value"/> is a UUID in its 36-character form.</summary>
    public static bool IsValid(string? value) =>
        value is { Length: 36 } && Guid.TryParseExact(value, "D", out _);

    /// <summary>A new random session id.</summary>
    public static string New() => Guid.NewGuid().ToString("D");
}

/// <summary>Wire names of <see cref="PermissionMode"/>.</summary>
public static class PermissionModes
{
    /// <summary>The CLI's name for <paramref name="mode"/>.</summary>
    public static string ToWire(PermissionMode mode) => mode switch
    {
        PermissionMode.Default => "default",
        PermissionMode.AcceptEdits => "acceptEdits",
        PermissionMode.Plan => "plan",
        PermissionMode.BypassPermissions => "bypassPermissions",
        PermissionMode.DontAsk => "dontAsk",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>Parses a wire name (or the enum's own name, any case).</summary>
    public static bool TryParse(string? value, out PermissionMode mode)
    {
        foreach (var candidate in Enum.GetValues<PermissionMode>())
        {
            if (string.Equals(ToWire(candidate), value, StringComparison.OrdinalIgnoreCase) ||
                string.Equals(candidate.ToString(), value, StringComparison.OrdinalIgnoreCase))
            {
                mode = candidate;
                return true;
            }
        }
        mode = default;
        return false;
    }
}
