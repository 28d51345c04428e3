using Akka.Event;

namespace ClaudeActors.Logging;

/// <summary>
/// The names of the context properties that every log event about a session carries, so a log pipeline can
/// filter or group by session. They reach Microsoft.Extensions.Logging as properties of the log state through
/// Akka.Hosting's logger bridge, and as a logging scope through <see cref="ScopedLoggerFactoryLogger"/>.
/// </summary>
public static class SessionLogProperties
{
    /// <summary>The session's name: the supervisor's key, the cluster entity id.</summary>
    public const string SessionName = "SessionName";

    /// <summary>The CLI's conversation id (a UUID); it changes on <c>/clear</c> and on a fork.</summary>
    public const string SessionId = "SessionId";
}

/// <summary>
/// A session's logging adapter with its name and current conversation id as Akka context properties. The id can
/// change during the session's life (first start, clear, fork), so the adapter is rebuilt when it does.
/// </summary>
internal sealed class SessionLog(ILoggingAdapter inner, string sessionName)
{
    private ILoggingAdapter? _current;
    private string? _currentId;

    public ILoggingAdapter For(string? sessionId)
    {
        if (_current is not null && _currentId == sessionId) return _current;
        _currentId = sessionId;
        return _current = inner.ForSession(sessionName, sessionId);
    }
}

internal static class SessionLogExtensions
{
    public static ILoggingAdapter ForSession(this ILoggingAdapter log, string sessionName, string? sessionId)
    {
        var named = log.WithContext(SessionLogProperties.SessionName, sessionName);
        return sessionId is null ? named : named.WithContext(SessionLogProperties.SessionId, sessionId);
    }
}
