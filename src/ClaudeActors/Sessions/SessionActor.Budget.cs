using Akka.Actor;
using Akka.Event;
using ClaudeActors.Process;

namespace ClaudeActors.Sessions;

/// <summary>Where a session asks before it starts a CLI (the node's <see cref="CliBudgetActor"/>), and how it gives one up.</summary>
/// <param name="Budget">The budget actor.</param>
/// <param name="ReleaseThroughParent">
/// True in cluster mode: an idle session asked to give up its CLI asks its parent (the entity) to passivate it.
/// False locally: the session stops its CLI itself and waits, <see cref="SessionStatus.Passivated"/>, for its next query.
/// </param>
internal sealed record CliBudgetLink(IActorRef Budget, bool ReleaseThroughParent);

// Memory: the node's budget (admission before every CLI start, release when idle), the CLI's measured PSS, and the
// per-CLI ceiling (recycle between turns over the limit; interrupt the turn over the hard ceiling).
internal sealed partial class SessionActor
{
    /// <summary>To the parent (cluster mode): the budget asked this idle session to give up its CLI.</summary>
    internal sealed record CliReleaseRequested;

    /// <summary>To the parent when it hears of turns: the CLI's PSS changed noticeably (the directory shows it).</summary>
    internal sealed record CliMemoryReported(long? Bytes);

    private sealed record CliMemoryRead(int Generation, int Pid, long? Bytes, bool AfterTurn);

    private readonly CliBudgetLink? _budget;
    private long _admissionId;
    private bool _admitted;
    private string? _pendingResume;
    private bool _awaitingAdmission;
    private long? _cliMemory;
    private long? _reportedMemory;
    private bool _recyclePending;
    private bool _sampleAfterTurn;
    private bool _samplingAfterTurn;
    private bool _releasing;

    private long? MemoryLimit => _options.CliMemoryLimit?.Bytes;

    private void ReceiveBudget()
    {
        Receive<CliBudgetActor.Admitted>(a =>
        {
            if (a.Id != _admissionId || !_awaitingAdmission) return;
            _awaitingAdmission = false;
            _admitted = true;
            LaunchCli(_pendingResume);
        });
        Receive<CliBudgetActor.Refused>(r =>
        {
            if (r.Id != _admissionId || !_awaitingAdmission) return;
            _awaitingAdmission = false;
            var failure = new SessionFailure(FailureKind.NodeAtCapacity, $"Session '{_name}' could not start a CLI: the node is at capacity ({r.Reason})");
            Log.Warning("Session {0}: {1}", _name, failure);
            _lastFailure = failure;
            // The session itself is fine: it waits without a CLI, and its next query tries again.
            FailEverything(failure);
            SetStatus(SessionStatus.Passivated, failure);
        });
        Receive<CliBudgetActor.Release>(r =>
        {
            if (r.Id != _admissionId || !_admitted) return;
            if (!IsIdleForRelease)
            {
                _budget?.Budget.Tell(new CliBudgetActor.Activity(Self, _admissionId, Busy: true)); // declined
                return;
            }
            if (_budget!.ReleaseThroughParent)
            {
                Context.Parent.Tell(new CliReleaseRequested());
                return;
            }
            Log.Info("Session {0}: giving up its idle CLI for the node's memory budget; the next query resumes the conversation.", _name);
            _releasing = true;
            SetStatus(SessionStatus.Passivated);
            _cli?.Tell(new ShutdownCli(StopGrace));
        });
        Receive<CliBudgetActor.Sampled>(s =>
        {
            if (s.Id == _admissionId && _admitted) OnCliMemory(s.Bytes, afterTurn: false);
        });
        Receive<CliMemoryRead>(read =>
        {
            if (read.AfterTurn) _samplingAfterTurn = false;
            if (read.Generation == _cliGeneration && read.Pid == _cliPid && read.Bytes is { } bytes)
            {
                if (_admitted) _budget?.Budget.Tell(new CliBudgetActor.Measured(Self, _admissionId, bytes));
                OnCliMemory(bytes, read.AfterTurn);
            }
            if (read.AfterTurn) StartNext();
        });
    }

    private bool IsIdleForRelease => _status == SessionStatus.Ready && _turns.Count == 0 && _turns.Current is null && _turns.Journaling is null;

    /// <summary>Every CLI start goes through the node's budget first (when there is one): it may wait, or be refused.</summary>
    private void StartCli(string? resume)
    {
        GiveUpAdmission();
        if (_budget is null)
        {
            LaunchCli(resume);
            return;
        }
        _pendingResume = resume;
        _awaitingAdmission = true;
        _admissionId++;
        SetStatus(SessionStatus.Initializing);
        _budget.Budget.Tell(new CliBudgetActor.Admit(Self, _admissionId));
    }

    /// <summary>
    /// A CLI that runs already (taken from the warm pool, which gave up its own count of it) joins the budget as this
    /// session's at once: it is there, so it is counted, and the budget makes room around it if it must.
    /// </summary>
    private void AdoptIntoBudget(int processId)
    {
        if (_budget is null) return;
        GiveUpAdmission();
        _admissionId++;
        _admitted = true;
        _budget.Budget.Tell(new CliBudgetActor.AdoptRunning(Self, _admissionId, processId));
    }

    // The id a warm CLI is counted under by the pool (TakeWarmCli): reserved when the session asks.
    private long _warmAdmissionId;

    private long NextAdmissionId()
    {
        if (_budget is null) return 0;
        _warmAdmissionId = ++_admissionId; // reserved: a CLI the session starts itself after all gets the next one
        return _warmAdmissionId;
    }

    /// <summary>The pool counted the warm CLI for this session under the reserved id: it is this session's now.</summary>
    private void TakeWarmAdmission()
    {
        if (_budget is null) return;
        GiveUpAdmission(); // nothing to give up while the pool was asked: no CLI, no admission pending
        _admissionId = _warmAdmissionId;
        _admitted = true;
    }

    /// <summary>A warm CLI that came too late was counted for this session: its room is given back.</summary>
    private void ForgetWarmAdmission()
    {
        if (_budget is null || _warmAdmissionId == 0 || (_admissionId == _warmAdmissionId && _admitted)) return;
        _budget.Budget.Tell(new CliBudgetActor.Gone(Self, _warmAdmissionId));
    }

    /// <summary>The current CLI has gone (or its start was given up): its room in the budget is free.</summary>
    private void GiveUpAdmission()
    {
        _cliMemory = null;
        _recyclePending = false;
        if (_budget is null || (!_admitted && !_awaitingAdmission)) return;
        _admitted = false;
        _awaitingAdmission = false;
        _budget.Budget.Tell(new CliBudgetActor.Gone(Self, _admissionId));
    }

    private void OnCliStarted(CliStarted started)
    {
        _cliPid = started.ProcessId;
        if (_admitted) _budget?.Budget.Tell(new CliBudgetActor.Started(Self, _admissionId, started.ProcessId));
    }

    /// <summary>Tells the budget whether the CLI may be asked to go (idle) or not, as the status changes.</summary>
    private void ReportActivity(SessionStatus status)
    {
        if (!_admitted || _budget is null) return;
        if (status is SessionStatus.Ready or SessionStatus.Busy or SessionStatus.Initializing)
            _budget.Budget.Tell(new CliBudgetActor.Activity(Self, _admissionId, Busy: status != SessionStatus.Ready));
        if (status == SessionStatus.Ready && MemoryLimit is not null) SampleMemory(afterTurn: false);
    }

    /// <summary>A session without a CLI (given up for the budget, or refused) starts one for work that needs it.</summary>
    private bool WakeIfPassivated()
    {
        if (_status != SessionStatus.Passivated) return false;
        if (!_releasing) StartCli(_memory.ResumeId);
        return true;
    }

    /// <summary>The CLI given up for the budget has gone: the session waits without one, unless work came meanwhile.</summary>
    private bool OnReleasedCliGone()
    {
        if (!_releasing) return false;
        _releasing = false;
        GiveUpAdmission();
        if (_turns.Count > 0 || _readyWaiters.Count > 0 || _controls.DeferredCount > 0) StartCli(_memory.ResumeId);
        return true;
    }

    /// <summary>Measures the CLI off the actor's thread; after a turn, with a ceiling set, the next turn waits for it.</summary>
    private void SampleMemory(bool afterTurn)
    {
        if (_cliPid is not { } pid) return;
        if (afterTurn)
        {
            if (_samplingAfterTurn) return;
            _samplingAfterTurn = true;
        }
        var generation = _cliGeneration;
        Task.Run(() => new CliMemoryRead(generation, pid, ProcessMemory.TreePss(pid), afterTurn))
            .PipeTo(Self, failure: _ => new CliMemoryRead(generation, pid, null, afterTurn));
    }

    private void OnCliMemory(long bytes, bool afterTurn)
    {
        _cliMemory = bytes;
        if (_turnReporting != TurnReporting.None && (_reportedMemory is not { } last || Math.Abs(last - bytes) >= 1L << 20))
        {
            _reportedMemory = bytes;
            Context.Parent.Tell(new CliMemoryReported(bytes));
        }
        switch (CliMemoryCeiling.Judge(bytes, MemoryLimit))
        {
            case CliMemoryVerdict.OverHardCeiling when _turns.Current is { Abandoned: false }:
                Log.Warning("Session {0}: its CLI uses {1}, over the hard ceiling {2}; the turn is ended and the CLI replaced.",
                    _name, new ByteSize(bytes), new ByteSize(CliMemoryCeiling.HardCeiling(MemoryLimit!.Value)));
                FailRunning(new SessionFailure(FailureKind.MemoryLimitExceeded,
                    $"The CLI used {new ByteSize(bytes)}, over the hard ceiling of {new ByteSize(CliMemoryCeiling.HardCeiling(MemoryLimit!.Value))} (1.5 x its {_options.CliMemoryLimit} limit); the turn was ended and the session resumes on a new CLI."));
                Recycle(hard: true);
                break;
            case CliMemoryVerdict.OverHardCeiling or CliMemoryVerdict.OverLimit:
                _recyclePending = true;
                if (_status == SessionStatus.Ready && _turns.Current is null && _turns.Journaling is null) Recycle(hard: false);
                break;
        }
    }

    /// <summary>
    /// Gates the next turn: after a turn, with a ceiling, the CLI is measured first; a CLI over its limit is replaced by one
    /// that resumes the conversation before the next turn runs. True when the next turn must wait.
    /// </summary>
    private bool HoldNextTurn()
    {
        if (_sampleAfterTurn)
        {
            _sampleAfterTurn = false;
            SampleMemory(afterTurn: true);
        }
        if (MemoryLimit is not null && _samplingAfterTurn) return true;
        if (!_recyclePending) return false;
        Recycle(hard: false);
        return true;
    }

    /// <summary>Replaces the CLI with one that resumes the conversation: gracefully between turns, at once over the hard ceiling.</summary>
    private void Recycle(bool hard)
    {
        if (_cli is not { } cli || _restartRequested) return;
        _recyclePending = false;
        _memory.RecycleCount++;
        Telemetry.ClaudeActorsTelemetry.Recycled(_name, hard);
        if (!hard) Log.Info("Session {0}: its CLI uses {1}, over its {2} limit; replacing it between turns (the conversation resumes).", _name, new ByteSize(_cliMemory ?? 0), _options.CliMemoryLimit);
        _restartRequested = true;
        SetStatus(SessionStatus.Restarting);
        if (hard) Context.Stop(cli);
        else cli.Tell(new ShutdownCli(StopGrace));
    }

    private SessionInfo WithMemory(SessionInfo info) => info with
    {
        CliMemory = _cliPid is not null && _cliMemory is { } bytes ? new ByteSize(bytes) : null,
        CliMemoryLimit = _options.CliMemoryLimit,
        RecycleCount = _memory.RecycleCount,
    };
}

/// <summary>What a CLI's measured PSS means against its limit.</summary>
internal enum CliMemoryVerdict
{
    Within,
    OverLimit,
    OverHardCeiling,
}

/// <summary>The per-CLI ceiling: over the limit, the CLI is replaced between turns; over 1.5x the limit, a running turn is ended.</summary>
internal static class CliMemoryCeiling
{
    /// <summary>The hard ceiling of a limit: 1.5x.</summary>
    public static long HardCeiling(long limit) => limit + limit / 2;

    public static CliMemoryVerdict Judge(long bytes, long? limit) => limit switch
    {
        null => CliMemoryVerdict.Within,
        { } l when bytes > HardCeiling(l) => CliMemoryVerdict.OverHardCeiling,
        { } l when bytes > l => CliMemoryVerdict.OverLimit,
        _ => CliMemoryVerdict.Within,
    };
}
