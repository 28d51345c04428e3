using ClaudeActors.Process;
using ClaudeActors.Sessions;
using Xunit;

namespace ClaudeActors.Tests.Protocol;

public sealed class CliCommandBuilderTests
{
    [Fact]
    public void Every_option_maps_to_its_flag_as_separate_argv_entries()
    {
        var options = new SessionOptions
        {
            Model = "sonnet",
            SystemPrompt = "You are \"careful\"\nand terse",
            AppendSystemPrompt = "Be brief",
            AllowedTools = ["Read", "Bash(git:*)"],
            DisallowedTools = ["Write"],
            PermissionMode = PermissionMode.AcceptEdits,
            AddDirectories = ["/tmp/a", "/tmp/b c"],
            McpConfig = """{"mcpServers":{}}""",
            MaxTurns = 3,
            Settings = "/tmp/settings.json",
            IncludePartialMessages = true,
            NoSessionPersistence = true,
            SessionId = "0c1b2a39-6c87-4c1e-8f0e-3d2b1a0f9e8d",
        };
        var args = CliCommandBuilder.BuildArguments(options);
        Assert.Equal(["--output-format", "stream-json", "--input-format", "stream-json", "--verbose"], args.Take(5));
        AssertPair(args, "--model", "sonnet");
        AssertPair(args, "--system-prompt", "You are \"careful\"\nand terse");
        AssertPair(args, "--append-system-prompt", "Be brief");
        AssertPair(args, "--allowedTools", "Read,Bash(git:*)");
        AssertPair(args, "--disallowedTools", "Write");
        AssertPair(args, "--permission-mode", "acceptEdits");
        AssertPair(args, "--add-dir", "/tmp/a");
        Assert.Contains("/tmp/b c", args);
        AssertPair(args, "--mcp-config", """{"mcpServers":{}}""");
        AssertPair(args, "--max-turns", "3");
        AssertPair(args, "--settings", "/tmp/settings.json");
        AssertPair(args, "--session-id", "0c1b2a39-6c87-4c1e-8f0e-3d2b1a0f9e8d");
        Assert.Contains("--include-partial-messages", args);
        Assert.Contains("--no-session-persistence", args);
        Assert.DoesNotContain("--resume", args);
    }

    [Fact]
    public void The_rest_of_the_option_set_maps_to_flags()
    {
        var args = CliCommandBuilder.BuildArguments(new SessionOptions
        {
            FallbackModel = "haiku",
            MaxBudgetUsd = 2.5m,
            Effort = "high",
            MaxThinkingTokens = 4096,
            Agents = """{"reviewer":{"description":"Reviews code","prompt":"Review"}}""",
            Agent = "reviewer",
            Betas = ["beta-one", "beta-two"],
            SettingSources = ["user", "project"],
            PluginDirectories = ["/plugins/a", "/plugins/b"],
            StrictMcpConfig = true,
            JsonSchema = """{"type":"object"}""",
            ExtraArgs = new Dictionary<string, string?> { ["--name"] = "nightly", ["--bare"] = null },
            ReplayUserMessages = true,
        });
        AssertPair(args, "--fallback-model", "haiku");
        AssertPair(args, "--max-budget-usd", "2.5");
        AssertPair(args, "--effort", "high");
        AssertPair(args, "--max-thinking-tokens", "4096");
        AssertPair(args, "--agents", """{"reviewer":{"description":"Reviews code","prompt":"Review"}}""");
        AssertPair(args, "--agent", "reviewer");
        AssertPair(args, "--betas", "beta-one,beta-two");
        AssertPair(args, "--setting-sources", "user,project");
        AssertPair(args, "--plugin-dir", "/plugins/a");
        Assert.Contains("/plugins/b", args);
        AssertPair(args, "--json-schema", """{"type":"object"}""");
        AssertPair(args, "--name", "nightly");
        Assert.Equal("--bare", args[^1]);
        Assert.Contains("--strict-mcp-config", args);
        Assert.Contains("--replay-user-messages", args);
    }

    [Fact]
    public void Tool_set_slash_commands_hook_events_and_subagent_text_map_to_flags()
    {
        var args = CliCommandBuilder.BuildArguments(new SessionOptions
        {
            Tools = ["Read", "Grep"], DisableSlashCommands = true, IncludeHookEvents = true, ForwardSubagentText = true,
        });
        AssertPair(args, "--tools", "Read,Grep");
        Assert.Contains("--disable-slash-commands", args);
        Assert.Contains("--include-hook-events", args);
        Assert.Contains("--forward-subagent-text", args);

        // No tools at all is an empty value, not a missing flag; the CLI's default set is no flag.
        AssertPair(CliCommandBuilder.BuildArguments(new SessionOptions { Tools = [] }), "--tools", "");
        Assert.DoesNotContain("--tools", CliCommandBuilder.BuildArguments(new SessionOptions()));
        Assert.Contains("AllowedTools, DisallowedTools and Tools: tool names must not be empty.", new SessionOptions { Tools = [" "] }.Validate());
    }

    [Fact]
    public void A_declared_session_inherits_every_default_it_leaves_unset()
    {
        // Every settable option gets a non-default value in Defaults; a session that sets nothing must end up with all
        // of them. A new option that Resolve forgets fails here.
        var defaults = new SessionOptions();
        // Only the conversation's own choices are skipped, and they are named by the library itself.
        var skipped = ClaudeSessionsOptions.PerSession;
        var checkedNames = new List<string>();
        foreach (var property in typeof(SessionOptions).GetProperties().Where(p => p.CanWrite && !skipped.Contains(p.Name)))
        {
            var value = SampleValue(property.PropertyType);
            property.SetValue(defaults, value);
            checkedNames.Add(property.Name);
        }
        var resolved = new ClaudeSessionsOptions { Defaults = defaults }.Resolve(new SessionOptions { Name = "declared" });
        foreach (var name in checkedNames)
        {
            var property = typeof(SessionOptions).GetProperty(name)!;
            var expected = property.GetValue(defaults);
            var actual = property.GetValue(resolved);
            if (expected is SessionCallbacks callbacks)
            {
                var got = (SessionCallbacks)actual!;
                Assert.True(Equals(callbacks.Permissions, got.Permissions) && callbacks.Timeout == got.Timeout
                    && callbacks.Hooks.SequenceEqual(got.Hooks) && callbacks.McpServers.SequenceEqual(got.McpServers), $"{name} was not inherited");
            }
            else if (expected is System.Collections.IEnumerable e && expected is not string)
                Assert.True(e.Cast<object>().SequenceEqual(((System.Collections.IEnumerable)actual!).Cast<object>()), $"{name} was not inherited");
            else Assert.True(Equals(expected, actual), $"{name} was not inherited: {actual} instead of {expected}");
        }
        Assert.True(checkedNames.Count > 30, string.Join(", ", checkedNames));
    }

    private static object SampleValue(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(string)) return "sample";
        if (underlying == typeof(bool)) return true;
        if (underlying == typeof(int)) return 7;
        if (underlying == typeof(decimal)) return 1.5m;
        if (underlying == typeof(TimeSpan)) return TimeSpan.FromMinutes(7);
        if (underlying == typeof(ByteSize)) return ByteSize.Parse("7MiB");
        if (underlying == typeof(PermissionMode)) return PermissionMode.Plan;
        if (underlying == typeof(IReadOnlyList<string>)) return (IReadOnlyList<string>)["sample"];
        if (underlying == typeof(IReadOnlyDictionary<string, string>)) return new Dictionary<string, string> { ["SAMPLE"] = "1" };
        if (underlying == typeof(IReadOnlyDictionary<string, string?>)) return new Dictionary<string, string?> { ["--sample"] = null };
        if (underlying == typeof(SessionSandbox)) return new SessionSandbox { Enabled = true, ExcludedCommands = ["sample"] };
        if (underlying == typeof(RestartPolicy)) return new RestartPolicy { MaxRestarts = 9, MinBackoff = TimeSpan.FromSeconds(1) };
        if (underlying == typeof(SessionCallbacks))
            return new SessionCallbacks
            {
                Permissions = CallbackHandler.ActorPath("/user/sample"),
                Hooks = [new HookRegistration(HookEvent.PreToolUse, CallbackHandler.ActorPath("/user/hook"))],
                McpServers = [new SdkMcpServer("sample", [])],
                Timeout = TimeSpan.FromSeconds(9),
            };
        throw new InvalidOperationException($"No sample value for {type}: add one, and make sure Resolve inherits it.");
    }

    [Fact]
    public void Callbacks_add_the_stdio_permission_tool_and_the_sdk_mcp_servers()
    {
        var schema = System.Text.Json.JsonDocument.Parse("{}").RootElement;
        var handler = CallbackHandler.ActorPath("/user/x");
        var args = CliCommandBuilder.BuildArguments(new SessionOptions
        {
            Callbacks = new()
            {
                Permissions = handler,
                McpServers = [new("calc", [new("add", "adds", schema, handler)])],
            },
        });
        AssertPair(args, "--permission-prompt-tool", "stdio");
        AssertPair(args, "--mcp-config", """{"mcpServers":{"calc":{"type":"sdk","name":"calc"}}}""");
        // The host's own tools run without a prompt; a server can opt out, and the user's own rules come first.
        AssertPair(args, "--allowedTools", "mcp__calc");
        var optedOut = CliCommandBuilder.BuildArguments(new SessionOptions
        {
            AllowedTools = ["Read"],
            Callbacks = new() { McpServers = [new("calc", [new("add", "adds", schema, handler)]) { RequirePermission = true }, new("open", [])] },
        });
        AssertPair(optedOut, "--allowedTools", "Read,mcp__open");
    }

    [Fact]
    public void Resume_continue_fork_and_checkpointing_map_to_flags_and_environment()
    {
        var id = SessionIds.New();
        var resume = CliCommandBuilder.BuildArguments(new SessionOptions { Resume = id, ForkSession = true });
        AssertPair(resume, "--resume", id);
        Assert.Contains("--fork-session", resume);

        Assert.Contains("--continue", CliCommandBuilder.BuildArguments(new SessionOptions { Continue = true }));

        var checkpointing = new SessionOptions { EnableFileCheckpointing = true };
        Assert.Contains("--replay-user-messages", CliCommandBuilder.BuildArguments(checkpointing));
        Assert.Equal("true", CliCommandBuilder.BuildEnvironment(checkpointing)["CLAUDE_CODE_ENABLE_SDK_FILE_CHECKPOINTING"]);
    }

    [Fact]
    public void A_restart_resumes_the_known_session_instead_of_the_original_flags()
    {
        var original = SessionIds.New();
        var current = SessionIds.New();
        var args = CliCommandBuilder.BuildArguments(new SessionOptions { Resume = original, ForkSession = true }, new LaunchOverrides(Resume: current));
        AssertPair(args, "--resume", current);
        Assert.DoesNotContain("--fork-session", args);
        Assert.DoesNotContain(original, args);
    }

    [Theory]
    [InlineData("not-a-uuid", null, false, false, "SessionId (--session-id) must be a valid UUID")]
    [InlineData(null, "../../etc/passwd", false, false, "Resume (--resume) must be a session id")]
    [InlineData(null, "0c1b2a39-6c87-4c1e-8f0e-3d2b1a0f9e8d", true, false, "Resume and Continue cannot be used together")]
    [InlineData(null, null, false, true, "ForkSession (--fork-session) needs Resume")]
    [InlineData("0c1b2a39-6c87-4c1e-8f0e-3d2b1a0f9e8d", "1c1b2a39-6c87-4c1e-8f0e-3d2b1a0f9e8d", false, false, "SessionId with Resume or Continue needs ForkSession")]
    public void Invalid_combinations_are_rejected_before_any_process_starts(string? sessionId, string? resume, bool @continue, bool fork, string expected)
    {
        var options = new SessionOptions { SessionId = sessionId, Resume = resume, Continue = @continue, ForkSession = fork };
        var ex = Assert.Throws<InvalidSessionOptionsException>(() => options.EnsureValid());
        Assert.Contains(ex.Errors, e => e.Contains(expected));
        Assert.Equal(FailureKind.InvalidRequest, ex.Failure.Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("tab\there")]
    [InlineData("nul\0")]
    [InlineData("$system")]
    [InlineData(" padded ")]
    public void Invalid_names_are_rejected(string name) => Assert.NotNull(SessionNames.Check(name));

    [Fact]
    public void Names_have_a_length_limit_and_allow_ordinary_text()
    {
        Assert.NotNull(SessionNames.Check(new string('x', 5000)));
        Assert.Null(SessionNames.Check("code reviewer #2 (äöü)"));
    }

    [Fact]
    public void The_default_timeout_is_300_000_ms() => Assert.Equal(300_000, new SessionOptions().Timeout.TotalMilliseconds);

    [Fact]
    public void Printing_options_never_shows_environment_values()
    {
        var options = new SessionOptions { Environment = new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "test-only-secret-value" } };
        var text = options.ToString();
        Assert.Contains("ANTHROPIC_API_KEY", text);
        Assert.DoesNotContain("secret-value", text);
    }

    private static void AssertPair(IReadOnlyList<string> args, string flag, string value)
    {
        var i = args.ToList().IndexOf(flag);
        Assert.True(i >= 0 && i + 1 < args.Count, $"{flag} missing in {string.Join(' ', args)}");
        Assert.Equal(value, args[i + 1]);
    }
}
