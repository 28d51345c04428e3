using System.Text.Json.Nodes;

namespace ClaudeActors.Callbacks;

/// <summary>
/// The CLI's requests whose handlers are still running, by request id: each with the token that cancels its handler
/// (the CLI withdrew the request, or the session stops) and the generation of the CLI that asked, so an answer that
/// comes after that CLI was replaced is not written to its successor.
/// </summary>
internal sealed class PendingCallbacks
{
    private readonly Dictionary<string, Entry> _pending = new();

    public int Count => _pending.Count;

    /// <summary>Registers a request whose handler starts now; the token is cancelled if it is withdrawn.</summary>
    public CancellationToken Add(string requestId, Func<object?, Exception?, JsonNode> toResponse, int generation)
    {
        var cancellation = new CancellationTokenSource();
        _pending[requestId] = new Entry(cancellation, toResponse, generation);
        return cancellation.Token;
    }

    /// <summary>The handler answered (or failed): its request, or null when it was withdrawn meanwhile.</summary>
    public Answer? Complete(string requestId)
    {
        if (!_pending.Remove(requestId, out var entry)) return null;
        entry.Cancellation.Dispose();
        return new Answer(entry.ToResponse, entry.Generation);
    }

    /// <summary>The CLI no longer wants the answer: the handler is cancelled. False when it had answered already.</summary>
    public bool Withdraw(string requestId)
    {
        if (!_pending.Remove(requestId, out var entry)) return false;
        entry.Cancellation.Cancel();
        entry.Cancellation.Dispose();
        return true;
    }

    /// <summary>Cancels every running handler (the session stops).</summary>
    public void CancelAll()
    {
        foreach (var entry in _pending.Values)
        {
            entry.Cancellation.Cancel();
            entry.Cancellation.Dispose();
        }
        _pending.Clear();
    }

    /// <summary>How to write a finished handler's answer, and for which CLI.</summary>
    internal sealed record Answer(Func<object?, Exception?, JsonNode> ToResponse, int Generation);

    private sealed record Entry(CancellationTokenSource Cancellation, Func<object?, Exception?, JsonNode> ToResponse, int Generation);
}
