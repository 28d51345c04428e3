using System.CommandLine;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using ClaudeActors.Client;
using ClaudeActors.Cluster;
using ClaudeActors.Host.Configuration;
using ClaudeActors.Sessions;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace ClaudeActors.Host.Commands;

/// <summary>
/// <c>claude-actors sessions list|start|stop|info</c>: operator commands against a running cluster. Each joins
/// the cluster through <c>--seed</c> as a client node (random port, no roles: it runs no CLI), does one thing
/// through <see cref="Client.ClaudeSessionsClient"/>, prints, leaves the cluster and exits.
/// </summary>
internal static class SessionsCommand
{
    private const string SeedEnvironment = "ClaudeActors__Node__SeedNodes__0";

    private sealed record Common(string[]? Seeds, string? Hostname, bool Verbose);

    public static Command Create()
    {
        var seeds = new Option<string[]>("--seed", "-s")
        {
            Description = $"A node of the cluster, akka.tcp://{NodeSettings.SystemName}@HOST:PORT (repeatable). Default: ClaudeActors:Node:SeedNodes (env {SeedEnvironment}), else this machine's node (akka.tcp://{NodeSettings.SystemName}@127.0.0.1:{NodeSettings.DefaultPort}, or ClaudeActors:Node:Hostname/Port).",
            HelpName = "ADDRESS",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            Recursive = true,
        };
        var hostname = new Option<string?>("--hostname")
        {
            Description = "The address this client node binds, which the cluster's nodes must be able to reach (ClaudeActors:Node:Hostname). Default: 127.0.0.1.",
            HelpName = "HOST",
            Recursive = true,
        };
        var verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "Log at Debug level, Akka's cluster log included (stderr).",
            Recursive = true,
        };
        Common Read(ParseResult parse) => new(parse.GetValue(seeds), parse.GetValue(hostname), parse.GetValue(verbose));

        var name = NameArgument();
        var model = new Option<string?>("--model", "-m") { Description = "The model: an alias (sonnet, opus, haiku) or a full model id. Default: the node's.", HelpName = "MODEL" };
        var systemPrompt = new Option<string?>("--system-prompt") { Description = "Replace the CLI's system prompt with this text.", HelpName = "TEXT" };

        var listJson = new Option<bool>("--json") { Description = "One JSON object per session and line, for scripts." };
        var list = new Command("list", "List the cluster's sessions: name, node, status, session id, model, turns, cost, CLI memory (PSS), passivated, last activity.")
        {
            listJson,
        };
        list.SetAction((parse, _) => RunAsync(Read(parse), (node, ct) => ListAsync(node, parse.GetValue(listJson), ct)));

        var start = new Command("start", "Start a named session on the cluster and wait until its CLI is ready.") { name, model, systemPrompt };
        start.SetAction((parse, _) =>
        {
            var options = new SessionOptions { Name = parse.GetValue(name), Model = parse.GetValue(model), SystemPrompt = parse.GetValue(systemPrompt) };
            return RunAsync(Read(parse), (node, ct) => StartAsync(node, options, ct));
        });

        var stopName = NameArgument();
        var stop = new Command("stop", "Terminate a session: its CLI stops and it is removed cluster-wide (its journal is deleted).") { stopName };
        stop.SetAction((parse, _) => RunAsync(Read(parse), (node, ct) => StopAsync(node, parse.GetValue(stopName)!, ct)));

        var restartName = NameArgument();
        var restart = new Command("restart", "Restart a session's CLI: a new process resumes the same conversation (a running turn is interrupted).") { restartName };
        restart.SetAction((parse, _) => RunAsync(Read(parse), (node, ct) => RestartAsync(node, parse.GetValue(restartName)!, ct)));

        var infoName = NameArgument();
        var info = new Command("info", "Show one session: session id, status, model, start time, restarts, CLI process, its memory (PSS), limit and recycles.") { infoName };
        info.SetAction((parse, _) => RunAsync(Read(parse), (node, ct) => InfoAsync(node, parse.GetValue(infoName)!, ct)));

        return new Command("sessions",
            "Manage the sessions of a running cluster (joins it through --seed as a client node, then leaves). " +
            $"Exit codes: 0 done, 2 usage, {ExitCodes.ClusterUnreachable} cluster unreachable, {ExitCodes.NotFound} no such session, {ExitCodes.AlreadyExists} name taken.")
        {
            seeds, hostname, verbose, list, start, stop, restart, info,
        };
    }

    private static Argument<string> NameArgument()
    {
        var name = new Argument<string>("NAME") { Description = "The session's name (its entity id in the cluster)." };
        name.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value.StartsWith('-')) result.AddError($"Unrecognized option '{value}'.");
            else if (SessionNames.Check(value) is { } problem) result.AddError(problem);
        });
        return name;
    }

    /// <summary>Joins, runs <paramref name="operation"/>, leaves; every failure becomes one line and an exit code.</summary>
    private static async Task<int> RunAsync(Common common, Func<ClientNode, CancellationToken, Task<int>> operation)
    {
        using var signals = new CancelOnSignals();
        var builder = HostBuilderExtensions.CreateNodeBuilder(common.Verbose ? LogLevel.Debug : LogLevel.Warning, handleSignals: false);
        NodeConfiguration config;
        try
        {
            config = NodeConfiguration.ForClient(builder.Configuration, common.Seeds ?? [], common.Hostname);
        }
        catch (InvalidOperationException ex)
        {
            OperatorConsole.Error("invalid settings: " + ex.Message);
            return ExitCodes.Usage;
        }
        if (config.Node.EffectiveSeedNodes.Count == 0)
        {
            OperatorConsole.Error($"no cluster to join: pass --seed akka.tcp://{NodeSettings.SystemName}@HOST:PORT or set {SeedEnvironment}.");
            return ExitCodes.Usage;
        }
        var problems = config.Validate();
        if (problems.Count > 0)
        {
            OperatorConsole.Error("invalid settings: " + string.Join(" ", problems));
            return ExitCodes.Usage;
        }

        ClientNode node;
        try
        {
            node = await ClientNode.JoinAsync(builder, config, common.Verbose ? LogLevel.Debug : LogLevel.None, signals.Token);
        }
        catch (ClusterUnreachableException ex)
        {
            OperatorConsole.Error(ex.Message);
            return ExitCodes.ClusterUnreachable;
        }
        catch (OperationCanceledException) when (signals.Token.IsCancellationRequested)
        {
            return signals.ExitCode;
        }

        await using (node)
        {
            try
            {
                return await operation(node, signals.Token);
            }
            catch (OperationCanceledException) when (signals.Token.IsCancellationRequested)
            {
                return signals.ExitCode;
            }
            catch (SessionNotFoundException ex)
            {
                OperatorConsole.Error(ex.Failure.Message);
                return ExitCodes.NotFound;
            }
            catch (SessionAlreadyExistsException ex)
            {
                OperatorConsole.Error(ex.Failure.Message);
                return ExitCodes.AlreadyExists;
            }
            catch (InvalidSessionRequestException ex)
            {
                OperatorConsole.Error(ex.Failure.Message);
                return ExitCodes.Usage;
            }
            catch (CliNotFoundException ex)
            {
                OperatorConsole.Error("the node has no claude CLI: " + ex.Failure.Message);
                return ExitCodes.CliNotFound;
            }
            catch (NotAuthenticatedException ex)
            {
                OperatorConsole.Error(ChatLoop.NotAuthenticatedHint + " " + ex.Failure.Message);
                return ExitCodes.NotAuthenticated;
            }
            catch (ClaudeSessionException ex)
            {
                OperatorConsole.Error(ex.Failure.ToString());
                return ex.Failure.Kind is FailureKind.CliStartFailed or FailureKind.SessionStopped ? ExitCodes.StartFailed : ExitCodes.Failure;
            }
            catch (AskTimeoutException)
            {
                OperatorConsole.Error("the cluster did not answer in time (is a node with the sessions role up?).");
                return ExitCodes.ClusterUnreachable;
            }
        }
    }

    private static async Task<int> ListAsync(ClientNode node, bool json, CancellationToken cancellationToken)
    {
        var entries = await new ClaudeSessionsClient(node.System).ListDirectoryAsync(cancellationToken);
        if (json)
        {
            foreach (var e in entries)
                Console.Out.WriteLine(new System.Text.Json.Nodes.JsonObject
                {
                    ["name"] = e.Name, ["node"] = e.Node, ["status"] = e.Status.ToString(), ["session_id"] = e.SessionId,
                    ["model"] = e.Model, ["turns"] = e.Turns, ["cost_usd"] = e.CostUsd, ["cli_memory_bytes"] = e.CliMemory?.Bytes, ["passivated"] = e.Passivated,
                    ["last_activity"] = e.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
                }.ToJsonString());
            return ExitCodes.Ok;
        }
        if (entries.Count == 0)
        {
            OperatorConsole.Note("no sessions.");
            return ExitCodes.Ok;
        }
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("name", "node", "status", "session id", "model", "turns", "cost", "CLI memory", "passivated", "last activity");
        foreach (var e in entries)
        {
            table.AddRow(
                Markup.Escape(e.Name), Markup.Escape(e.Node), e.Status.ToString(), Markup.Escape(e.SessionId ?? "-"),
                Markup.Escape(e.Model ?? "-"), e.Turns.ToString(CultureInfo.InvariantCulture), "$" + e.CostUsd.ToString("0.0000", CultureInfo.InvariantCulture),
                e.CliMemory?.ToString() ?? "-",
                e.Passivated ? "yes" : "no", e.UpdatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        }
        OperatorConsole.CreateOutput().Write(table);
        return ExitCodes.Ok;
    }

    private static async Task<int> StartAsync(ClientNode node, SessionOptions options, CancellationToken cancellationToken)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            OperatorConsole.Error("invalid options: " + string.Join(" ", problems));
            return ExitCodes.Usage;
        }
        var session = await node.Sessions.StartAsync(options, returnExisting: false, cancellationToken);
        var id = await session.GetSessionIdAsync(cancellationToken);
        Console.Out.WriteLine($"session '{session.Name}' is ready" + (id is null ? "." : $": {id}"));
        return ExitCodes.Ok;
    }

    private static async Task<int> StopAsync(ClientNode node, string name, CancellationToken cancellationToken)
    {
        await node.Sessions.TerminateAsync(name, cancellationToken);
        Console.Out.WriteLine($"session '{name}' stopped and removed.");
        return ExitCodes.Ok;
    }

    private static async Task<int> RestartAsync(ClientNode node, string name, CancellationToken cancellationToken)
    {
        var info = await node.Sessions.RestartAsync(name, cancellationToken);
        Console.Out.WriteLine($"session '{name}' restarted: CLI process {info.CliProcessId?.ToString(CultureInfo.InvariantCulture) ?? "-"}, session id {info.SessionId ?? "-"}.");
        return ExitCodes.Ok;
    }

    private static async Task<int> InfoAsync(ClientNode node, string name, CancellationToken cancellationToken)
    {
        var session = await node.Sessions.GetAsync(name, cancellationToken);
        var info = await session.GetInfoAsync(cancellationToken);
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumns("", "");
        void Row(string key, string? value) => table.AddRow(key, Markup.Escape(value ?? "-"));
        Row("name", info.Name);
        Row("session id", info.SessionId);
        Row("status", info.Status.ToString());
        Row("model", info.Model);
        Row("started", info.StartedAt == default ? null : info.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        Row("restarts", info.RestartCount.ToString(CultureInfo.InvariantCulture));
        Row("queued queries", info.QueuedQueries.ToString(CultureInfo.InvariantCulture));
        Row("CLI process", info.CliProcessId?.ToString(CultureInfo.InvariantCulture));
        Row("CLI memory (PSS)", info.CliMemory?.ToString());
        Row("CLI memory limit", info.CliMemoryLimit is { } limit ? $"{limit} (hard ceiling {new ByteSize(limit.Bytes + limit.Bytes / 2)})" : null);
        Row("memory recycles", info.RecycleCount.ToString(CultureInfo.InvariantCulture));
        Row("last failure", info.LastFailure?.ToString());
        OperatorConsole.CreateOutput().Write(table);
        return ExitCodes.Ok;
    }
}
