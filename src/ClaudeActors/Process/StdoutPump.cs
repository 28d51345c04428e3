namespace ClaudeActors.Process;

/// <summary>
/// Reads the CLI's stdout in one async loop: frames lines, turns each into what the CLI actor handles and hands it
/// over in order, then reports the end of the stream. While paused it reads nothing more, so the pipe fills and the
/// CLI itself waits: real backpressure. The loop replaces a stream graph whose extra hop per chunk and acknowledgement
/// per line cost a turn a few tenths of a millisecond (traced by the benchmark's <c>trace</c> group) and bought no
/// ordering or backpressure this loop lacks.
/// </summary>
internal sealed class StdoutPump
{
    // 16 KB: a pipe read returns what is there (a 64 KB pipe at most); a bigger buffer would only cost each live session.
    private const int ReadBufferBytes = 16 * 1024;

    private readonly Stream _stdout;
    private readonly LineFramer _framer;
    private readonly Func<FramedLine, object> _toOutput;
    private readonly Action<object> _deliver;
    private TaskCompletionSource? _resumed; // set while paused; the loop waits on it

    /// <param name="stdout">The CLI's stdout.</param>
    /// <param name="maxLineBytes">Longer lines are dropped while they arrive and reported.</param>
    /// <param name="toOutput">Turns a framed line into the message for the actor (parsing happens here, off the actor).</param>
    /// <param name="deliver">Hands a message to the actor (a Tell): called from the loop, one at a time, in order.</param>
    public StdoutPump(Stream stdout, int maxLineBytes, Func<FramedLine, object> toOutput, Action<object> deliver)
    {
        _stdout = stdout;
        _framer = new LineFramer(maxLineBytes);
        _toOutput = toOutput;
        _deliver = deliver;
    }

    /// <summary>Stops handing over lines (and reading) until <see cref="Resume"/>. Safe from any thread.</summary>
    public void Pause() =>
        Interlocked.CompareExchange(ref _resumed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    /// <summary>Lets a paused loop go on. Safe from any thread.</summary>
    public void Resume() => Interlocked.Exchange(ref _resumed, null)?.TrySetResult();

    /// <summary>Reads to the end of the stream (or until cancelled); returns the read error, if one ended it.</summary>
    public async Task<Exception?> RunAsync(CancellationToken cancellation)
    {
        var buffer = new byte[ReadBufferBytes];
        var lines = new List<FramedLine>();
        try
        {
            while (true)
            {
                var read = await _stdout.ReadAsync(buffer.AsMemory(), cancellation).ConfigureAwait(false);
                Telemetry.TurnTrace.Mark("stdout.read");
                if (read == 0) break;
                _framer.Append(buffer.AsSpan(0, read), lines);
                await HandOverAsync(lines, cancellation).ConfigureAwait(false);
            }
            _framer.Complete(lines);
            await HandOverAsync(lines, cancellation).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            return ex; // a broken pipe, a disposed stream: the actor logs it and waits for the exit
        }
    }

    private async ValueTask HandOverAsync(List<FramedLine> lines, CancellationToken cancellation)
    {
        foreach (var line in lines)
        {
            if (Volatile.Read(ref _resumed) is { } paused) await paused.Task.WaitAsync(cancellation).ConfigureAwait(false);
            _deliver(_toOutput(line));
        }
        lines.Clear();
    }
}
