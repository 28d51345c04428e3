using ClaudeActors.Protocol;

namespace ClaudeActors.Core;

/// <summary>What went wrong, as a closed set callers can switch on.</summary>
public enum FailureKind
{
    /// <summary>The options or the request were invalid; nothing was started or sent.</summary>
    InvalidRequest,
    /// <summary>The CLI executable was not found.</summary>
    CliNotFound,
    /// <summary>The CLI could not be started or did not complete the initialize handshake.</summary>
    CliStartFailed,
    /// <summary>The CLI process exited or was killed while the session needed it.</summary>
    CliCrashed,
    /// <summary>The query did not end within its timeout; it was interrupted.</summary>
    Timeout,
    /// <summary>The query was interrupted (by <c>Interrupt</c> or by its caller cancelling).</summary>
    Interrupted,
    /// <summary>The turn ended with <c>is_error: true</c> (API error, limits); <see cref="SessionFailure.Result"/> holds the result.</summary>
    ApiError,
    /// <summary>The API refused the credentials (the CLI reported <c>authentication_failed</c>).</summary>
    NotAuthenticated,
    /// <summary>The session stopped (or is stopping) before the request could complete.</summary>
    SessionStopped,
    /// <summary>The CLI answered a control request with an error.</summary>
    ControlRequestFailed,
    /// <summary>No session has that name.</summary>
    SessionNotFound,
    /// <summary>A session with that name exists already.</summary>
    SessionAlreadyExists,
    /// <summary>The session actor itself failed; it restarts and resumes, but this request was lost.</summary>
    SessionCrashed,
    /// <summary>The CLI wrote something the host could not read (an oversized line, an unreadable result); the turn was ended.</summary>
    ProtocolError,
    /// <summary>
    /// Cluster mode: the node running the query became unreachable before the query ended. The turn is not retried
    /// (it may have run, in part, there); the session comes back on another node for the next query.
    /// </summary>
    NodeUnreachable,
    /// <summary>
    /// The node had no room for one more CLI within its memory budget (or its CLI count cap) and no idle session to give
    /// one up within the wait; nothing was started. Try again later, or on another node.
    /// </summary>
    NodeAtCapacity,
    /// <summary>
    /// The CLI's memory passed the hard ceiling (1.5x <see cref="SessionOptions.CliMemoryLimit"/>) during the turn: the
    /// turn was ended and the session continues, with its context, on a new CLI.
    /// </summary>
    MemoryLimitExceeded,

    /// <summary>The session asks for the command sandbox (<see cref="SessionOptions.Sandbox"/>) and this machine cannot run it (bubblewrap missing, unsupported platform); nothing was started.</summary>
    SandboxUnavailable,

    /// <summary>A credential given by reference (<see cref="SessionOptions.EnvironmentFromConfiguration"/>) has no value in the host's configuration; nothing was started.</summary>
    CredentialUnavailable,
}

/// <summary>A typed, serialisable failure: every query and control request ends with a result or one of these.</summary>
/// <param name="Kind">What went wrong.</param>
/// <param name="Message">A one-line explanation, free of secrets.</param>
public sealed record SessionFailure(FailureKind Kind, string Message)
{
    /// <summary>The CLI's exit code, for <see cref="FailureKind.CliCrashed"/> and <see cref="FailureKind.CliStartFailed"/>.</summary>
    public int? ExitCode { get; init; }

    /// <summary>The last lines the CLI wrote on stderr (bounded, secrets redacted).</summary>
    public string? StderrTail { get; init; }

    /// <summary>The result message of a failed turn (<see cref="FailureKind.ApiError"/>, <see cref="FailureKind.Interrupted"/>).</summary>
    public ResultMessage? Result { get; init; }

    /// <summary>The typed exception that represents this failure.</summary>
    public ClaudeSessionException ToException() => Kind switch
    {
        FailureKind.InvalidRequest => new InvalidSessionRequestException(this),
        FailureKind.CliNotFound => new CliNotFoundException(this),
        FailureKind.CliStartFailed => new CliStartFailedException(this),
        FailureKind.CliCrashed => new CliCrashedException(this),
        FailureKind.Timeout => new QueryTimeoutException(this),
        FailureKind.Interrupted => new QueryInterruptedException(this),
        FailureKind.ApiError => new ClaudeApiErrorException(this),
        FailureKind.NotAuthenticated => new NotAuthenticatedException(this),
        FailureKind.SessionStopped => new SessionStoppedException(this),
        FailureKind.ControlRequestFailed => new ControlRequestFailedException(this),
        FailureKind.SessionNotFound => new SessionNotFoundException(this),
        FailureKind.SessionAlreadyExists => new SessionAlreadyExistsException(this),
        FailureKind.SessionCrashed => new SessionCrashedException(this),
        FailureKind.ProtocolError => new ProtocolErrorException(this),
        FailureKind.NodeUnreachable => new NodeUnreachableException(this),
        FailureKind.NodeAtCapacity => new NodeAtCapacityException(this),
        FailureKind.MemoryLimitExceeded => new MemoryLimitExceededException(this),
        FailureKind.SandboxUnavailable => new SandboxUnavailableException(this),
        FailureKind.CredentialUnavailable => new CredentialUnavailableException(this),
        _ => new ClaudeSessionException(this),
    };

    /// <inheritdoc />
    public override string ToString() =>
        ExitCode is { } code ? $"{Kind}: {Message} (exit code {code})" : $"{Kind}: {Message}";
}

/// <summary>The base of every failure a session reports; <see cref="Failure"/> says which.</summary>
public class ClaudeSessionException : Exception
{
    /// <summary>Wraps a failure.</summary>
    public ClaudeSessionException(SessionFailure failure) : base(Describe(failure)) => Failure = failure;

    /// <summary>The typed failure.</summary>
    public SessionFailure Failure { get; }

    private static string Describe(SessionFailure failure) =>
        string.IsNullOrWhiteSpace(failure.StderrTail)
            ? failure.ToString()
            : failure + Environment.NewLine + "CLI stderr (tail):" + Environment.NewLine + failure.StderrTail;
}

/// <summary>The options or the request were invalid.</summary>
public class InvalidSessionRequestException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>Session options break one or more rules; nothing was started.</summary>
public sealed class InvalidSessionOptionsException(IReadOnlyList<string> errors)
    : InvalidSessionRequestException(new SessionFailure(FailureKind.InvalidRequest, "Invalid session options: " + string.Join(" ", errors)))
{
    /// <summary>Each rule that was broken.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>The CLI executable was not found.</summary>
public sealed class CliNotFoundException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>The CLI could not be started or did not complete its handshake.</summary>
public sealed class CliStartFailedException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>The CLI process died while the session needed it.</summary>
public sealed class CliCrashedException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>The query ran past its timeout and was interrupted.</summary>
public sealed class QueryTimeoutException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>The query was interrupted.</summary>
public sealed class QueryInterruptedException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>The turn ended with <c>is_error: true</c>.</summary>
public sealed class ClaudeApiErrorException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>The API refused the credentials.</summary>
public sealed class NotAuthenticatedException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>The session stopped before the request completed.</summary>
public sealed class SessionStoppedException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>The CLI answered a control request with an error.</summary>
public sealed class ControlRequestFailedException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>No session has that name.</summary>
public sealed class SessionNotFoundException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>A session with that name exists already.</summary>
public sealed class SessionAlreadyExistsException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>The session actor failed while this request was in flight; the session restarts and resumes.</summary>
public sealed class SessionCrashedException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>The CLI wrote something the host could not read; the turn was ended rather than left waiting.</summary>
public sealed class ProtocolErrorException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>
/// Cluster mode: the node running the query became unreachable (the cluster's failure detector said so) before the
/// query ended. Never retried for the caller: the turn may have run, in part, on that node.
/// </summary>
public sealed class NodeUnreachableException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>The node had no room for one more CLI within its memory budget or count cap; nothing was started.</summary>
public sealed class NodeAtCapacityException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>The CLI passed its hard memory ceiling during the turn; the turn was ended, the session resumes on a new CLI.</summary>
public sealed class MemoryLimitExceededException(SessionFailure failure) : ClaudeSessionException(failure);
/// <summary>The session needs the command sandbox and the machine cannot run it: it was not started unsandboxed.</summary>
public sealed class SandboxUnavailableException(SessionFailure failure) : ClaudeSessionException(failure);

/// <summary>A credential reference of the session has no value in the host's configuration.</summary>
public sealed class CredentialUnavailableException(SessionFailure failure) : ClaudeSessionException(failure);
