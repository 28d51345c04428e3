using System.Collections;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;

namespace ClaudeActors.Logging;

/// <summary>
/// Akka.Hosting's bridge from Akka's log events to <see cref="ILoggerFactory"/>, plus one thing: an event's session
/// properties (<see cref="SessionLogProperties.SessionName"/> and <see cref="SessionLogProperties.SessionId"/>, set
/// by the session actors as Akka context properties) are opened as a logging scope around it. Scope-aware sinks (the
/// console's <c>IncludeScopes</c>, Serilog, OpenTelemetry logs) then attach them the way they attach the scopes
/// of the rest of the application. Add it with <see cref="ScopedLoggerFactoryExtensions.AddScopedLoggerFactory"/>.
/// </summary>
/// <remarks>
/// Akka's logger actors are created by type name, so this type is public; it is not meant to be used directly.
/// </remarks>
internal sealed class ScopedLoggerFactoryLogger : LoggerFactoryLogger
{
    // Scopes live in the factory's shared scope provider: a scope begun on this logger is seen by the base class's,
    // which logs under the same category (so the same filter rules decide whether either is active).
    private readonly ILogger _scopes;

    /// <summary>Created by Akka's logging bus, with the <see cref="LoggerFactorySetup"/> that Akka.Hosting adds.</summary>
    public ScopedLoggerFactoryLogger()
    {
        _scopes = Context.System.Settings.Setup.Get<LoggerFactorySetup>().Value.LoggerFactory.CreateLogger<ActorSystem>();
    }

    /// <inheritdoc />
    protected override void Log(LogEvent log, ActorPath path)
    {
        var scope = SessionScope.Of(log);
        if (scope is null)
        {
            base.Log(log, path);
            return;
        }
        using (_scopes.BeginScope(scope)) base.Log(log, path);
    }

    /// <summary>A scope state that structured sinks read as properties and text sinks print as <c>Name:value</c> pairs.</summary>
    private sealed class SessionScope(KeyValuePair<string, object?>[] pairs) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private static readonly string[] Keys = [SessionLogProperties.SessionName, SessionLogProperties.SessionId];

        // Akka keeps an event's context properties internal; they come out merged with the template's own.
        public static SessionScope? Of(LogEvent log)
        {
            if (!log.TryGetProperties(out var properties) || properties is null) return null;
            List<KeyValuePair<string, object?>>? found = null;
            foreach (var key in Keys)
                if (properties.TryGetValue(key, out var value)) (found ??= []).Add(new(key, value));
            return found is null ? null : new SessionScope([.. found]);
        }

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
    /// Sends Akka's log events to the host's <see cref="ILoggerFactory"/> like Akka.Hosting's
    /// <c>AddLoggerFactory()</c>, with each event's context properties (session name and id) as a logging scope.
    /// Use it instead of <c>AddLoggerFactory()</c>, usually after <see cref="LoggerConfigBuilder.ClearLoggers"/>.
    /// </summary>
    /// <param name="loggers">The logger configuration of <c>ConfigureLoggers</c>.</param>
    /// <returns>The same configuration, for chaining.</returns>
    public static LoggerConfigBuilder AddScopedLoggerFactory(this LoggerConfigBuilder loggers) =>
        loggers.AddLogger<ScopedLoggerFactoryLogger>();
}
