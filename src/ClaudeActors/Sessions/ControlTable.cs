using System.Text.Json;
using Akka.Actor;
using ClaudeActors.Protocol;

namespace ClaudeActors.Sessions;

/// <summary>
/// The control requests a session has sent to its CLI and not yet seen answered, by request id; the ones asked for
/// while no CLI was ready, to be sent once one is; and the id of the initialize request in flight. It keeps no
/// clock: the session times each request out by its id, and a late answer then finds nothing here.
/// </summary>
internal sealed class ControlTable
{
    private readonly Dictionary<string, PendingControl> _pending = new();
    private readonly List<DeferredControl> _deferred = new();
    private long _counter;

    /// <summary>The id of the current CLI's initialize request.</summary>
    public string? InitializeId { get; private set; }

    public int PendingCount => _pending.Count;

    public int DeferredCount => _deferred.Count;

    /// <summary>A new CLI is being initialized: the id its initialize request carries.</summary>
    public string BeginInitialize() => InitializeId = NextRequestId();

    public bool IsInitialize(string requestId) => requestId == InitializeId;

    /// <summary>Registers a request about to be written; its answer goes to <paramref name="replyTo"/>.</summary>
    public string Add(IActorRef replyTo, ControlKind kind)
    {
        var id = NextRequestId();
        _pending[id] = new PendingControl(replyTo, kind);
        return id;
    }

    /// <summary>The CLI answered: its requester and what it is told; null when nothing waits for that id (any more).</summary>
    public ControlAnswer? Answered(ControlResponseBody body) => Take(body.RequestId, body.IsSuccess
        ? new ControlResult(body.Response, null)
        : new ControlResult(null, new SessionFailure(FailureKind.ControlRequestFailed, body.Error ?? "The CLI refused the request.")));

    /// <summary>The CLI answered with a line the typed model could not read.</summary>
    public ControlAnswer? Unreadable(string requestId) =>
        Take(requestId, new ControlResult(null, new SessionFailure(FailureKind.ProtocolError, "The CLI's answer could not be read.")));

    /// <summary>The CLI did not answer within <paramref name="timeout"/>; a late answer then finds nothing.</summary>
    public ControlAnswer? TimedOut(string requestId, TimeSpan timeout) => Take(requestId,
        new ControlResult(null, new SessionFailure(FailureKind.Timeout, $"The CLI did not answer the control request within {timeout}.")));

    private ControlAnswer? Take(string requestId, ControlResult result) =>
        _pending.Remove(requestId, out var pending) ? new ControlAnswer(pending, result) : null;

    /// <summary>Every pending request, taken out (the CLI that was to answer them is gone).</summary>
    public List<(string RequestId, PendingControl Pending)> TakeAll()
    {
        var all = _pending.Select(kv => (kv.Key, kv.Value)).ToList();
        _pending.Clear();
        return all;
    }

    /// <summary>Keeps a request until a CLI is ready for it.</summary>
    public void Defer(DeferredControl control) => _deferred.Add(control);

    /// <summary>The deferred requests in the order they were asked.</summary>
    public List<DeferredControl> TakeDeferred()
    {
        var all = _deferred.ToList();
        _deferred.Clear();
        return all;
    }

    /// <summary>The request id in a control response the typed model could not read, if it has a readable one.</summary>
    public static string? RequestIdOf(JsonElement rawResponse) =>
        rawResponse.TryGetProperty("response", out var body) && body.ValueKind == JsonValueKind.Object &&
        body.TryGetProperty("request_id", out var id) && id.ValueKind == JsonValueKind.String
            ? id.GetString()
            : null;

    // Unique per session (counter) and across sessions and restarts (random); short enough for a log line.
    private string NextRequestId() => $"req_{++_counter}_{Guid.NewGuid():N}"[..24];
}

/// <summary>A control request written to the CLI, waiting for its answer.</summary>
internal sealed record PendingControl(IActorRef ReplyTo, ControlKind Kind);

/// <summary>What the requester of a control request is told.</summary>
internal sealed record ControlAnswer(PendingControl Pending, ControlResult Result);

/// <summary>A control request asked for while no CLI was ready.</summary>
internal sealed record DeferredControl(IActorRef ReplyTo, ControlToSend Control);

/// <summary>What kind of request it was, for what a successful answer changes in the session's own state.</summary>
internal abstract record ControlKind
{
    public static readonly ControlKind Plain = new PlainKind();
    public static ControlKind SetModel(string model) => new SetModelKind(model);
    public static ControlKind SetPermissionMode(PermissionMode mode) => new SetPermissionModeKind(mode);

    /// <summary>
    /// Records what the CLI now runs with, so that a restarted CLI starts with it too. Nothing for most requests:
    /// the session keeps no state of theirs.
    /// </summary>
    public virtual void Apply(SessionMemory memory, ControlResponseBody answer)
    {
    }

    public sealed record PlainKind : ControlKind;

    public sealed record SetModelKind(string Model) : ControlKind
    {
        // The CLI answers with the id the alias resolved to; without one, the name asked for is the best known.
        public override void Apply(SessionMemory memory, ControlResponseBody answer)
        {
            memory.Effective = memory.Effective with { Model = Model };
            memory.Model = answer.Response is { ValueKind: JsonValueKind.Object } r && r.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String
                ? m.GetString()
                : Model;
        }
    }

    public sealed record SetPermissionModeKind(PermissionMode Mode) : ControlKind
    {
        public override void Apply(SessionMemory memory, ControlResponseBody answer) =>
            memory.Effective = memory.Effective with { PermissionMode = Mode };
    }
}
