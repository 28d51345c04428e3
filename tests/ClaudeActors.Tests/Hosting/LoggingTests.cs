using System.Collections.Concurrent;
using Akka.Hosting;
using ClaudeActors.Client;
using ClaudeActors.Hosting;
using ClaudeActors.Logging;
using ClaudeActors.Sessions;
using ClaudeActors.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ClaudeActors.Tests.Hosting;

/// <summary>
/// Session logs reach Microsoft.Extensions.Logging with the session's name and conversation id: as a scope through
/// <see cref="ScopedLoggerFactoryLogger"/>, as state properties through Akka.Hosting's own bridge. The CLI's stderr
/// is logged at Debug, redacted.
/// </summary>
public sealed class LoggingTests : IDisposable
{
    // A marker in the shape of a key, split so it is never mistaken for a committed one.
    private static readonly string ApiKey = "sk-" + "ant-LOGMARK-" + new string('x', 24);

    private readonly CliSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Session_log_lines_carry_the_session_name_and_id_and_stderr_arrives_at_debug_without_secrets(bool scopedBridge)
    {
        var captured = new CapturingLoggerProvider();
        using var host = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders().AddProvider(captured).SetMinimumLevel(LogLevel.Debug))
            .ConfigureServices(services =>
            {
                services.AddAkka("logging-test", builder => builder
                    .ConfigureLoggers(loggers =>
                    {
                        loggers.LogLevel = Akka.Event.LogLevel.DebugLevel;
                        loggers.ClearLoggers();
                        if (scopedBridge) loggers.AddScopedLoggerFactory();
                        else loggers.AddLoggerFactory();
                    })
                    .WithClaudeSessions(new ClaudeSessionsOptions()));
                services.AddClaudeSessionsClient();
            })
            .Build();
        await host.StartAsync();
        var sessions = host.Services.GetRequiredService<IClaudeSessions>();

        var options = _sandbox.FakeCliOptions("logged") with
        {
            Environment = new Dictionary<string, string>(_sandbox.Environment) { ["ANTHROPIC_API_KEY"] = ApiKey },
        };
        var session = await sessions.StartAsync(options);
        await session.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
        var sessionId = await session.GetSessionIdAsync();
        Assert.NotNull(sessionId);
        Assert.Equal("Echo: hi", await session.FinalTextAsync("[leak-key]hi"));
        // A crash: the session logs a warning about its CLI, then restarts it.
        await Assert.ThrowsAsync<CliCrashedException>(() => session.FinalTextAsync("[crash]go"));
        await session.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));

        var stderr = await WaitForAsync(captured, r => r.Message.Contains("claude stderr: fake-claude: using API key"));
        Assert.Equal(LogLevel.Debug, stderr.Level);
        var warning = await WaitForAsync(captured, r => r.Level == LogLevel.Warning && r.Message.Contains("Session logged"));

        foreach (var record in new[] { stderr, warning })
        {
            if (scopedBridge)
            {
                // One level and one timestamp per line (the sink's): no Akka text prefix inside the message.
                Assert.DoesNotMatch(@"\[(DEBUG|INFO|WARNING|ERROR)\]\[", record.Message);
                Assert.DoesNotContain("[Thread ", record.Message);
                Assert.StartsWith("[akka://logging-test/user/claude-sessions/session-logged", record.Message);
                Assert.Contains(record.State, p => p.Key == "ActorPath");
            }
            var properties = scopedBridge ? record.Scopes : record.State;
            Assert.Contains(new KeyValuePair<string, object?>(SessionLogProperties.SessionName, "logged"), properties);
            Assert.Contains(new KeyValuePair<string, object?>(SessionLogProperties.SessionId, sessionId), properties);
        }
        // A scope never outlives its line: the system's own lines carry none.
        var others = captured.Records.Where(r => !r.Message.Contains("[SessionName=") && r.State.All(p => p.Key != SessionLogProperties.SessionName)).ToList();
        Assert.NotEmpty(others);
        Assert.All(others, r => Assert.DoesNotContain(r.Scopes, p => p.Key == SessionLogProperties.SessionName));

        await host.StopAsync();
        foreach (var record in captured.Records)
        {
            Assert.DoesNotContain("LOGMARK", record.Message);
            Assert.DoesNotContain("LOGMARK", record.Exception ?? "");
            Assert.DoesNotContain(record.Scopes.Concat(record.State), p => p.Value?.ToString()?.Contains("LOGMARK") == true);
        }
    }

    private static async Task<LogRecord> WaitForAsync(CapturingLoggerProvider captured, Func<LogRecord, bool> match)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (captured.Records.FirstOrDefault(match) is { } found) return found;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException("No such log line. Captured:\n" + string.Join("\n", captured.Records.Select(r => r.Message)));
    }

    private sealed record LogRecord(
        LogLevel Level, string Message, string? Exception,
        IReadOnlyList<KeyValuePair<string, object?>> State, IReadOnlyList<KeyValuePair<string, object?>> Scopes);

    /// <summary>Keeps every line with its state properties and the properties of every scope open around it.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();
        private readonly ConcurrentQueue<LogRecord> _records = new();

        public IReadOnlyList<LogRecord> Records => _records.ToArray();

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scopes = new List<KeyValuePair<string, object?>>();
                owner._scopes.ForEachScope((scope, list) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs) list.AddRange(pairs);
                }, scopes);
                var properties = state is IEnumerable<KeyValuePair<string, object?>> statePairs ? statePairs.ToList() : [];
                owner._records.Enqueue(new LogRecord(logLevel, formatter(state, exception), exception?.ToString(), properties, scopes));
            }
        }
    }
}
