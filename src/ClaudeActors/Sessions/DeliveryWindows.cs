namespace ClaudeActors.Sessions;

/// <summary>
/// Streams each query's messages to its reader within the reader's ack window (<see cref="Query.AckWindow"/>: at most
/// that many <see cref="QueryMessage"/>s unacknowledged), holding the rest; the terminal message goes out only after
/// everything before it. When the largest backlog passes <paramref name="highWater"/> it asks for the CLI's stdout to
/// pause (the pipe then holds the CLI), and to resume once it is back to <paramref name="lowWater"/>.
/// </summary>
/// <param name="highWater">Above this many held messages for one reader, reading pauses.</param>
/// <param name="lowWater">At or below this many, reading resumes.</param>
/// <param name="pause">Told true to pause and false to resume, with the largest backlog.</param>
internal sealed class DeliveryWindows(int highWater, int lowWater, Action<bool, int> pause)
{
    private readonly Dictionary<string, Reader> _open = new();

    /// <summary>True while the CLI's output is paused for a slow reader.</summary>
    public bool Paused { get; private set; }

    /// <summary>True while a stream is open for the query: it streams, or its reader has not taken everything yet.</summary>
    public bool IsOpen(string queryId) => _open.ContainsKey(queryId);

    /// <summary>Opens the stream of a query that starts; <paramref name="send"/> hands one message to its reader.</summary>
    public void Open(string queryId, Action<object> send, int? window) => _open[queryId] = new Reader(send, window);

    /// <summary>Sends the message now if the reader's window allows and nothing is held before it; holds it otherwise.</summary>
    public void Deliver(string queryId, QueryMessage message)
    {
        if (!_open.TryGetValue(queryId, out var stream)) return;
        if (stream.Outbox.Count == 0 && stream.HasCredit)
        {
            stream.Send(message);
            stream.Delivered++;
            return;
        }
        stream.Outbox.Enqueue(message);
        UpdatePause();
    }

    /// <summary>
    /// Ends the query's stream with its terminal message: sent now when nothing is held, else after the held messages.
    /// False when no stream is open for the query (it was cancelled): the caller sends the terminal itself.
    /// </summary>
    public bool Finish(string queryId, object terminal)
    {
        if (!_open.TryGetValue(queryId, out var stream)) return false;
        if (stream.Outbox.Count == 0)
        {
            _open.Remove(queryId);
            stream.Send(terminal);
            return true;
        }
        stream.Outbox.Enqueue(terminal);
        stream.Terminal = true;
        return true;
    }

    /// <summary>The reader took <paramref name="count"/> more messages: what its window now allows goes out.</summary>
    public void Ack(string queryId, int count)
    {
        if (!_open.TryGetValue(queryId, out var stream)) return;
        stream.Acked += Math.Max(0, count);
        while (stream.Outbox.Count > 0)
        {
            var next = stream.Outbox.Peek();
            if (next is QueryMessage && !stream.HasCredit) break;
            stream.Outbox.Dequeue();
            stream.Send(next);
            if (next is QueryMessage) stream.Delivered++;
        }
        if (stream.Outbox.Count == 0 && stream.Terminal) _open.Remove(queryId);
        UpdatePause();
    }

    /// <summary>The reader is gone: whatever it did not take is dropped, so a paused stdout resumes.</summary>
    public void Close(string queryId)
    {
        _open.Remove(queryId);
        UpdatePause();
    }

    private void UpdatePause()
    {
        var largest = _open.Count == 0 ? 0 : _open.Values.Max(d => d.Outbox.Count);
        if (!Paused && largest > highWater)
        {
            Paused = true;
            pause(true, largest);
        }
        else if (Paused && largest <= lowWater)
        {
            Paused = false;
            pause(false, largest);
        }
    }

    private sealed class Reader(Action<object> send, int? window)
    {
        public Action<object> Send { get; } = send;
        public Queue<object> Outbox { get; } = new();
        public long Delivered { get; set; }
        public long Acked { get; set; }
        public bool Terminal { get; set; }
        public bool HasCredit => window is null || Delivered - Acked < window;
    }
}
