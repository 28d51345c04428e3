using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using ClaudeActors.Hosting;
using ClaudeActors.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using AkkaLogLevel = Akka.Event.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace ClaudeActors.Host;

/// <summary>
/// Builds the process every command runs in: a generic host with one ActorSystem (Akka.Hosting), the repo's
/// <c>akka.hocon</c>, and all logging (Akka's included) going to stderr, so stdout carries only what a command
/// is asked to print (the chat's replies). Each command picks its log level and whether the host owns Ctrl-C.
/// </summary>
internal static class HostBuilderExtensions
{
    /// <summary>The ActorSystem's name; also the first part of every actor path and (later) the cluster's name.</summary>
    public const string ActorSystemName = "claude-actors";

    /// <summary>
    /// A host builder for one node. <paramref name="handleSignals"/> false replaces the console lifetime (which
    /// turns Ctrl-C and SIGTERM into a host shutdown) for commands that give Ctrl-C a meaning of their own.
    /// </summary>
    /// <param name="logLevel">The console's level.</param>
    /// <param name="handleSignals">False for commands that handle Ctrl-C themselves.</param>
    /// <param name="json">One JSON object per log line, with scopes (session name and id), for log shippers.</param>
    /// <remarks>The ActorSystem is added afterwards with <see cref="AddClaudeActorsNode"/>, once the command has read its settings from <see cref="HostApplicationBuilder.Configuration"/>.</remarks>
    public static HostApplicationBuilder CreateNodeBuilder(LogLevel logLevel, bool handleSignals, bool json = false)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            // The command line belongs to System.CommandLine, not to the configuration system.
            Args = [],
            // appsettings.json ships next to the binary; the user's current directory is theirs (the chat's --cwd).
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.AddStandardErrorConsole(logLevel, json);
        if (!handleSignals) builder.Services.AddSingleton<IHostLifetime, NoSignalsLifetime>();
        return builder;
    }

    /// <summary>
    /// One console logger, on stderr for every level, at <paramref name="level"/> unless appsettings.json says more
    /// precisely. Text lines leave scopes out: Akka's text of a session's line already names the session
    /// (<c>[SessionName=…][SessionId=…]</c>); JSON lines carry them as fields.
    /// </summary>
    public static ILoggingBuilder AddStandardErrorConsole(this ILoggingBuilder logging, LogLevel level, bool json = false)
    {
        logging.ClearProviders();
        if (json)
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
        }
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // Registered after appsettings.json's rules, so this wins over a "Default" there; its per-category rules
        // still apply. Akka's events all arrive under one category (Akka.Actor.ActorSystem) and are already
        // filtered by akka.loglevel (set to the same level below), so no "Akka" rule is needed.
        logging.SetMinimumLevel(level);
        logging.AddFilter((string?)null, level);
        return logging;
    }

    /// <summary>
    /// The ActorSystem: akka.hocon appended, Akka's loggers replaced by Microsoft.Extensions.Logging, then
    /// <paramref name="mode"/>: the local session supervisor (<see cref="LocalSessions"/>) or a cluster node.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="logLevel">Akka's level (the library's actors log through Akka); <see cref="LogLevel.None"/> turns it off.</param>
    /// <param name="mode">Adds the sessions: local or clustered.</param>
    /// <param name="jsonLogs">Akka's own start-up and shutdown lines as JSON too, like the console's.</param>
    public static IServiceCollection AddClaudeActorsNode(this IServiceCollection services, LogLevel logLevel, Action<AkkaConfigurationBuilder> mode,
        bool jsonLogs = false)
    {
        var minimalLogger = jsonLogs ? typeof(JsonStandardErrorLogger) : typeof(StandardErrorLogger);
        return services.AddAkka(ActorSystemName, (builder, _) => mode(builder
            .AddHoconFile(Path.Combine(AppContext.BaseDirectory, "akka.hocon"), HoconAddMode.Append)
            .AddHocon(ConfigurationFactory.ParseString($$"""
                # Akka's start-up/shutdown logger writes to stdout by default; keep stdout for the commands' output.
                akka.stdout-logger-class = "{{minimalLogger.FullName}}, {{minimalLogger.Assembly.GetName().Name}}"
                # The host owns the process's life: Akka's own SIGINT/SIGTERM/exit hook would start a shutdown on
                # Ctrl-C, which in the chat only interrupts a reply. Stopping the host runs the coordinated shutdown.
                akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
                {{(logLevel == LogLevel.None ? "akka.loglevel = OFF\nakka.stdout-loglevel = OFF" : "")}}
                """), HoconAddMode.Prepend)
            .ConfigureLoggers(loggers =>
            {
                if (logLevel != LogLevel.None) loggers.LogLevel = ToAkka(logLevel);
                loggers.ClearLoggers();
                // Akka.Hosting's bridge, with each session's name and conversation id as a logging scope.
                loggers.AddScopedLoggerFactory();
            })));
    }

    /// <summary>
    /// Local mode: the session supervisor, started with the system; its shutdown task stops every session's CLI.
    /// No sessions are declared: the chat starts its own.
    /// </summary>
    public static void LocalSessions(AkkaConfigurationBuilder builder) => builder.WithClaudeSessions(new ClaudeSessionsOptions());

    private static AkkaLogLevel ToAkka(LogLevel level) => level switch
    {
        <= LogLevel.Debug => AkkaLogLevel.DebugLevel,
        LogLevel.Information => AkkaLogLevel.InfoLevel,
        LogLevel.Warning => AkkaLogLevel.WarningLevel,
        _ => AkkaLogLevel.ErrorLevel,
    };
}

/// <summary>
/// A host lifetime that leaves signals alone: the chat decides what Ctrl-C means (stop the reply, or leave)
/// and stops the host itself.
/// </summary>
internal sealed class NoSignalsLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Akka's minimal logger (used before the real loggers start and after they stop), writing to stderr instead
/// of stdout. Loaded by name through <c>akka.stdout-logger-class</c>, so it needs a public parameterless constructor.
/// </summary>
public sealed class StandardErrorLogger : MinimalLogger
{
    /// <inheritdoc />
    protected override void Log(object message) => Console.Error.WriteLine(message);
}

/// <summary>
/// <see cref="StandardErrorLogger"/> for <c>--log-format json</c>: the lines Akka writes before its loggers start and
/// after they stop have the JSON console's shape, so every stderr line of the node is one JSON object.
/// </summary>
public sealed class JsonStandardErrorLogger : MinimalLogger
{
    /// <inheritdoc />
    protected override void Log(object message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("Timestamp", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteNumber("EventId", 0);
            json.WriteString("LogLevel", message is LogEvent e ? e.LogLevel() switch
            {
                AkkaLogLevel.DebugLevel => "Debug",
                AkkaLogLevel.InfoLevel => "Information",
                AkkaLogLevel.WarningLevel => "Warning",
                _ => "Error",
            } : "Information");
            json.WriteString("Category", "Akka.Actor.ActorSystem");
            json.WriteString("Message", message.ToString());
            json.WriteStartObject("State");
            json.WriteEndObject();
            json.WriteStartArray("Scopes");
            json.WriteEndArray();
            json.WriteEndObject();
        }
        Console.Error.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
