using ClaudeActors.Protocol;
using ClaudeActors.Sessions;

namespace ClaudeActors.Testing;

/// <summary>
/// What a <see cref="StubSession"/> answers, and what it was asked. Each query takes the next queued reply
/// (<see cref="Reply"/>, <see cref="ReplyWith"/>, <see cref="Fail"/>, <see cref="Then"/>); when the queue is
/// empty, the responder answers (<see cref="Respond(Func{string, IEnumerable{ClaudeMessage}})"/>; by default
/// <c>Echo: &lt;prompt&gt;</c>). Thread-safe: a test may add replies and read what was asked while the stub runs.
/// </summary>
public sealed class StubScript
{
    private readonly object _gate = new();
    private readonly Queue<StubReply> _replies = new();
    private readonly List<Query> _received = new();
    private Func<string, StubReply> _responder = prompt => StubReply.Text("Echo: " + prompt);

    /// <summary>The session id the stub reports (and stamps on messages built without one) until <see cref="ClearSession"/>. A new UUID by default.</summary>
    public string SessionId { get; init; } = Guid.NewGuid().ToString("D");

    /// <summary>The model the stub reports until <see cref="SetModel"/>.</summary>
    public string Model { get; init; } = ClaudeMessages.DefaultModel;

    /// <summary>Queues a plain turn: <c>system/init</c>, an assistant message with <paramref name="text"/>, a success result with that text.</summary>
    /// <param name="text">The answer.</param>
    public StubScript Reply(string text) => Then(StubReply.Text(text));

    /// <summary>
    /// Queues a turn streaming exactly <paramref name="messages"/>; a success result is appended unless the last
    /// is a <see cref="ResultMessage"/> (see <see cref="StubReply.Of(ClaudeMessage[])"/>).
    /// </summary>
    /// <param name="messages">The messages, in order (build them with <see cref="ClaudeMessages"/>).</param>
    public StubScript ReplyWith(params ClaudeMessage[] messages) => Then(StubReply.Of(messages));

    /// <summary>Queues a turn that fails with <paramref name="kind"/>; the facade throws the matching <see cref="ClaudeSessionException"/>.</summary>
    /// <param name="kind">What went wrong.</param>
    /// <param name="message">The failure's message.</param>
    public StubScript Fail(FailureKind kind, string message) => Then(StubReply.Fail(kind, message));

    /// <summary>Queues any reply (e.g. <c>StubReply.Text("slow").WithDelay(...)</c>).</summary>
    /// <param name="reply">The reply.</param>
    public StubScript Then(StubReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        lock (_gate) _replies.Enqueue(reply);
        return this;
    }

    /// <summary>
    /// Computes the reply to each query that finds the queue empty (replaces the echo default). The messages are
    /// completed like <see cref="ReplyWith"/>'s. A responder that throws fails the query with <see cref="FailureKind.SessionCrashed"/>.
    /// </summary>
    /// <param name="responder">From the prompt to the turn's messages.</param>
    public StubScript Respond(Func<string, IEnumerable<ClaudeMessage>> responder)
    {
        ArgumentNullException.ThrowIfNull(responder);
        return Respond(prompt => StubReply.Of(responder(prompt)));
    }

    /// <summary>Computes the reply to each query that finds the queue empty, failures and delays included.</summary>
    /// <param name="responder">From the prompt to the turn.</param>
    public StubScript Respond(Func<string, StubReply> responder)
    {
        ArgumentNullException.ThrowIfNull(responder);
        lock (_gate) _responder = responder;
        return this;
    }

    /// <summary>The prompts of every query the stub received, in arrival order (invalid ones included).</summary>
    public IReadOnlyList<string> ReceivedPrompts
    {
        get { lock (_gate) return _received.Select(q => q.Prompt).ToArray(); }
    }

    /// <summary>Every query the stub received, in arrival order (ids, timeouts, <see cref="Query.StreamMessages"/>, ...).</summary>
    public IReadOnlyList<Query> ReceivedQueries
    {
        get { lock (_gate) return _received.ToArray(); }
    }

    /// <summary>Queued replies not used yet.</summary>
    public int PendingReplies
    {
        get { lock (_gate) return _replies.Count; }
    }

    internal void Record(Query query)
    {
        lock (_gate) _received.Add(query);
    }

    /// <summary>The next queued reply, else the responder's.</summary>
    internal StubReply Next(string prompt)
    {
        Func<string, StubReply> responder;
        lock (_gate)
        {
            if (_replies.TryDequeue(out var queued)) return queued;
            responder = _responder;
        }
        try
        {
            return responder(prompt) ?? throw new InvalidOperationException("The responder returned null.");
        }
        catch (Exception ex)
        {
            return StubReply.Fail(FailureKind.SessionCrashed, "The stub's responder threw: " + ex.Message);
        }
    }
}
