using ClaudeActors.Protocol;
using ClaudeActors.Sessions;

namespace ClaudeActors.Testing;

/// <summary>
/// One scripted turn of a <see cref="StubSession"/>: the messages it streams and how it ends — the final
/// <see cref="ResultMessage"/> (a success, or an error result that fails the query like a real session does),
/// or a typed <see cref="SessionFailure"/>. Immutable.
/// </summary>
public sealed class StubReply
{
    private StubReply(IReadOnlyList<ClaudeMessage> messages, SessionFailure? failure, TimeSpan delay)
    {
        Messages = messages;
        Failure = failure;
        Delay = delay;
    }

    /// <summary>The messages streamed, in order; without a <see cref="Failure"/> the last one is a <see cref="ResultMessage"/>.</summary>
    public IReadOnlyList<ClaudeMessage> Messages { get; }

    /// <summary>The failure the query ends with after <see cref="Messages"/>, or null.</summary>
    public SessionFailure? Failure { get; }

    /// <summary>The pause before each message (and before a failure with no messages); zero answers at once.</summary>
    public TimeSpan Delay { get; }

    /// <summary>A plain turn: <c>system/init</c>, an assistant message with <paramref name="text"/>, a success result with that text.</summary>
    /// <param name="text">The answer.</param>
    public static StubReply Text(string text) =>
        new([ClaudeMessages.Init(null, null), ClaudeMessages.Text(text), ClaudeMessages.Result(text)], null, TimeSpan.Zero);

    /// <summary>
    /// A turn streaming exactly <paramref name="messages"/>. If the last one is not a <see cref="ResultMessage"/>, a
    /// success result is appended whose text is the last assistant text (as the CLI reports it). A result with
    /// <c>is_error</c> fails the query with <see cref="FailureKind.ApiError"/> (<see cref="FailureKind.Interrupted"/>
    /// for <c>terminal_reason: aborted_streaming</c>), carrying the result, like a real session.
    /// </summary>
    /// <param name="messages">The messages, in order.</param>
    public static StubReply Of(params ClaudeMessage[] messages) => Of((IEnumerable<ClaudeMessage>)messages);

    /// <summary>A turn streaming <paramref name="messages"/>; see <see cref="Of(ClaudeMessage[])"/>.</summary>
    /// <param name="messages">The messages, in order.</param>
    public static StubReply Of(IEnumerable<ClaudeMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages.ToList();
        if (list.Count == 0 || list[^1] is not ResultMessage) list.Add(ClaudeMessages.Result(LastAssistantText(list)));
        return new StubReply(list, null, TimeSpan.Zero);
    }

    /// <summary>
    /// A turn that streams <paramref name="streamedFirst"/> (often nothing) and then fails with
    /// <paramref name="kind"/>: the facade throws the matching exception (<see cref="FailureKind.ApiError"/> →
    /// <see cref="ClaudeApiErrorException"/>, ...). <see cref="FailureKind.ApiError"/> and
    /// <see cref="FailureKind.Interrupted"/> failures carry an error <see cref="SessionFailure.Result"/>, as real ones do.
    /// </summary>
    /// <param name="kind">What went wrong.</param>
    /// <param name="message">The failure's message.</param>
    /// <param name="streamedFirst">Messages streamed before the failure.</param>
    public static StubReply Fail(FailureKind kind, string message, params ClaudeMessage[] streamedFirst)
    {
        var failure = new SessionFailure(kind, message);
        if (kind == FailureKind.ApiError)
            failure = failure with { Result = ClaudeMessages.Result(message, isError: true) };
        else if (kind == FailureKind.Interrupted)
            failure = failure with { Result = ClaudeMessages.Result(message, isError: true, subtype: "error_during_execution") with { TerminalReason = "aborted_streaming" } };
        return Fail(failure, streamedFirst);
    }

    /// <summary>A turn that streams <paramref name="streamedFirst"/> and then fails with exactly <paramref name="failure"/> (exit code, stderr tail, ...).</summary>
    /// <param name="failure">The failure.</param>
    /// <param name="streamedFirst">Messages streamed before the failure.</param>
    public static StubReply Fail(SessionFailure failure, params ClaudeMessage[] streamedFirst)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return new StubReply(streamedFirst.ToList(), failure, TimeSpan.Zero);
    }

    /// <summary>The same turn, pausing <paramref name="delay"/> before each message: a slow turn, to test interrupts, timeouts and queueing.</summary>
    /// <param name="delay">The pause; zero answers at once.</param>
    public StubReply WithDelay(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return new StubReply(Messages, Failure, delay);
    }

    private static string LastAssistantText(IEnumerable<ClaudeMessage> messages)
    {
        var text = "";
        foreach (var message in messages)
        {
            if (message is not AssistantMessage assistant) continue;
            var joined = string.Concat(assistant.Message.Content.OfType<TextBlock>().Select(b => b.Text));
            if (joined.Length > 0) text = joined;
        }
        return text;
    }
}
