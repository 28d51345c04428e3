using System.Collections;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using Akka.Hosting;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace ClaudeActors.Logging;

/// <summary>
/// Akka's log events to <see cref="ILoggerFactory"/>, as a host's own log lines: one timestamp and one level (the
/// sink's, not Akka's text prefix too), the event's class as the category, its actor path and thread as fields, and
/// the session properties (<see cref="SessionLogProperties.SessionName"/>,
/// <see cref="SessionLogProperties.SessionId"/>) also opened as a logging scope, so scope-aware sinks (the console's
/// <c>IncludeScopes</c>, Serilog, OpenTelemetry logs) attach them as they attach the rest of the application's.
/// Add it with <see cref="ScopedLoggerFactoryExtensions.AddScopedLoggerFactory"/>.
/// </summary>
internal sealed class ScopedLoggerFactoryLogger : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private static readonly string[] SessionKeys = [SessionLogProperties.SessionName, SessionLogProperties.SessionId];

    private readonly ILoggerFactory _factory;
    // Scopes live in the factory's shared scope provider: a scope begun on one logger is seen by every logger of it.
    private readonly ILogger _scopes;
    private readonly Dictionary<Type, ILogger> _loggers = new();

    /// <summary>Created by Akka's logging bus, with the <see cref="LoggerFactorySetup"/> that Akka.Hosting adds.</summary>
    public ScopedLoggerFactoryLogger()
    {
        _factory = Context.System.Settings.Setup.Get<LoggerFactorySetup>().Value.LoggerFactory;
        _scopes = _factory.CreateLogger<ActorSystem>();
    }

    /// <inheritdoc />
    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case LogEvent log:
                Log(log);
                return true;
            default:
                return false;
        }
    }

    private void Log(LogEvent log)
    {
        var logger = LoggerFor(log.LogClass);
        var level = log.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => LogLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => LogLevel.Information,
            Akka.Event.LogLevel.WarningLevel => LogLevel.Warning,
            _ => LogLevel.Error,
        };
        if (!logger.IsEnabled(level)) return;
        var state = new AkkaLogState(log);
        var exception = log is Error error ? error.Cause : null;
        if (state.SessionScope is { } scope)
        {
            using (_scopes.BeginScope(scope)) logger.Log(level, default, state, exception, AkkaLogState.Format);
        }
        else logger.Log(level, default, state, exception, AkkaLogState.Format);
    }

    private ILogger LoggerFor(Type? logClass)
    {
        logClass ??= typeof(ActorSystem);
        if (!_loggers.TryGetValue(logClass, out var logger))
            _loggers[logClass] = logger = _factory.CreateLogger(logClass.FullName ?? logClass.Name);
        return logger;
    }

    /// <summary>An event's fields: the actor path, the thread, Akka's context properties; its text is the message alone.</summary>
    private sealed class AkkaLogState : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] _fields;
        private readonly string _text;

        public AkkaLogState(LogEvent log)
        {
            var fields = new List<KeyValuePair<string, object?>>
            {
                new("ActorPath", log.LogSource),
                new("Thread", log.Thread.ManagedThreadId),
            };
            List<KeyValuePair<string, object?>>? session = null;
            var text = new System.Text.StringBuilder().Append('[').Append(log.LogSource).Append(']');
            if (log.TryGetProperties(out var properties) && properties is not null)
            {
                foreach (var (key, value) in properties)
                {
                    if (!SessionKeys.Contains(key)) continue; // the template's own arguments are in the message already
                    fields.Add(new(key, value));
                    (session ??= []).Add(new(key, value));
                    // Text sinks without scopes still show which session a line is about.
                    text.Append('[').Append(key).Append('=').Append(value).Append(']');
                }
            }
            _fields = [.. fields];
            SessionScope = session is null ? null : new Scope([.. session]);
            _text = text.Append(' ').Append(log.Message).ToString();
        }

        public Scope? SessionScope { get; }

        public static string Format(AkkaLogState state, Exception? _) => state._text;

        public int Count => _fields.Length;

        public KeyValuePair<string, object?> this[int index] => _fields[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_fields).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => _text;
    }

    /// <summary>A scope state that structured sinks read as properties and text sinks print as <c>Name:value</c> pairs.</summary>
    private sealed class Scope(KeyValuePair<string, object?>[] pairs) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => pairs.Length;

        public KeyValuePair<string, object?> this[int index] => pairs[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)pairs).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => string.Join(' ', pairs.Select(p => $"{p.Key}:{p.Value}"));
    }
}

/// <summary>Adds <see cref="ScopedLoggerFactoryLogger"/> to an Akka.Hosting logger configuration.</summary>
public static class ScopedLoggerFactoryExtensions
{
    /// <summary>
    /// Logs Akka's events (ClaudeActors' included) through the host's <see cref="ILoggerFactory"/>, one line per event
    /// with one timestamp and one level, the event's class as the category, the actor path as a field (and in the
    /// text), and each session's name and conversation id as a logging scope. Use it instead of Akka.Hosting's
    /// <c>AddLoggerFactory()</c> (call <see cref="LoggerConfigBuilder.ClearLoggers"/> first to drop Akka's default console logger).
    /// </summary>
    /// <param name="loggers">The logger configuration of <c>ConfigureLoggers</c>.</param>
    /// <returns>The same configuration, for chaining.</returns>
    public static LoggerConfigBuilder AddScopedLoggerFactory(this LoggerConfigBuilder loggers) =>
        loggers.AddLogger<ScopedLoggerFactoryLogger>();
}
