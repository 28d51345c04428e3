using ClaudeActors.Process;
using ClaudeActors.Tests.Chaos;
using Xunit;

namespace ClaudeActors.Tests.Isolation;

/// <summary>The name → directory encoding of isolated sessions: no name leaves the data directory.</summary>
public sealed class IsolationLayoutTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "ca-iso-" + Guid.NewGuid().ToString("N")[..10], "data");

    /// <summary>The reliability table's hostile names (K07-K10), and more of the kind that break paths.</summary>
    public static TheoryData<string> HostileNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in HostileCatalogue.HostileSessionNames.Concat([
                     "..", ".", "../../../../etc/passwd", "a/../../b", "C:\\Windows", "/abs/path", "~", "~root",
                     new string('x', 5000), new string('.', 200), "con", "NUL", "aux.txt",
                     "\u2024\u2024", "\uFF0E\uFF0E\uFF0Fetc", "a\u2215b", "\u202Eevil", "\uD800", "caf\u00E9", "cafe\u0301",
                     "Alice", "alice", "ALICE",
                 ]))
            data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void A_hostile_name_maps_to_one_folder_directly_under_the_sessions_folder(string name)
    {
        var layout = new IsolationLayout(_data);
        var dirs = layout.For(name);
        Assert.Equal(layout.SessionsRoot, Path.GetDirectoryName(dirs.Root));
        Assert.Equal(dirs.Root, Path.GetDirectoryName(dirs.Config));
        Assert.Equal(dirs.Root, Path.GetDirectoryName(dirs.Work));
        var folder = Path.GetFileName(dirs.Root);
        Assert.Matches("^[a-z0-9-]{1,73}$", folder);
        Assert.DoesNotContain("..", folder);
        Assert.Equal(folder, IsolationLayout.Encode(name)); // the same on every node
    }

    [Fact]
    public void Names_that_differ_only_by_case_or_by_look_alikes_get_different_folders()
    {
        string[] names = ["Alice", "alice", "ALICE", "caf\u00E9", "cafe\u0301", "a.b", "a-b", "a b", "a_b", "a\u2215b", new string('x', 200), new string('x', 199) + "y"];
        var folders = names.Select(IsolationLayout.Encode).ToList();
        // Compared ignoring case: a case-insensitive file system must not merge two sessions either.
        Assert.Equal(names.Length, folders.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void Created_folders_are_owner_only_and_removal_takes_only_that_session()
    {
        var layout = new IsolationLayout(_data);
        var a = layout.Create("a");
        var b = layout.Create("b");
        File.WriteAllText(Path.Combine(a.Work, "file.txt"), "a's");
        if (!OperatingSystem.IsWindows())
        {
            foreach (var dir in new[] { layout.SessionsRoot, a.Root, a.Config, a.Work })
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        }
        layout.Remove("a");
        Assert.False(Directory.Exists(a.Root));
        Assert.True(Directory.Exists(b.Work));
    }

    [Fact]
    public void Apply_gives_a_named_session_its_folders_unless_its_own_options_set_them()
    {
        var layout = new IsolationLayout(_data);
        var shared = new Dictionary<string, string> { ["CLAUDE_CONFIG_DIR"] = "/shared/config", ["ANTHROPIC_API_KEY"] = "x" };
        var resolved = new SessionOptions { Name = "n", Environment = shared, WorkingDirectory = "/shared/work" };

        // The node's defaults set both: the session still gets its own.
        var isolated = layout.Apply(resolved, ownEnvironment: new Dictionary<string, string>(), ownWorkingDirectory: null);
        var dirs = layout.For("n");
        Assert.Equal(dirs.Config, isolated.Environment["CLAUDE_CONFIG_DIR"]);
        Assert.Equal(dirs.Work, isolated.WorkingDirectory);
        Assert.Equal("x", isolated.Environment["ANTHROPIC_API_KEY"]);
        Assert.True(Directory.Exists(dirs.Work));

        // The session's own choices win.
        var own = layout.Apply(resolved, ownEnvironment: shared, ownWorkingDirectory: "/shared/work");
        Assert.Equal("/shared/config", own.Environment["CLAUDE_CONFIG_DIR"]);
        Assert.Equal("/shared/work", own.WorkingDirectory);

        // An unnamed session is left alone.
        Assert.Same(resolved with { Name = null } is var unnamed ? unnamed : null, layout.Apply(unnamed, new Dictionary<string, string>(), null));
    }

    [Fact]
    public void With_the_sandbox_Bash_may_not_read_the_data_directory_but_its_own_folder()
    {
        var layout = new IsolationLayout(_data);
        var options = new SessionOptions { Name = "n", Sandbox = new SessionSandbox { Enabled = true } };
        var once = layout.Apply(options, new Dictionary<string, string>(), null);
        var twice = layout.Apply(once, once.Environment, once.WorkingDirectory);
        Assert.Equal([layout.DataDirectory], twice.Sandbox!.DenyRead);
        Assert.Equal([layout.For("n").Root], twice.Sandbox.AllowRead);
    }

    [Fact]
    public void Resolve_applies_isolation_over_the_defaults()
    {
        var node = new ClaudeSessionsOptions
        {
            Defaults = new SessionOptions { Environment = new Dictionary<string, string> { ["CLAUDE_CONFIG_DIR"] = "/node/config" } },
            Isolation = new SessionIsolation { Directory = _data },
        };
        var resolved = node.Resolve(new SessionOptions { Name = "client-a" });
        var dirs = new IsolationLayout(_data).For("client-a");
        Assert.Equal(dirs.Config, resolved.Environment["CLAUDE_CONFIG_DIR"]);
        Assert.Equal(dirs.Work, resolved.WorkingDirectory);
        Assert.Equal("/node/config", new ClaudeSessionsOptions { Defaults = node.Defaults }.Resolve(new SessionOptions { Name = "client-a" }).Environment["CLAUDE_CONFIG_DIR"]);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(_data)!, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>The sandbox settings and credential references as the CLI gets them.</summary>
public sealed class SandboxAndCredentialTests
{
    [Fact]
    public void The_sandbox_is_merged_into_the_sessions_own_settings_json()
    {
        var options = new SessionOptions
        {
            Settings = """{"model":"x","sandbox":{"enabled":false}}""",
            Sandbox = new SessionSandbox { Enabled = true, AutoAllowBashIfSandboxed = true, ExcludedCommands = ["docker:*"], AllowedDomains = ["example.com"], DenyRead = ["/secret"] },
        };
        var args = CliCommandBuilder.BuildArguments(options);
        var settings = System.Text.Json.Nodes.JsonNode.Parse(args[args.ToList().IndexOf("--settings") + 1])!;
        Assert.Equal("x", (string?)settings["model"]);
        var sandbox = settings["sandbox"]!;
        Assert.True((bool)sandbox["enabled"]!);
        Assert.True((bool)sandbox["failIfUnavailable"]!); // the CLI refuses too, should our check ever miss
        Assert.False((bool)sandbox["allowUnsandboxedCommands"]!);
        Assert.True((bool)sandbox["autoAllowBashIfSandboxed"]!);
        Assert.Equal("docker:*", (string?)sandbox["excludedCommands"]![0]);
        Assert.Equal("example.com", (string?)sandbox["network"]!["allowedDomains"]![0]);
        Assert.Equal("/secret", (string?)sandbox["filesystem"]!["denyRead"]![0]);
        Assert.Single(args, a => a == "--settings");
    }

    [Fact]
    public void Settings_that_cannot_take_the_sandbox_are_an_option_error()
    {
        var options = new SessionOptions { Settings = "/no/such/settings.json", Sandbox = new SessionSandbox { Enabled = true } };
        Assert.Contains(options.Validate(), e => e.Contains("Sandbox", StringComparison.Ordinal));
        Assert.Empty((options with { Sandbox = null }).Validate());
    }

    [Fact]
    public void A_missing_sandbox_runtime_is_named()
    {
        if (!OperatingSystem.IsLinux()) return;
        Assert.Null(SandboxRuntime.Probe(_ => "/usr/bin/x"));
        Assert.Contains("bwrap", SandboxRuntime.Probe(p => p == "socat" ? "/usr/bin/socat" : null));
    }

    [Fact]
    public void A_reference_resolves_at_start_is_kept_secret_and_a_missing_one_fails_typed()
    {
        const string key = "test-only-referenced-credential-value";
        var options = new SessionOptions { Name = "r", EnvironmentFromConfiguration = new Dictionary<string, string> { ["MY_VAR"] = "Vault:R" } };
        var spec = CliCommandBuilder.Build(options, "/bin/true", configuration: k => k == "Vault:R" ? key : null);
        Assert.Equal(key, spec.Environment["MY_VAR"]);
        Assert.Contains(key, spec.SecretValues); // secret whatever the variable is called
        Assert.DoesNotContain(key, options.ToString());
        Assert.DoesNotContain(key, System.Text.Json.JsonSerializer.Serialize(options));

        var failure = CredentialReferences.Check(options, _ => null);
        Assert.Equal(FailureKind.CredentialUnavailable, failure!.Kind);
        Assert.Contains("Vault:R", failure.Message);
        Assert.IsType<CredentialUnavailableException>(failure.ToException());
        Assert.Null(CredentialReferences.Check(options, _ => key));
    }

    [Fact]
    public void A_literal_and_a_reference_for_one_variable_are_an_option_error()
    {
        var options = new SessionOptions
        {
            Environment = new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "literal" },
            EnvironmentFromConfiguration = new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "Vault:Key" },
        };
        Assert.Contains(options.Validate(), e => e.Contains("both", StringComparison.Ordinal));
        // Through the defaults, the session's choice wins instead.
        var node = new ClaudeSessionsOptions { Defaults = new SessionOptions { Environment = options.Environment } };
        var resolved = node.Resolve(new SessionOptions { EnvironmentFromConfiguration = options.EnvironmentFromConfiguration });
        Assert.False(resolved.Environment.ContainsKey("ANTHROPIC_API_KEY"));
        Assert.Empty(resolved.Validate());
    }
}
