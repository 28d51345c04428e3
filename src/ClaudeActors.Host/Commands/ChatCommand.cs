using System.CommandLine;
using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Host.Configuration;
using ClaudeActors.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClaudeActors.Host.Commands;

/// <summary>
/// <c>claude-actors chat [NAME]</c>: an in-process node with one session, driven line by line from stdin.
/// This class owns the command line and the start-up (where failures end the process with a distinct exit
/// code); <see cref="ChatLoop"/> owns the conversation (where failures are reported and the chat goes on).
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME")
        {
            Description = "The session's name (its actor name).",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "chat",
        };
        name.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            // An unknown option would otherwise be taken for the name.
            if (value.StartsWith('-')) result.AddError($"Unrecognized option '{value}'.");
            else if (SessionNames.Check(value) is { } problem) result.AddError(problem);
        });
        var model = new Option<string?>("--model", "-m")
        {
            Description = "The model: an alias (sonnet, opus, haiku) or a full model id. Default: the CLI's.",
            HelpName = "MODEL",
        };
        var systemPrompt = new Option<string?>("--system-prompt")
        {
            Description = "Replace the CLI's system prompt with this text.",
            HelpName = "TEXT",
        };
        var cwd = new Option<string?>("--cwd")
        {
            Description = "The CLI's working directory (where it reads and edits files). Default: the current directory.",
            HelpName = "DIR",
        };
        cwd.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } dir && !Directory.Exists(dir))
                result.AddError($"The directory '{dir}' does not exist.");
        });
        var cliPath = new Option<string?>("--cli-path")
        {
            Description = "The claude executable. Default: $CLAUDE_CLI_PATH, then claude on PATH, then the copy pinned in this repository.",
            HelpName = "PATH",
        };
        var resume = new Option<string?>("--resume", "-r")
        {
            Description = "Resume the conversation with this session id (a UUID, as printed by /id).",
            HelpName = "ID",
        };
        var continueLast = new Option<bool>("--continue", "-c")
        {
            Description = "Continue the most recent conversation of the working directory.",
        };
        var permissionMode = new Option<string?>("--permission-mode")
        {
            Description = "How the CLI handles tools that change things. Default: the CLI's (default).",
        };
        permissionMode.AcceptOnlyFromAmong(Enum.GetValues<PermissionMode>().Select(PermissionModes.ToWire).ToArray());
        var timeout = new Option<int?>("--timeout")
        {
            Description = $"Seconds a reply may take before it is interrupted. Default: {SessionOptions.DefaultTimeout.TotalSeconds:0}.",
            HelpName = "SECONDS",
        };
        timeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is <= 0) result.AddError("--timeout must be a positive number of seconds.");
        });
        var join = new Option<string?>("--join", "-j")
        {
            Description = $"Join a running cluster through this seed node (akka.tcp://{NodeSettings.SystemName}@HOST:PORT; alone, this machine's node, " +
                $"127.0.0.1:{NodeSettings.DefaultPort} or ClaudeActors:Node:Hostname/Port) as a client node and chat " +
                "with its session NAME (started there when it does not exist; it keeps running after the chat). Without --join: a session in this process.",
            HelpName = "SEED_ADDRESS",
            Arity = ArgumentArity.ZeroOrOne,
        };
        join.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } seed && NodeSettings.SeedProblem(seed) is { } problem) result.AddError(problem);
        });
        var verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "Log at Debug level, the session actors' log included, and show the CLI's stderr on failures " +
                "(default: host warnings only; failures are reported as one line). Logs go to stderr.",
        };

        var command = new Command("chat",
            "Chat with Claude through one supervised session. Replies stream to stdout; the prompt, notes and errors go to stderr. " +
            "Input may be piped, one prompt per line. In the chat: /model NAME, /clear, /id, /interrupt, /help, /quit (or end of input). " +
            "Ctrl-C interrupts a reply; at the prompt it leaves.")
        {
            name, model, systemPrompt, cwd, cliPath, resume, continueLast, permissionMode, timeout, join, verbose,
        };
        command.SetAction((parse, _) =>
        {
            var mode = parse.GetValue(permissionMode) is { } wire && PermissionModes.TryParse(wire, out var parsed) ? parsed : (PermissionMode?)null;
            var seconds = parse.GetValue(timeout);
            var options = new SessionOptions
            {
                Name = parse.GetValue(name) ?? "chat",
                Model = parse.GetValue(model),
                SystemPrompt = parse.GetValue(systemPrompt),
                WorkingDirectory = parse.GetValue(cwd) is { } dir ? Path.GetFullPath(dir) : null,
                CliPath = parse.GetValue(cliPath),
                Resume = parse.GetValue(resume),
                Continue = parse.GetValue(continueLast),
                PermissionMode = mode,
                Timeout = seconds is { } s ? TimeSpan.FromSeconds(s) : SessionOptions.DefaultTimeout,
                // Replies are printed as they are written.
                IncludePartialMessages = true,
            };
            return RunAsync(options, parse.GetValue(verbose), joined: parse.GetResult(join) is not null, parse.GetValue(join));
        });
        return command;
    }

    private static async Task<int> RunAsync(SessionOptions options, bool verbose, bool joined, string? join)
    {
        var console = new ChatConsole(verbose);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            console.Error("invalid options: " + string.Join(" ", problems));
            return ExitCodes.Usage;
        }

        using var signals = new ChatSignals();
        // The chat reports every session failure itself, as one line; the session actors' own log (through Akka,
        // with stack traces) would repeat it, so it is shown only with --verbose.
        var builder = HostBuilderExtensions.CreateNodeBuilder(verbose ? LogLevel.Debug : LogLevel.Warning, handleSignals: false);
        var akkaLogLevel = verbose ? LogLevel.Debug : LogLevel.None;
        return !joined
            ? await RunLocalAsync(builder, akkaLogLevel, options, signals, console)
            : await RunJoinedAsync(builder, akkaLogLevel, join, options, signals, console);
    }

    /// <summary>
    /// The default: a node of its own in local mode (no remoting, no journal: it starts in about a second), one
    /// session under its supervisor, stopped with the chat.
    /// </summary>
    private static async Task<int> RunLocalAsync(HostApplicationBuilder builder, LogLevel akkaLogLevel, SessionOptions options, ChatSignals signals, ChatConsole console)
    {
        // The CLI starts now, while the host and its ActorSystem are built: the session takes it when it starts.
        ClaudeSession.Prestart(options);
        builder.Services.AddClaudeActorsNode(akkaLogLevel, HostBuilderExtensions.LocalSessions);
        using var host = builder.Build();
        await host.StartAsync(CancellationToken.None);
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var (session, startExit) = await StartSessionAsync(ct => ClaudeSession.StartAsync(system, options, ct), options, remote: false, signals, console);
            if (session is null) return startExit;
            try
            {
                return await new ChatLoop(session, signals, console).RunAsync();
            }
            finally
            {
                await StopQuietlyAsync(session, console);
            }
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// <c>--join</c>: a client node of a running cluster (no roles: the session runs on a node with the sessions
    /// role) chatting with the named session, which is started if it does not exist and left running afterwards.
    /// </summary>
    private static async Task<int> RunJoinedAsync(HostApplicationBuilder builder, LogLevel akkaLogLevel, string? seed, SessionOptions options, ChatSignals signals, ChatConsole console)
    {
        ClientNode node;
        try
        {
            node = await ClientNode.JoinAsync(builder, NodeConfiguration.ForClient(builder.Configuration, seed is null ? [] : [seed], hostname: null), akkaLogLevel, signals.Leaving);
        }
        catch (ClusterUnreachableException ex)
        {
            console.Error(ex.Message);
            return ExitCodes.ClusterUnreachable;
        }
        catch (OperationCanceledException) when (signals.Leaving.IsCancellationRequested)
        {
            return signals.ExitCode;
        }
        catch (InvalidOperationException ex)
        {
            console.Error("invalid settings: " + ex.Message);
            return ExitCodes.Usage;
        }
        await using (node)
        {
            var (session, startExit) = await StartSessionAsync(ct => node.Sessions.StartAsync(options, returnExisting: true, ct), options, remote: true, signals, console);
            if (session is null) return startExit;
            var exit = await new ChatLoop(session, signals, console).RunAsync();
            if (console.Interactive) console.Note($"session '{session.Name}' keeps running on the cluster.");
            return exit;
        }
    }

    private static async Task<(ClaudeSession? Session, int ExitCode)> StartSessionAsync(
        Func<CancellationToken, Task<ClaudeSession>> start, SessionOptions options, bool remote, ChatSignals signals, ChatConsole console)
    {
        try
        {
            return (await start(signals.Leaving), ExitCodes.Ok);
        }
        catch (CliNotFoundException ex) when (remote)
        {
            console.Error("the node that runs the session has no claude CLI: " + ex.Failure.Message);
            return (null, ExitCodes.CliNotFound);
        }
        catch (CliNotFoundException)
        {
            var where = options.CliPath is { } path ? $"at '{Path.GetFullPath(path)}'" : "(not at $CLAUDE_CLI_PATH, not on PATH)";
            console.Error($"the claude CLI was not found {where}. Install it with `npm install -g @anthropic-ai/claude-code`, or pass --cli-path.");
            return (null, ExitCodes.CliNotFound);
        }
        catch (InvalidSessionRequestException ex)
        {
            console.Error("invalid options: " + ex.Failure.Message);
            return (null, ExitCodes.Usage);
        }
        catch (NotAuthenticatedException ex)
        {
            console.Error(ChatLoop.NotAuthenticatedHint + " " + ex.Failure.Message);
            return (null, ExitCodes.NotAuthenticated);
        }
        catch (ClaudeSessionException ex)
        {
            console.Error("the claude CLI could not start: " + ex.Failure, ex.Failure.StderrTail);
            return (null, ExitCodes.StartFailed);
        }
        catch (AskTimeoutException)
        {
            console.Error("the claude CLI could not start: it did not become ready in time.");
            return (null, ExitCodes.StartFailed);
        }
        catch (OperationCanceledException) when (signals.Leaving.IsCancellationRequested)
        {
            return (null, signals.ExitCode);
        }
    }

    /// <summary>Stops the session (and so its CLI) before the host goes; a failure here must not hide the chat's exit code.</summary>
    private static async Task StopQuietlyAsync(ClaudeSession session, ChatConsole console)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await session.StopAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            console.Error("the session did not stop cleanly: " + ex.Message);
        }
    }
}
