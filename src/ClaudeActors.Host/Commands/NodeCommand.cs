using System.CommandLine;
using Akka.Actor;
using ClaudeActors.Host.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClaudeActors.Host.Commands;

/// <summary>
/// <c>claude-actors node</c>: a cluster node until Ctrl-C or SIGTERM. With the embedded defaults it is a cluster
/// of one on 127.0.0.1:4053 with a SQLite journal in the data directory; with seed nodes it joins a cluster; with
/// <c>--discovery</c> it finds (or forms) its cluster through Akka.Discovery.
/// Settings come from appsettings.json, then <c>ClaudeActors__...</c> environment variables, then the flags.
/// Sessions (named, sharded, persistent) are started with <c>sessions start</c> or declared in <c>ClaudeActors:Sessions</c>.
/// </summary>
internal static class NodeCommand
{
    public static Command Create()
    {
        var hostname = new Option<string?>("--hostname")
        {
            Description = "The address to bind (ClaudeActors:Node:Hostname). Default: 127.0.0.1; 0.0.0.0 in a container, with --public-hostname.",
            HelpName = "HOST",
        };
        var publicHostname = new Option<string?>("--public-hostname")
        {
            Description = "The host name other nodes reach this one by (ClaudeActors:Node:PublicHostname). Default: --hostname.",
            HelpName = "HOST",
        };
        var port = new Option<int?>("--port", "-p")
        {
            Description = $"The TCP port (ClaudeActors:Node:Port); 0 picks a free one. Default: {NodeSettings.DefaultPort}.",
            HelpName = "PORT",
        };
        var seeds = new Option<string[]>("--seed")
        {
            Description = $"A node of the cluster to join, akka.tcp://{NodeSettings.SystemName}@HOST:PORT (repeatable; ClaudeActors:Node:SeedNodes). " +
                "Default: none, the node forms a cluster of one.",
            HelpName = "ADDRESS",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var roles = new Option<string[]>("--role")
        {
            Description = $"A cluster role (repeatable; ClaudeActors:Node:Roles). Default: {NodeSettings.SessionsRole}. " +
                $"A node without the {NodeSettings.SessionsRole} role runs no CLI and routes to the nodes that do.",
            HelpName = "ROLE",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var discovery = new Option<string?>("--discovery")
        {
            Description = "Find the cluster without seed nodes (ClaudeActors:Node:Discovery), through Akka.Discovery: config (the --contact-point " +
                "list; local runs, docker compose) or kubernetes (the pods labelled app.kubernetes.io/name=--service-name, port akka-remote; needs RBAC to list pods). " +
                "The lowest address forms the cluster if no node is in one. Default: none (--seed, or a cluster of one).",
        };
        discovery.AcceptOnlyFromAmong("none", "config", "kubernetes");
        var contactPoints = new Option<string[]>("--contact-point")
        {
            Description = "With --discovery config: a node's remoting endpoint, HOST:PORT as it advertises itself (repeatable, or comma-separated; " +
                "ClaudeActors:Node:ContactPoints). List the cluster's nodes, this one included.",
            HelpName = "HOST:PORT",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var serviceName = new Option<string?>("--service-name")
        {
            Description = $"The service discovery looks up (ClaudeActors:Node:ServiceName); with kubernetes, the pods' app.kubernetes.io/name label. Default: {NodeSettings.DefaultServiceName}.",
            HelpName = "NAME",
        };
        var requiredContactPoints = new Option<int?>("--required-contact-points")
        {
            Description = "How many nodes discovery must report before this node joins (ClaudeActors:Node:RequiredContactPoints). " +
                "Default: all of --contact-point with config, 2 with kubernetes.",
            HelpName = "N",
        };
        var dataDir = new Option<string?>("--data-dir")
        {
            Description = $"Where the SQLite journal ({PersistenceSettings.SqliteFileName}) lives (ClaudeActors:Node:DataDirectory). Default: $XDG_DATA_HOME/claude-actors (~/.local/share/claude-actors; %LOCALAPPDATA%\\claude-actors on Windows).",
            HelpName = "DIR",
        };
        var persistence = new Option<string?>("--persistence")
        {
            Description = "The journal's database (ClaudeActors:Persistence:Provider). Default: sqlite. Nodes on several machines need postgresql.",
        };
        persistence.AcceptOnlyFromAmong("sqlite", "postgresql");
        var connectionString = new Option<string?>("--connection-string")
        {
            Description = "The journal's connection string (ClaudeActors:Persistence:ConnectionString). Default for SQLite: Data Source=<data-dir>/claude-actors.db. " +
                "Prefer the environment for a password: command lines are visible to other users.",
            HelpName = "TEXT",
        };
        var idleTimeout = new Option<int?>("--idle-timeout")
        {
            Description = "Seconds a session may stay idle before its CLI stops (it comes back on the next message); 0 never (ClaudeActors:Cluster:PassivateIdleAfter). Default: 900.",
            HelpName = "SECONDS",
        };
        idleTimeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0) result.AddError("--idle-timeout must be 0 or a positive number of seconds.");
        });
        var maxCli = new Option<int?>("--max-cli")
        {
            Description = "The most live CLI processes on this node; the least recently used session passivates past it (ClaudeActors:Cluster:MaxLiveCliProcesses). Default: 100.",
            HelpName = "N",
        };
        maxCli.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is <= 0) result.AddError("--max-cli must be a positive number.");
        });
        var memoryBudget = SizeOption("--memory-budget",
            "The most memory (summed PSS) this node's CLIs may use, e.g. 8GiB; the least recently used idle session passivates to make room, " +
            "a start with none idle waits and then fails with NodeAtCapacity (ClaudeActors:Cluster:MemoryBudget). " +
            $"Default: in a container {NodeConfiguration.ContainerBudgetPercent}% of the cgroup's memory.max, else none.");
        var cliMemoryLimit = SizeOption("--cli-memory-limit",
            "The most memory (PSS of its process tree) one CLI may use, e.g. 1GiB: over it the CLI is replaced between turns by one that resumes " +
            "the conversation; over 1.5x it mid-turn the turn fails with MemoryLimitExceeded (ClaudeActors:Defaults:CliMemoryLimit). Default: none.");
        var cliPath = new Option<string?>("--cli-path")
        {
            Description = "The claude executable for this node's sessions (ClaudeActors:Defaults:CliPath). Default: $CLAUDE_CLI_PATH, then claude on PATH.",
            HelpName = "PATH",
        };
        var verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "Log at Debug level (default: Information). Logs go to stderr.",
        };
        var logFormat = new Option<string>("--log-format")
        {
            Description = "text (default): one readable line per event; json: one JSON object per line, with the session name and id of " +
                          "session events as scopes, for a log shipper.",
            DefaultValueFactory = _ => "text",
        };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var healthPort = new Option<int?>("--health-port")
        {
            Description = "Serve /healthz/live (the ActorSystem runs) and /healthz/ready (cluster member Up, journal and snapshot store answer and " +
                "their database is reachable, claude CLI found) on this port. Default: off.",
            HelpName = "PORT",
        };
        var healthHost = new Option<string>("--health-host")
        {
            Description = "The address the health endpoint binds (default 127.0.0.1; 0.0.0.0 in a container for Kubernetes probes).",
            HelpName = "HOST",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var otel = new Option<string?>("--otel")
        {
            Description = "Export ClaudeActors metrics and traces: console, or otlp (OTEL_EXPORTER_OTLP_ENDPOINT). Default: none.",
        };
        otel.AcceptOnlyFromAmong("none", "console", "otlp");
        var command = new Command("node",
            "Run a cluster node until Ctrl-C or SIGTERM. Alone it forms a cluster of one on 127.0.0.1:4053 with a SQLite journal; " +
            "with --seed it joins a cluster; with --discovery it finds or forms one through discovery. Settings: appsettings.json, then ClaudeActors__... environment variables, then these flags.")
        {
            hostname, publicHostname, port, seeds, discovery, contactPoints, serviceName, requiredContactPoints, roles, dataDir,
            persistence, connectionString, idleTimeout, maxCli, memoryBudget, cliMemoryLimit, cliPath, verbose, logFormat, healthPort, healthHost, otel,
        };
        var warmPool = new Option<int?>("--warm-pool")
        {
            Description = "Keep N CLIs started and initialized ahead for new sessions launched with the node's defaults: such a session is Ready at once " +
                          "(ClaudeActors:WarmPool; a declared session's WarmPool keeps a pool of its own options). Within --max-cli. Default: 0.",
            HelpName = "N",
        };
        warmPool.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0) result.AddError("--warm-pool must be 0 or a positive number.");
        });
        command.Options.Add(warmPool);
        command.SetAction((parse, cancellationToken) =>
        {
            var overrides = new NodeOverrides(
                parse.GetValue(hostname), parse.GetValue(publicHostname), parse.GetValue(port), parse.GetValue(seeds), parse.GetValue(roles),
                parse.GetValue(dataDir), parse.GetValue(persistence), parse.GetValue(connectionString), parse.GetValue(idleTimeout),
                parse.GetValue(maxCli), parse.GetValue(cliPath), parse.GetValue(discovery), parse.GetValue(contactPoints), parse.GetValue(serviceName),
                parse.GetValue(requiredContactPoints), parse.GetValue(memoryBudget), parse.GetValue(cliMemoryLimit)) { WarmPool = parse.GetValue(warmPool) };
            return RunAsync(overrides, parse.GetValue(verbose), parse.GetValue(logFormat) == "json", parse.GetValue(healthPort), parse.GetValue(healthHost)!, parse.GetValue(otel), cancellationToken);
        });
        return command;
    }

    private static Option<ByteSize?> SizeOption(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "SIZE",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (ByteSize.TryParse(text, out var size) && size.Bytes > 0) return size;
            result.AddError($"{name}: '{text}' is not a size (e.g. 8GiB, 512MiB).");
            return null;
        },
    };

    private sealed record NodeOverrides(
        string? Hostname, string? PublicHostname, int? Port, string[]? Seeds, string[]? Roles, string? DataDirectory,
        string? Persistence, string? ConnectionString, int? IdleTimeoutSeconds, int? MaxCli, string? CliPath,
        string? Discovery, string[]? ContactPoints, string? ServiceName, int? RequiredContactPoints, ByteSize? MemoryBudget, ByteSize? CliMemoryLimit)
    {
        public int? WarmPool { get; init; }

        /// <summary>The flags win over appsettings.json and the environment.</summary>
        public void ApplyTo(NodeConfiguration config)
        {
            var node = config.Node;
            if (Hostname is not null) node.Hostname = Hostname;
            if (PublicHostname is not null) node.PublicHostname = PublicHostname;
            if (Port is { } p) node.Port = p;
            if (Seeds is { Length: > 0 }) node.SeedNodes = Seeds.ToList();
            if (Roles is { Length: > 0 }) node.Roles = Roles.ToList();
            if (Discovery is not null)
                node.Discovery = Discovery switch { "config" => DiscoveryMethod.Config, "kubernetes" => DiscoveryMethod.Kubernetes, _ => DiscoveryMethod.None };
            if (ContactPoints is { Length: > 0 }) node.ContactPoints = ContactPoints.ToList();
            if (ServiceName is not null) node.ServiceName = ServiceName;
            if (RequiredContactPoints is { } required) node.RequiredContactPoints = required;
            if (DataDirectory is not null) node.DataDirectory = DataDirectory;
            if (config.Persistence is { } persistence)
            {
                if (Persistence is not null)
                    persistence.Provider = Persistence == "postgresql" ? PersistenceProvider.PostgreSql : PersistenceProvider.Sqlite;
                if (ConnectionString is not null) persistence.ConnectionString = ConnectionString;
            }
            if (IdleTimeoutSeconds is { } idle) config.Cluster.PassivateIdleAfter = idle == 0 ? null : TimeSpan.FromSeconds(idle);
            if (MaxCli is { } max) config.Cluster.MaxLiveCliProcesses = max;
            if (WarmPool is { } warm) config.Sessions.WarmPool = warm;
            if (MemoryBudget is { } budget) config.Cluster.MemoryBudget = budget;
            if (CliMemoryLimit is { } limit) config.Sessions.Defaults = config.Sessions.Defaults with { CliMemoryLimit = limit };
            if (CliPath is not null) config.Sessions.Defaults = config.Sessions.Defaults with { CliPath = CliPath };
            config.ApplyRoles();
            config.ApplyIsolation();
        }
    }

    private static async Task<int> RunAsync(NodeOverrides overrides, bool verbose, bool jsonLogs, int? healthPort, string healthHost, string? otel,
        CancellationToken cancellationToken)
    {
        // A node is a long-running service: unlike the chat, its Information lines ("node started") are its output.
        var level = verbose ? LogLevel.Debug : LogLevel.Information;
        var builder = HostBuilderExtensions.CreateNodeBuilder(level, handleSignals: true, json: jsonLogs);

        NodeConfiguration config = null!;
        string? connectionString;
        try
        {
            config = NodeConfiguration.ForNode(builder.Configuration);
            overrides.ApplyTo(config);
            var problems = config.Validate();
            if (problems.Count > 0)
            {
                Console.Error.WriteLine("error: invalid settings: " + string.Join(" ", problems));
                return ExitCodes.Usage;
            }
            if (config.Node.Discovery == DiscoveryMethod.Kubernetes && KubernetesDiscoveryCheck.Problem() is { } kubernetes)
            {
                // Fail where an operator looks (the pod's exit and log), not by waiting for a cluster that never forms.
                Console.Error.WriteLine("error: Kubernetes discovery cannot run: " + kubernetes);
                return ExitCodes.Failure;
            }
            connectionString = config.PrepareStorage();
        }
        catch (InvalidOperationException ex)
        {
            // The binder's message names the key and the value it could not convert (never a connection string).
            Console.Error.WriteLine("error: invalid settings: " + ex.Message.ReplaceLineEndings(" "));
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: the data directory '{config.Node.EffectiveDataDirectory}' cannot be created: {ex.Message}");
            return ExitCodes.Failure;
        }

        var health = healthPort is > 0;
        builder.Services.AddClaudeActorsNode(level, akka => akka.WithClaudeActorsCluster(config, connectionString, healthChecks: health), jsonLogs);
        builder.Services.AddNodeTelemetry(otel);
        if (healthPort is { } hp and > 0) builder.Services.AddNodeHealth(healthHost, hp, config, connectionString);
        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ClaudeActors.Host.Node");
        var storage = connectionString is not null && config.Persistence is { } persistence ? persistence.Describe(connectionString) : "none (no sessions hosted here)";
        var roles = string.Join(", ", config.Node.EffectiveRoles);
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(() =>
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var cluster = Akka.Cluster.Cluster.Get(system);
            var seeds = config.Node.EffectiveSeedNodes;
            if (seeds.Count > 0)
                logger.LogInformation("node {Address} joining the cluster through {Seeds}", cluster.SelfAddress, string.Join(", ", seeds));
            else if (config.Node.Discovery != DiscoveryMethod.None)
                logger.LogInformation("node {Address} finding its cluster through {Discovery} discovery of '{Service}'",
                    cluster.SelfAddress, config.Node.Discovery.ToString().ToLowerInvariant(), config.Node.ServiceName);
            cluster.RegisterOnMemberUp(() => logger.LogInformation(
                "node started: {Address}, roles [{Roles}], {Sessions}, persistence {Persistence}, CLI memory budget {Budget}",
                cluster.SelfAddress, roles, config.Cluster.HostSessions ? "hosts sessions" : "routes to sessions elsewhere", storage, config.DescribeBudget()));
        });
        lifetime.ApplicationStopping.Register(() => logger.LogInformation("node stopping: leaving the cluster and stopping its sessions"));
        if (config.Cluster.HostSessions && CliCredentials.MissingWarning(config.Sessions.Defaults, Environment.GetEnvironmentVariable, config.Sessions.Isolation is not null) is { } missing)
            logger.LogWarning("{Warning}", missing);
        if (config.Cluster.HostSessions)
            logger.LogInformation("{Isolation}", config.Sessions.Isolation is { } isolation
                ? $"sessions are isolated: each has its own config dir and working directory under {Path.Combine(isolation.EffectiveDirectory, "sessions")} ({NodeConfiguration.IsolationKey}=false turns it off)"
                : $"sessions share the node's config dir and working directory ({NodeConfiguration.IsolationKey} is false)");
        // A warm CLI is started before its session's name is known, so it cannot run in that session's own folders.
        if (config.Cluster.HostSessions && config.Sessions.Isolation is not null && config.Sessions.WarmPool > 0)
            logger.LogWarning("--warm-pool {Size} has no effect while sessions are isolated: a warm CLI starts before its session's name, " +
                              "so it cannot run in that session's own config dir and working directory ({Key}=false turns isolation off)",
                config.Sessions.WarmPool, NodeConfiguration.IsolationKey);
        // The console lifetime turns Ctrl-C and SIGTERM into a graceful stop: Akka's coordinated shutdown hands the
        // sessions off (their CLIs stop), leaves the cluster, then stops the ActorSystem.
        await host.RunAsync(cancellationToken);
        return ExitCodes.Ok;
    }
}
