
namespace ClaudeActors.Core;

/// <summary>
/// Options of <c>WithClaudeSessions</c> (and <c>WithClaudeSessionsCluster</c>),
/// bindable from configuration (section <c>ClaudeActors</c> by convention):
/// <code>
/// "ClaudeActors": {
///   "Defaults": { "CliPath": "/usr/local/bin/claude", "Model": "sonnet" },
///   "Sessions": [ { "Name": "assistant", "SystemPrompt": "General helper" },
///                 { "Name": "code-reviewer", "SystemPrompt": "You review C# code" } ]
/// }
/// </code>
/// </summary>
public sealed class ClaudeSessionsOptions
{
    /// <summary>The configuration section this binds from by convention.</summary>
    public const string SectionName = "ClaudeActors";

    /// <summary>Values every session starts from; a session's own values win.</summary>
    public SessionOptions Defaults { get; set; } = new();

    /// <summary>
    /// Local mode: the most memory (summed PSS of their process trees) the supervisor's CLIs may use. Before a CLI starts
    /// that would go over it, the least recently used idle session gives up its CLI (it resumes on its next query); with
    /// none idle the start waits (<see cref="MaxWaitingStarts"/>, <see cref="StartWaitTimeout"/>) and then fails with
    /// <see cref="FailureKind.NodeAtCapacity"/>. Null: no budget. Cluster mode uses <c>ClaudeClusterOptions.MemoryBudget</c>.
    /// </summary>
    public ByteSize? MemoryBudget { get; set; }

    /// <summary>What a CLI is expected to cost before any CLI of the node has been measured (then: the median of the live ones).</summary>
    public ByteSize CliMemoryEstimate { get; set; } = new(200L << 20);

    /// <summary>The most CLI starts that wait for room in the budget; one more fails at once with <see cref="FailureKind.NodeAtCapacity"/>.</summary>
    public int MaxWaitingStarts { get; set; } = 64;

    /// <summary>How long a CLI start waits for room in the budget before it fails with <see cref="FailureKind.NodeAtCapacity"/>.</summary>
    public TimeSpan StartWaitTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often every live CLI's memory is measured (besides after each turn).</summary>
    public TimeSpan MemorySampleInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Sessions started with the host and kept under the supervisor (like the children of <c>ClaudeCode.Supervisor</c>).</summary>
    public List<SessionOptions> Sessions { get; set; } = [];

    /// <summary>
    /// Per-session config dir and working directory for every named session (see <see cref="SessionIsolation"/>);
    /// null: off (sessions share the host's config dir and current directory, as before). In cluster mode
    /// <c>ClaudeClusterOptions.Isolation</c> turns it on.
    /// </summary>
    public SessionIsolation? Isolation { get; set; }

    /// <summary>
    /// Keep this many CLIs started and initialized ahead (spawn and initialize handshake done, each with its own
    /// <c>--session-id</c>) for new sessions launched with <see cref="Defaults"/>: such a session is Ready at once and
    /// the pool refills in the background. Sessions that resume, continue or fork, choose their session id, or have
    /// callbacks (permissions, hooks, in-process MCP servers) never use it. 0 (the default) keeps none; a declared
    /// session's <see cref="SessionOptions.WarmPool"/> keeps a pool of its own launch options.
    /// </summary>
    public int WarmPool { get; set; }

    /// <summary>The options that belong to one conversation and are never taken from <see cref="Defaults"/>.</summary>
    public static readonly IReadOnlySet<string> PerSession = new HashSet<string>(StringComparer.Ordinal)
    {
        nameof(SessionOptions.Name), nameof(SessionOptions.Resume), nameof(SessionOptions.Continue),
        nameof(SessionOptions.ForkSession), nameof(SessionOptions.SessionId), nameof(SessionOptions.WarmPool),
    };

    /// <summary>
    /// Every problem with the declared sessions, as sentences: a session without a name, a name declared twice, and
    /// each session's own <see cref="SessionOptions.Validate"/> problems after <see cref="Resolve"/>.
    /// </summary>
    public List<string> ValidateDeclared()
    {
        var problems = new List<string>();
        foreach (var session in Sessions)
        {
            var resolved = Resolve(session);
            if (resolved.Name is null) problems.Add("every declared session (ClaudeActors:Sessions) needs a Name.");
            else problems.AddRange(resolved.Validate().Select(p => $"session '{resolved.Name}': {p}"));
        }
        if (WarmPool < 0) problems.Add("WarmPool must not be negative.");
        foreach (var duplicate in Sessions.GroupBy(s => s.Name).Where(g => g.Key is not null && g.Count() > 1))
            problems.Add($"the session name '{duplicate.Key}' is declared twice.");
        return problems;
    }

    /// <summary>The declared sessions with the defaults applied; throws <see cref="InvalidSessionOptionsException"/> listing every problem of <see cref="ValidateDeclared"/>.</summary>
    public IReadOnlyList<SessionOptions> ResolveDeclared()
    {
        var problems = ValidateDeclared();
        if (problems.Count > 0) throw new InvalidSessionOptionsException(problems);
        return Sessions.Select(Resolve).ToList();
    }

    /// <summary>
    /// Applies <see cref="Defaults"/> under <paramref name="session"/>: each value the session leaves unset (null, empty,
    /// false or its default) comes from the defaults; environments are merged, the session's keys winning. The
    /// conversation's own choices (<see cref="PerSession"/>: name, resume, continue, fork, session id) never come
    /// from the defaults. With <see cref="Isolation"/>, a named session then gets its own config dir and working
    /// directory (created owner-only when missing) unless its own options set them.
    /// </summary>
    public SessionOptions Resolve(SessionOptions session)
    {
        var d = Defaults;
        var environment = new Dictionary<string, string>(d.Environment);
        foreach (var (key, value) in session.Environment) environment[key] = value;
        var references = new Dictionary<string, string>(d.EnvironmentFromConfiguration);
        foreach (var (key, value) in session.EnvironmentFromConfiguration) references[key] = value;
        // A literal of the session wins over a reference of the defaults, and the other way round.
        foreach (var key in session.Environment.Keys) references.Remove(key);
        foreach (var key in session.EnvironmentFromConfiguration.Keys) environment.Remove(key);
        var resolved = session with
        {
            EnvironmentFromConfiguration = references,
            Sandbox = session.Sandbox ?? d.Sandbox,
            Model = session.Model ?? d.Model,
            SystemPrompt = session.SystemPrompt ?? d.SystemPrompt,
            AppendSystemPrompt = session.AppendSystemPrompt ?? d.AppendSystemPrompt,
            Timeout = session.Timeout != SessionOptions.DefaultTimeout ? session.Timeout : d.Timeout,
            AllowedTools = session.AllowedTools.Count > 0 ? session.AllowedTools : d.AllowedTools,
            DisallowedTools = session.DisallowedTools.Count > 0 ? session.DisallowedTools : d.DisallowedTools,
            PermissionMode = session.PermissionMode ?? d.PermissionMode,
            WorkingDirectory = session.WorkingDirectory ?? d.WorkingDirectory,
            AddDirectories = session.AddDirectories.Count > 0 ? session.AddDirectories : d.AddDirectories,
            McpConfig = session.McpConfig ?? d.McpConfig,
            MaxTurns = session.MaxTurns ?? d.MaxTurns,
            Settings = session.Settings ?? d.Settings,
            Environment = environment,
            CliPath = session.CliPath ?? d.CliPath,
            IncludePartialMessages = session.IncludePartialMessages || d.IncludePartialMessages,
            NoSessionPersistence = session.NoSessionPersistence || d.NoSessionPersistence,
            ReplayUserMessages = session.ReplayUserMessages || d.ReplayUserMessages,
            EnableFileCheckpointing = session.EnableFileCheckpointing || d.EnableFileCheckpointing,
            StrictMcpConfig = session.StrictMcpConfig || d.StrictMcpConfig,
            FallbackModel = session.FallbackModel ?? d.FallbackModel,
            MaxBudgetUsd = session.MaxBudgetUsd ?? d.MaxBudgetUsd,
            Effort = session.Effort ?? d.Effort,
            MaxThinkingTokens = session.MaxThinkingTokens ?? d.MaxThinkingTokens,
            Agents = session.Agents ?? d.Agents,
            Agent = session.Agent ?? d.Agent,
            JsonSchema = session.JsonSchema ?? d.JsonSchema,
            Betas = session.Betas.Count > 0 ? session.Betas : d.Betas,
            SettingSources = session.SettingSources.Count > 0 ? session.SettingSources : d.SettingSources,
            PluginDirectories = session.PluginDirectories.Count > 0 ? session.PluginDirectories : d.PluginDirectories,
            Tools = session.Tools ?? d.Tools,
            DisableSlashCommands = session.DisableSlashCommands || d.DisableSlashCommands,
            IncludeHookEvents = session.IncludeHookEvents || d.IncludeHookEvents,
            ForwardSubagentText = session.ForwardSubagentText || d.ForwardSubagentText,
            ExtraArgs = session.ExtraArgs.Count > 0 ? session.ExtraArgs : d.ExtraArgs,
            Callbacks = session.Callbacks.Under(d.Callbacks),
            Restart = session.Restart != RestartPolicy.Default ? session.Restart : d.Restart,
            CliMemoryLimit = session.CliMemoryLimit ?? d.CliMemoryLimit,
            ControlTimeout = session.ControlTimeout != SessionOptions.DefaultControlTimeout ? session.ControlTimeout : d.ControlTimeout,
        };
        // The node's defaults never pick a session's directories: its own options may.
        return Isolation is null ? resolved : Isolation.Layout.Apply(resolved, session.Environment, session.WorkingDirectory);
    }
}
