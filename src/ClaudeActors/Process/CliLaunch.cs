using System.Globalization;

namespace ClaudeActors.Process;

/// <summary>Everything needed to start one CLI process: resolved executable, argv as a list, environment, cwd.</summary>
/// <param name="FileName">The resolved executable.</param>
/// <param name="Arguments">The argument list, one element per argv entry (never joined into one string).</param>
/// <param name="Environment">Variables set on top of the host's environment; values may be secrets.</param>
/// <param name="WorkingDirectory">The CLI's working directory.</param>
internal sealed record CliLaunchSpec(
    string FileName,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory)
{
    /// <summary>Values never to print: every environment value that looks like a credential, and every value resolved from a reference.</summary>
    public IEnumerable<string> SecretValues =>
        Environment.Where(kv => Redaction.IsSecretName(kv.Key) || Referenced.Contains(kv.Key)).Select(kv => kv.Value);

    /// <summary>The variables whose values came from <see cref="SessionOptions.EnvironmentFromConfiguration"/>.</summary>
    public IReadOnlyCollection<string> Referenced { get; init; } = [];
}

/// <summary>How the CLI of a session is to be started this time (fresh, or resuming after a restart).</summary>
/// <param name="Resume">Resume this session id instead of what the options say (after a crash or a host restart).</param>
/// <param name="SessionMirror">Add <c>--session-mirror</c>: the CLI writes its transcript appends on stdout (cluster mode journals them).</param>
internal sealed record LaunchOverrides(string? Resume = null, bool SessionMirror = false);

/// <summary>Maps <see cref="SessionOptions"/> to the CLI's flags and environment.</summary>
internal static class CliCommandBuilder
{
    public static IReadOnlyList<string> BuildArguments(SessionOptions options, LaunchOverrides? overrides = null)
    {
        var args = new List<string>
        {
            "--output-format", "stream-json",
            "--input-format", "stream-json",
            "--verbose",
        };

        if (overrides?.Resume is { } resumeOverride)
        {
            args.Add("--resume");
            args.Add(resumeOverride);
        }
        else
        {
            if (options.Resume is { } resume)
            {
                args.Add("--resume");
                args.Add(resume);
            }
            if (options.Continue) args.Add("--continue");
            if (options.ForkSession) args.Add("--fork-session");
            if (options.SessionId is { } sessionId)
            {
                args.Add("--session-id");
                args.Add(sessionId);
            }
        }

        if (options.NoSessionPersistence) args.Add("--no-session-persistence");
        if (overrides?.SessionMirror == true && !options.NoSessionPersistence) args.Add("--session-mirror");
        AddValue(args, "--model", options.Model);
        AddValue(args, "--system-prompt", options.SystemPrompt);
        AddValue(args, "--append-system-prompt", options.AppendSystemPrompt);
        // The host's own in-process servers are trusted by default: their tools run without a prompt, which in the
        // default permission mode would otherwise refuse them (no terminal to ask) while the turn still "succeeds".
        var allowed = options.AllowedTools
            .Concat(options.Callbacks.McpServers.Where(s => !s.RequirePermission).Select(s => "mcp__" + s.Name))
            .Distinct(StringComparer.Ordinal).ToList();
        if (allowed.Count > 0) AddValue(args, "--allowedTools", string.Join(",", allowed));
        if (options.DisallowedTools.Count > 0) AddValue(args, "--disallowedTools", string.Join(",", options.DisallowedTools));
        if (options.PermissionMode is { } mode) AddValue(args, "--permission-mode", PermissionModes.ToWire(mode));
        foreach (var dir in options.AddDirectories) AddValue(args, "--add-dir", dir);
        AddValue(args, "--mcp-config", options.McpConfig);
        if (options.MaxTurns is { } maxTurns) AddValue(args, "--max-turns", maxTurns.ToString(CultureInfo.InvariantCulture));
        AddValue(args, "--settings", SessionSettings.Build(options.Settings, options.Sandbox, out _));
        if (options.IncludePartialMessages) args.Add("--include-partial-messages");
        if (options.Callbacks.Permissions is not null) AddValue(args, "--permission-prompt-tool", "stdio");
        if (options.Callbacks.McpServers.Count > 0)
        {
            // In-process servers are declared twice: here, and by name in the initialize request.
            var servers = new System.Text.Json.Nodes.JsonObject();
            foreach (var server in options.Callbacks.McpServers)
                servers[server.Name] = new System.Text.Json.Nodes.JsonObject { ["type"] = "sdk", ["name"] = server.Name };
            AddValue(args, "--mcp-config", new System.Text.Json.Nodes.JsonObject { ["mcpServers"] = servers }.ToJsonString());
        }
        if (options.ReplayUserMessages || options.EnableFileCheckpointing) args.Add("--replay-user-messages");
        AddValue(args, "--fallback-model", options.FallbackModel);
        if (options.MaxBudgetUsd is { } budget) AddValue(args, "--max-budget-usd", budget.ToString(CultureInfo.InvariantCulture));
        AddValue(args, "--effort", options.Effort);
        if (options.MaxThinkingTokens is { } thinking) AddValue(args, "--max-thinking-tokens", thinking.ToString(CultureInfo.InvariantCulture));
        AddValue(args, "--agents", options.Agents);
        AddValue(args, "--agent", options.Agent);
        if (options.Betas.Count > 0) AddValue(args, "--betas", string.Join(",", options.Betas));
        if (options.SettingSources.Count > 0) AddValue(args, "--setting-sources", string.Join(",", options.SettingSources));
        foreach (var dir in options.PluginDirectories) AddValue(args, "--plugin-dir", dir);
        if (options.StrictMcpConfig) args.Add("--strict-mcp-config");
        AddValue(args, "--json-schema", options.JsonSchema);
        // An empty value is meaningful here ("no built-in tools"), so it is passed even when empty.
        if (options.Tools is { } tools) { args.Add("--tools"); args.Add(string.Join(",", tools)); }
        if (options.DisableSlashCommands) args.Add("--disable-slash-commands");
        if (options.IncludeHookEvents) args.Add("--include-hook-events");
        if (options.ForwardSubagentText) args.Add("--forward-subagent-text");
        foreach (var (flag, value) in options.ExtraArgs)
        {
            args.Add(flag);
            if (value is not null) args.Add(value);
        }
        return args;
    }

    /// <param name="options">The session's options.</param>
    /// <param name="configuration">Looks up <see cref="SessionOptions.EnvironmentFromConfiguration"/>'s keys; a key without a value is left out (the preflight has failed such a session already).</param>
    public static IReadOnlyDictionary<string, string> BuildEnvironment(SessionOptions options, Func<string, string?>? configuration = null)
    {
        var env = new Dictionary<string, string>(options.Environment, StringComparer.Ordinal);
        foreach (var (name, value) in CredentialReferences.Resolve(options, configuration, out _)) env[name] = value;
        if (options.EnableFileCheckpointing) env["CLAUDE_CODE_ENABLE_SDK_FILE_CHECKPOINTING"] = "true";
        return env;
    }

    public static CliLaunchSpec Build(SessionOptions options, string resolvedCli, LaunchOverrides? overrides = null, Func<string, string?>? configuration = null) =>
        new(resolvedCli,
            BuildArguments(options, overrides),
            BuildEnvironment(options, configuration),
            Path.GetFullPath(options.WorkingDirectory ?? Directory.GetCurrentDirectory()))
        {
            Referenced = options.EnvironmentFromConfiguration.Keys.ToList(),
        };

    private static void AddValue(List<string> args, string flag, string? value)
    {
        if (value is null) return;
        args.Add(flag);
        args.Add(value);
    }
}
