namespace ClaudeActors.Process;

/// <summary>
/// Writes frames to the CLI's stdin from the CLI actor's own thread, in order. A pipe write that fits completes at
/// once (the usual case: a frame is far smaller than the 64 KB pipe), so a query reaches the CLI without a hand-off
/// to another thread; a write that has to wait finishes in the background and comes back to the actor as
/// <see cref="WriteDone"/>, and frames sent meanwhile queue behind it. Used by one actor only: not thread-safe.
/// </summary>
internal sealed class StdinWriter(Action<StdinWriter.WriteDone> onBackgroundWriteDone)
{
    private readonly Queue<byte[]> _queued = new();
    private Stream? _stdin;
    private bool _writing;
    private bool _closing;
    private bool _broken;

    /// <summary>A write that could not finish at once has finished (or failed: then <see cref="Error"/>).</summary>
    public sealed record WriteDone(Exception? Error) : Akka.Event.IDeadLetterSuppression; // may come after the actor stopped

    /// <summary>The process is there: frames queued before it are written now.</summary>
    public Exception? Attach(Stream stdin)
    {
        _stdin = stdin;
        return Pump();
    }

    /// <summary>Writes the frame (or queues it behind one being written). False when stdin is closed or closing.</summary>
    public bool Write(byte[] frame, out Exception? error)
    {
        error = null;
        if (_broken || _closing) return false;
        _queued.Enqueue(frame);
        error = Pump();
        return true;
    }

    /// <summary>A background write ended: goes on with the queue, or reports the broken pipe.</summary>
    public Exception? OnWriteDone(WriteDone done)
    {
        _writing = false;
        if (done.Error is not null) return Break(done.Error);
        return Pump();
    }

    /// <summary>Closes stdin once what was queued is written (the CLI's cue to finish and exit).</summary>
    public void Close()
    {
        _closing = true;
        Pump();
    }

    private Exception? Pump()
    {
        if (_stdin is null || _writing || _broken) return null;
        while (_queued.TryDequeue(out var frame))
        {
            ValueTask write;
            try
            {
                write = _stdin.WriteAsync(frame);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                return Break(ex);
            }
            if (write.IsCompletedSuccessfully) continue;
            if (write.IsCompleted)
            {
                try
                {
                    write.GetAwaiter().GetResult();
                }
                catch (Exception ex)
                {
                    return Break(ex); // failed at once
                }
                continue;
            }
            _writing = true;
            var callback = onBackgroundWriteDone;
            write.AsTask().ContinueWith(t => callback(new WriteDone(t.Exception?.GetBaseException())), TaskContinuationOptions.ExecuteSynchronously);
            return null;
        }
        if (_closing) CloseNow();
        return null;
    }

    private Exception Break(Exception error)
    {
        _broken = true;
        _queued.Clear();
        CloseNow();
        return error;
    }

    private void CloseNow()
    {
        var stdin = _stdin;
        _stdin = null;
        if (stdin is null) return;
        try
        {
            stdin.Close();
        }
        catch (IOException)
        {
            // Already broken.
        }
    }
}
