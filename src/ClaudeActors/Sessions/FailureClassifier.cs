using System.Text.Json;
using ClaudeActors.Process;
using ClaudeActors.Protocol;

namespace ClaudeActors.Sessions;

/// <summary>
/// Turns what the CLI did (how its process ended, what its result line said, what it kept retrying on) into the
/// typed failures callers switch on. It only names them: what the session does about one is the session's business.
/// </summary>
internal static class FailureClassifier
{
    /// <summary>Why the session's CLI is gone.</summary>
    /// <param name="end">What the CLI reported, or what the session stopped it for; null when it stopped without a word.</param>
    /// <param name="duringStartUp">True while the session's first CLI has not answered initialize yet.</param>
    /// <param name="recentMalformed">The last lines the CLI wrote that were not protocol messages: often its only explanation.</param>
    public static SessionFailure ForCliEnd(CliEnded? end, bool duringStartUp, IReadOnlyCollection<string> recentMalformed)
    {
        var said = recentMalformed.Count > 0 ? " The CLI said: " + string.Join(" | ", recentMalformed) : "";
        return end switch
        {
            // The CLI's own guard (failIfUnavailable, which the host always sends with the sandbox): typed like ours.
            CliExited exited when duringStartUp && RefusedWithoutSandbox(exited.StderrTail + said) =>
                new SessionFailure(FailureKind.SandboxUnavailable, "The claude CLI refused to start without a working sandbox." + said)
                {
                    ExitCode = exited.ExitCode,
                    StderrTail = exited.StderrTail,
                },
            CliExited exited when duringStartUp => new SessionFailure(FailureKind.CliStartFailed, "The claude CLI exited during start-up." + said)
            {
                ExitCode = exited.ExitCode,
                StderrTail = exited.StderrTail,
            },
            CliExited exited => new SessionFailure(FailureKind.CliCrashed, "The claude CLI process exited unexpectedly." + said)
            {
                ExitCode = exited.ExitCode,
                StderrTail = exited.StderrTail,
            },
            CliStartFailed start => new SessionFailure(FailureKind.CliStartFailed, start.Reason + said),
            _ => new SessionFailure(FailureKind.CliCrashed, "The claude CLI process actor stopped." + said),
        };
    }

    private static bool RefusedWithoutSandbox(string? text) =>
        text is not null && text.Contains("sandbox.failIfUnavailable", StringComparison.Ordinal);

    /// <summary>
    /// The terminal message of a turn that ended with <paramref name="result"/>. Judged by <c>is_error</c>, never by the
    /// subtype (an API error comes with subtype <c>success</c>).
    /// </summary>
    /// <param name="queryId">The query.</param>
    /// <param name="result">The turn's result line.</param>
    /// <param name="interruptRequested">True when the caller asked for an interrupt during the turn.</param>
    public static object TerminalFor(string queryId, ResultMessage result, bool interruptRequested)
    {
        if (!result.IsError) return new QueryCompleted(queryId, result);
        var interrupted = interruptRequested || result.TerminalReason == "aborted_streaming";
        var unreadable = result.TerminalReason == UnreadableReason;
        var text = result.Result ?? string.Join("; ", ErrorTexts(result));
        var unauthenticated = !interrupted && (result.ApiErrorStatus is 401 ||
            text.Contains("Not logged in", StringComparison.OrdinalIgnoreCase) ||
            text.Contains("authentication", StringComparison.OrdinalIgnoreCase) ||
            text.Contains("Invalid API key", StringComparison.OrdinalIgnoreCase));
        return new QueryFailed(queryId, new SessionFailure(
            interrupted ? FailureKind.Interrupted : unreadable ? FailureKind.ProtocolError
                : unauthenticated ? FailureKind.NotAuthenticated : FailureKind.ApiError,
            interrupted ? "The query was interrupted." : $"The turn failed: {text}")
        {
            Result = result,
        });
    }

    /// <summary>
    /// A failure the caller should hear at once, not minutes later: the CLI retries a refused credential with growing
    /// delays before it writes a result. Null for any other system line.
    /// </summary>
    public static SessionFailure? DuringTurn(SystemMessage system) =>
        system.Subtype == "api_retry" && system.ExtensionData is { } extra && extra.TryGetValue("error", out var error) &&
        error.ValueKind == JsonValueKind.String && error.GetString() == "authentication_failed"
            ? new SessionFailure(FailureKind.NotAuthenticated,
                "The Anthropic API refused the credentials (authentication_failed). Set ANTHROPIC_API_KEY or log in with `claude`.")
            : null;

    internal const string UnreadableReason = "unreadable_result";

    private static IEnumerable<string> ErrorTexts(ResultMessage result) =>
        result.Errors is { ValueKind: JsonValueKind.Array } errors
            ? errors.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : e.GetRawText())
            : [result.Subtype];
}
