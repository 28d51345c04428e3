using System.Text;
using Akka.Actor;
using Akka.Event;
using ClaudeActors.Logging;
using ClaudeActors.Protocol;

namespace ClaudeActors.Process;

/// <summary>
/// Owns one <c>claude</c> child process. stdout is framed into lines and parsed by one read loop
/// (<see cref="StdoutPump"/>) that stops reading while paused (real backpressure); stderr is drained into a
/// bounded tail; stdin is written from the actor's thread (<see cref="StdinWriter"/>). Every parsed line goes to the parent. When the process
/// exits without having been asked to, or cannot start, the actor tells its parent <see cref="CliExited"/> or
/// <see cref="CliStartFailed"/> and stops; whatever happens, PostStop kills the process group and tree.
/// </summary>
internal sealed class CliProcessActor : ReceiveActor, IWithTimers
{
    public const int DefaultMaxLineBytes = 32 * 1024 * 1024;

    private readonly CliLaunchSpec _spec;
    private readonly int _maxLineBytes;
    private ILoggingAdapter _log;
    private readonly StderrTail _stderr;
    private readonly StdinWriter _stdin;
    private readonly CancellationTokenSource _io = new();
    private readonly string[] _secrets;

    private System.Diagnostics.Process? _process;
    private StdoutPump? _stdoutPump;
    private bool _paused;
    private bool _stdoutDone;
    private int? _exitCode;
    private bool _exited;
    private bool _stopping;
    public ITimerScheduler Timers { get; set; } = null!;
    private Task<System.Diagnostics.Process>? _startTask;
    private bool _dead;
    // Who hears the CLI: its parent, until a warm pool hands the running CLI to a session (AdoptCli), which it then
    // watches — Akka cannot re-parent an actor, so the pool stays the parent and the adopter becomes the owner.
    private IActorRef _owner;

    public CliProcessActor(CliLaunchSpec spec, string sessionName, string? sessionId, int maxLineBytes, Task<System.Diagnostics.Process>? prestarted = null)
    {
        _startTask = prestarted;
        _spec = spec;
        _log = Context.GetLogger().ForSession(sessionName, sessionId);
        _maxLineBytes = maxLineBytes;
        _secrets = spec.SecretValues.Concat(Redaction.AmbientSecrets()).Distinct().ToArray();
        var secrets = _secrets;
        _stderr = new StderrTail(text => Redaction.Redact(text, secrets));
        _owner = Context.Parent;
        var self = Self;
        _stdin = new StdinWriter(done => self.Tell(done));
        Starting();
    }

    /// <param name="spec">What to start.</param>
    /// <param name="sessionName">The owning session's name, for the log lines.</param>
    /// <param name="sessionId">The conversation id when known at start, for the log lines.</param>
    /// <param name="maxLineBytes">Longer stdout lines are dropped and reported.</param>
    /// <param name="prestarted">A process already started with <paramref name="spec"/> (<see cref="CliPrestart"/>), to own instead of starting one.</param>
    public static Props Props(CliLaunchSpec spec, string sessionName, string? sessionId, int maxLineBytes = DefaultMaxLineBytes,
        Task<System.Diagnostics.Process>? prestarted = null) =>
        Akka.Actor.Props.Create(() => new CliProcessActor(spec, sessionName, sessionId, maxLineBytes, prestarted));

    protected override void PreStart()
    {
        if (CliPreflight.MissingWorkingDirectory(_spec.WorkingDirectory) is { } missing)
        {
            EndUnasked(new CliStartFailed(missing));
            return;
        }
        var self = Self;
        _startTask ??= ProcessLauncher.StartAsync(_spec);
        _startTask.ContinueWith(task =>
        {
            if (task.IsCompletedSuccessfully)
            {
                // Stopped while the launcher was busy: nobody will own this process, so it dies here.
                if (Volatile.Read(ref _dead)) ProcessLauncher.KillTree(task.Result);
                else self.Tell(new ProcessStartedInternal(task.Result));
            }
            else self.Tell(new ProcessStartFailedInternal(task.Exception?.GetBaseException() ?? new TaskCanceledException()));
        }, TaskContinuationOptions.ExecuteSynchronously);
    }

    private void Starting()
    {
        Receive<ProcessStartedInternal>(started =>
        {
            _process = started.Process;
            Telemetry.ClaudeActorsTelemetry.ProcessStarted();
            StartIo(_process);
            _owner.Tell(new CliStarted(_process.Id));
            _log.Debug("claude CLI started, pid {0}", _process.Id);
            Become(Running);
        });
        Receive<ProcessStartFailedInternal>(failed =>
            EndUnasked(new CliStartFailed($"Could not start the claude CLI at '{_spec.FileName}': {failed.Error.Message}")));
        Receive<SendFrame>(frame => _stdin.Write(frame.Frame, out _)); // queued until the process is there
        Receive<ShutdownCli>(_ =>
        {
            _stopping = true;
            Context.Stop(Self);
        });
        Receive<PauseCliOutput>(pause => _paused = pause.Paused);
    }

    private void Running()
    {
        Receive<SendFrame>(frame =>
        {
            Telemetry.TurnTrace.Mark("cli.frame");
            if (!_stdin.Write(frame.Frame, out var error))
                _log.Warning("Dropped a frame for the claude CLI: its stdin is closed.");
            else Telemetry.TurnTrace.Mark("stdin.flushed");
            if (error is not null) StdinBroke(error);
        });
        Receive<FramedOutput>(output =>
        {
            switch (output.Item)
            {
                case CliOutput message:
                    if (Telemetry.TurnTrace.Enabled) Telemetry.TurnTrace.Mark("cli.line:" + message.Message.Type);
                    _owner.Tell(message);
                    break;
                case CliMalformedLine malformed:
                    _log.Warning("Skipped a stdout line of the claude CLI ({0}, {1} bytes).", malformed.Reason, malformed.Length);
                    _owner.Tell(malformed);
                    break;
            }
        });
        Receive<PauseCliOutput>(pause => SetPaused(pause.Paused));
        Receive<StdoutCompleted>(completed =>
        {
            if (completed.Error is not null) _log.Warning("Reading the claude CLI's stdout failed: {0}", completed.Error.Message);
            _stdoutDone = true;
            // EOF normally means the process is exiting; give it a moment, then stop waiting.
            if (!_exited) Timers.StartSingleTimer("exit-wait", ExitWaitElapsed.Instance, TimeSpan.FromSeconds(5));
            TryFinish();
        });
        Receive<ProcessExitedInternal>(exited =>
        {
            _exited = true;
            _exitCode = exited.ExitCode;
            // A grandchild may hold stdout open after the CLI died: do not wait for EOF forever.
            if (!_stdoutDone) Timers.StartSingleTimer("exit-wait", ExitWaitElapsed.Instance, TimeSpan.FromSeconds(2));
            TryFinish();
        });
        Receive<ExitWaitElapsed>(_ =>
        {
            if (!_exited && _process is not null) ProcessLauncher.KillTree(_process);
            _stdoutDone = true;
            _exited = true;
            TryFinish();
        });
        Receive<StdinWriter.WriteDone>(done =>
        {
            if (_stdin.OnWriteDone(done) is { } error) StdinBroke(error);
        });
        Receive<AdoptCli>(adopt =>
        {
            _owner = adopt.Owner;
            _log = Context.GetLogger().ForSession(adopt.SessionName, adopt.SessionId);
            // The owner's end is the CLI's end, as a parent's would be: PostStop kills the process tree.
            Context.Watch(adopt.Owner);
        });
        Receive<Terminated>(terminated =>
        {
            if (terminated.ActorRef.Equals(_owner)) Context.Stop(Self);
        });
        Receive<ShutdownCli>(shutdown =>
        {
            if (_stopping) return;
            _stopping = true;
            _stdin.Close();
            Timers.StartSingleTimer("shutdown", new ShutdownEscalation(1), shutdown.Grace);
        });
        Receive<ShutdownEscalation>(step =>
        {
            if (_process is null || _exited) return;
            if (step.Step == 1)
            {
                _log.Debug("The claude CLI did not exit after stdin closed; sending SIGTERM.");
                ProcessLauncher.Terminate(_process);
                Timers.StartSingleTimer("shutdown", new ShutdownEscalation(2), TimeSpan.FromSeconds(2));
            }
            else
            {
                _log.Warning("The claude CLI ignored SIGTERM; killing its process tree.");
                ProcessLauncher.KillTree(_process);
            }
        });
    }

    private void TryFinish()
    {
        if (!_exited || !_stdoutDone) return;
        if (_stopping)
        {
            Context.Stop(Self); // asked for: the parent waits for the Terminated, which follows PostStop's kill
            return;
        }
        EndUnasked(new CliExited(_exitCode, Redaction.Redact(_stderr.Snapshot(), _secrets)));
    }

    /// <summary>The parent hears why first, then the actor stops (its Terminated follows the kill in PostStop).</summary>
    private void EndUnasked(CliEnded end)
    {
        _owner.Tell(end);
        Context.Stop(Self);
    }

    private void SetPaused(bool paused)
    {
        _paused = paused;
        if (paused) _stdoutPump?.Pause();
        else _stdoutPump?.Resume();
    }

    private void StartIo(System.Diagnostics.Process process)
    {
        var self = Self;
        var secrets = _secrets;
        var pump = new StdoutPump(process.StandardOutput.BaseStream, _maxLineBytes,
            line => new FramedOutput(ToOutput(line, secrets)), output => self.Tell(output));
        _stdoutPump = pump;
        if (_paused) pump.Pause(); // asked before the process was there
        var io = _io.Token;
        _ = Task.Run(async () => self.Tell(new StdoutCompleted(await pump.RunAsync(io).ConfigureAwait(false))), io);

        var log = _log;
        _ = _stderr.DrainAsync(process.StandardError, line =>
        {
            if (log.IsDebugEnabled) log.Debug("claude stderr: {0}", line);
        }, _io.Token);

        if (_stdin.Attach(process.StandardInput.BaseStream) is { } stdinError) StdinBroke(stdinError);

        process.WaitForExitAsync().ContinueWith(
            _ => self.Tell(new ProcessExitedInternal(SafeExitCode(process))),
            TaskContinuationOptions.ExecuteSynchronously);
    }

    // A line that is not a protocol message is quoted in error reports: secrets are masked before it leaves here.
    private static object ToOutput(FramedLine line, string[] secrets)
    {
        if (line.IsOversized)
            return new CliMalformedLine("line longer than the limit, dropped", line.OversizedLength, "", Oversized: true);
        var parsed = MessageParser.Parse(line.Bytes);
        if (Telemetry.TurnTrace.Enabled) Telemetry.TurnTrace.Mark("parsed:" + parsed.Message?.Type);
        if (parsed.IsSuccess) return new CliOutput(parsed.Message!);
        var preview = Redaction.Redact(Encoding.UTF8.GetString(line.Bytes!, 0, Math.Min(line.Bytes!.Length, 1024)), secrets);
        if (preview.Length > 120) preview = preview[..120];
        return new CliMalformedLine(parsed.Error ?? "unparseable", line.Bytes!.Length, preview);
    }

    // Broken pipe: the CLI is dying; its exit arrives next and is handled there.
    private void StdinBroke(Exception error) =>
        _log.Debug("Writing to the claude CLI's stdin failed: {0}", error.Message);

    private static int? SafeExitCode(System.Diagnostics.Process process)
    {
        try
        {
            return process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    protected override void PostStop()
    {
        Volatile.Write(ref _dead, true);
        if (_process is null && _startTask is { IsCompletedSuccessfully: true } started) ProcessLauncher.KillTree(started.Result);
        _io.Cancel(); // a paused or reading stdout loop ends with it
        if (_process is { } process)
        {
            ProcessLauncher.KillTree(process);
            process.Dispose();
            Telemetry.ClaudeActorsTelemetry.ProcessEnded();
        }
        _io.Dispose();
    }

    private sealed record ProcessStartedInternal(System.Diagnostics.Process Process);
    private sealed record ProcessStartFailedInternal(Exception Error);
    private sealed record ProcessExitedInternal(int? ExitCode);
    private sealed record StdoutCompleted(Exception? Error);
    private sealed record ShutdownEscalation(int Step);
    private sealed record FramedOutput(object Item);

    private sealed class ExitWaitElapsed
    {
        public static readonly ExitWaitElapsed Instance = new();
    }
}
