using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.DistributedData;
using Akka.Event;
using Akka.Persistence;
using ClaudeActors.History;

using ClaudeActors.Logging;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;

namespace ClaudeActors.Cluster;

/// <summary>
/// A named session as a sharded, persistent entity. It wraps the same <see cref="SessionActor"/> as local mode
/// and journals what the session needs to come back anywhere: its options (without secrets), its session id,
/// and the CLI transcript's new lines after each turn. Before the CLI starts with <c>--resume</c> on a node
/// that lacks the transcript, the entity writes it back from the journal. It also keeps the cluster-wide
/// directory (Distributed Data) current and reports activity to the node's live-process budget.
/// </summary>
internal sealed class SessionEntity : ReceivePersistentActor, IWithTimers
{
    private const int SnapshotEvery = 20;

    private readonly string _name;
    private readonly ClaudeSessionsOptions _node;
    private readonly IActorRef _budget;
    private readonly IActorRef? _warmPool;
    private readonly TimeSpan? _idleAfter;
    private readonly SessionLog _logs;
    // The journaled transcript: from recovery until it is written back, and with mirroring for the entity's whole life
    // (its snapshots are taken from it: the CLI's file holds lines it does not mirror, so a prefix of it is not the journal).
    private readonly StringBuilder _recoveredTranscript = new();

    private SessionOptions? _options;
    private string? _sessionId;

    private ILoggingAdapter EntityLog => _logs.For(_sessionId);
    private bool _conversationPersisted;
    private long _transcriptOffset;
    private IActorRef? _child;
    private int _childGeneration;
    private SessionStatus _status = SessionStatus.Stopped;
    private IActorRef? _terminateRequester;
    private bool _passivating;
    private bool _passivationRequested;
    private bool _captureRunning;
    private bool _captureAgain;
    // Turns whose lines the next capture will cover, and the turns the running capture covers.
    private List<(IActorRef Session, string QueryId)> _journalWaiters = [];
    private List<(IActorRef Session, string QueryId)> _capturing = [];
    // Transcript entries the CLI mirrored on stdout, not journaled yet; whether the running turn brought any.
    private readonly TranscriptMirrorBuffer _mirror = new();
    private bool _turnMirrored;
    private bool _childMirrored;
    private bool _mirrorFlushAfterCapture;
    private bool _fallbackLogged;
    private string? _model;
    private int _turns;
    private decimal _cost;
    private ByteSize? _cliMemory;

    public SessionEntity(string name, ClaudeSessionsOptions node, IActorRef budget, TimeSpan? idleAfter, IActorRef? warmPool = null)
    {
        _warmPool = warmPool;
        _name = name;
        _node = node;
        _budget = budget;
        _idleAfter = idleAfter;
        _logs = new SessionLog(Context.GetLogger(), name);

        Recover<SessionCreatedEvent>(e => _options = e.Options);
        Recover<SessionIdRecordedEvent>(e => StartNewTranscript(e.SessionId));
        Recover<TranscriptAppendedEvent>(ApplyTranscript);
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not SessionEntitySnapshot snapshot) return;
            _options = snapshot.Options;
            _sessionId = snapshot.SessionId;
            _conversationPersisted = snapshot.ConversationPersisted;
            _recoveredTranscript.Clear().Append(snapshot.Transcript);
            _transcriptOffset = Encoding.UTF8.GetByteCount(snapshot.Transcript);
        });

        Command<CreateSessionEntity>(Create);
        Command<TerminateSessionEntity>(_ => Terminate());
        // The shard's stop message (idle passivation, hand-off, our own Passivate): stop the session, then the entity.
        Command<PassivateSessionEntity>(_ => BeginPassivation());
        Command<PassivateIfUnused>(_ =>
        {
            if (_child is null && !_passivating) RequestPassivation();
        });
        // A caller's StopSession passivates: the CLI ends, the conversation stays. It goes through the shard so
        // messages that arrive meanwhile are buffered, not lost.
        Command<StopSession>(_ => RequestPassivation());
        // Asked by the node's CLI budget (through the session, which was idle): a session in the middle of a turn (or
        // starting) is not cut off.
        Command<SessionActor.CliReleaseRequested>(_ =>
        {
            if (IsIdle) RequestPassivation();
        });
        Command<SessionActor.CliMemoryReported>(m =>
        {
            if (!Sender.Equals(_child)) return;
            _cliMemory = m.Bytes is { } bytes ? new ByteSize(bytes) : null;
            UpdateDirectory(passivated: false);
        });
        Command<IdleCheck>(_ =>
        {
            if (IsIdle) RequestPassivation();
            else ResetIdleTimer();
        });
        Command<SessionStatusChanged>(OnChildStatus);
        Command<SessionActor.SessionTurnCompleted>(turn =>
        {
            _turns++;
            _cost += turn.CostUsd ?? 0;
            UpdateDirectory(passivated: false);
            _journalWaiters.Add((Sender, turn.QueryId));
            if (_turnMirrored)
            {
                // The entries before the result came in frames: journal them, then the session answers.
                _turnMirrored = false;
                FlushMirror();
                return;
            }
            if (SessionMirror && !_fallbackLogged && _options is { NoSessionPersistence: false })
            {
                _fallbackLogged = true;
                EntityLog.Warning("Session {0}: its CLI sent no transcript_mirror frames for a turn (an older CLI, or a CLAUDE_CONFIG_DIR it does not match?); journaling from its transcript file instead.", _name);
            }
            CaptureTranscript();
        });
        Command<TranscriptMirrorMessage>(OnMirror);
        Command<MirrorFlushDue>(_ => FlushMirror());
        Command<TranscriptRead>(OnTranscriptRead);
        Command<SnapshotPrefixRead>(OnSnapshotPrefixRead);
        Command<Terminated>(OnTerminated);
        Command<SaveSnapshotSuccess>(success => DeleteSnapshots(new SnapshotSelectionCriteria(success.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(failure => EntityLog.Warning("Session {0}: snapshot failed: {1}", _name, failure.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => EntityLog.Warning("Session {0}: deleting its journal failed: {1}", _name, f.Cause.Message));
        Command<IUpdateResponse>(_ => { });
        CommandAny(Forward);
    }

    public override string PersistenceId => "claude-session-" + _name;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// Whether session CLIs start with <c>--session-mirror</c> and the journal is fed from their frames (the default);
    /// <c>CLAUDE_ACTORS_SESSION_MIRROR=0</c> turns it off, leaving the read of the transcript file after each turn
    /// (for comparing the two, e.g. in the cluster benchmark).
    /// </summary>
    internal static bool SessionMirror { get; set; } = Environment.GetEnvironmentVariable("CLAUDE_ACTORS_SESSION_MIRROR") != "0";

    public static Props Props(string name, ClaudeSessionsOptions node, IActorRef budget, TimeSpan? idleAfter, IActorRef? warmPool = null) =>
        Akka.Actor.Props.Create(() => new SessionEntity(name, node, budget, idleAfter, warmPool));

    // The CLI starts with the first message that needs it (Forward), not here: looking at a passivated session
    // (its id, its info) answers from the journal and starts nothing, nor writes its transcript back.
    protected override void OnReplaySuccess()
    {
        if (_options is null) return;
        ResetIdleTimer();
        // Listed as passivated until its CLI starts: the directory is in memory and may not know it (a full restart).
        UpdateDirectory(passivated: true);
    }

    private void ApplyTranscript(TranscriptAppendedEvent e)
    {
        if (e.SessionId != _sessionId || e.Offset == 0)
        {
            _sessionId = e.SessionId;
            _recoveredTranscript.Clear();
        }
        _recoveredTranscript.Append(e.Text);
        _transcriptOffset = e.Offset + Encoding.UTF8.GetByteCount(e.Text);
        _conversationPersisted = true;
    }

    private void Create(CreateSessionEntity create)
    {
        if (_options is not null)
        {
            Sender.Tell(create.ReturnExisting
                ? new SessionEntityCreated(_name, true)
                : new SessionEntityRejected(new SessionFailure(FailureKind.SessionAlreadyExists, $"A session named '{_name}' exists already.")));
            if (_child is null && !_passivationRequested && !_passivating) StartChild();
            return;
        }
        var options = create.Options with { Name = _name };
        var errors = _node.Resolve(options).Validate();
        if (errors.Count > 0)
        {
            Sender.Tell(new SessionEntityRejected(new SessionFailure(FailureKind.InvalidRequest, "Invalid session options: " + string.Join(" ", errors))));
            RequestPassivation();
            return;
        }
        var sender = Sender;
        // Secrets stay out of the journal: the environment comes from the node's defaults when the session starts.
        var stored = options with { Environment = new Dictionary<string, string>() };
        Persist(new SessionCreatedEvent(stored), e =>
        {
            _options = e.Options;
            StartChild(create.Options.Environment);
            sender.Tell(new SessionEntityCreated(_name, false));
        });
    }

    private void StartChild(IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        // Written back only when a CLI will read it: an entity woken just to be looked at touches no disk.
        EnsureTranscriptFile();
        var options = _node.Resolve(_options!);
        if (extraEnvironment is { Count: > 0 })
        {
            var environment = new Dictionary<string, string>(options.Environment);
            foreach (var (key, value) in extraEnvironment) environment[key] = value;
            options = options with { Environment = environment };
        }
        if (_sessionId is not null)
        {
            options = _conversationPersisted && !options.NoSessionPersistence
                ? options with { Resume = _sessionId, Continue = false, ForkSession = false, SessionId = null }
                : options with { SessionId = _sessionId, Resume = null, Continue = false, ForkSession = false };
        }
        _childGeneration++;
        _child = Context.ActorOf(SessionActor.Props(_name, options, options.NoSessionPersistence ? TurnReporting.Report : TurnReporting.ReportAndAwaitJournal,
            _warmPool, new CliBudgetLink(_budget, ReleaseThroughParent: true), SessionMirror), "session-" + _childGeneration);
        Context.Watch(_child);
        _status = SessionStatus.Initializing;
        ResetIdleTimer();
    }

    private void Forward(object message)
    {
        if (_options is null)
        {
            ReplyNotFound(message);
            RequestPassivation();
            return;
        }
        // This incarnation is on its way out (it asked the shard to passivate it, or is stopping): a message that
        // reached it meanwhile goes back through the region, which holds it until the entity has stopped and then
        // delivers it to the next one — instead of waking a CLI that the stop message would end mid-turn.
        if ((_passivationRequested || _passivating) && _terminateRequester is null && message is not QueryAck and not CancelQuery)
        {
            ClusterSharding.Get(Context.System).ShardRegion(ClusterHostingExtensions.RegionName).Tell(new ShardingEnvelope(_name, message), Sender);
            return;
        }
        // Looking at a passivated session does not wake it (no CLI starts): the entity knows its id and model.
        if (_child is null && message is GetSessionInfo or GetSessionId)
        {
            Sender.Tell(message is GetSessionId
                ? new SessionIdReply(_sessionId)
                : SessionInfos.Stopped(_name, _sessionId, _model));
            return;
        }
        if (_child is null && !_passivating && _terminateRequester is null) StartChild();
        if (_child is null)
        {
            ReplyStopped(message);
            return;
        }
        ResetIdleTimer();
        _child.Forward(message);
    }

    // Idle passivation is the entity's own, not the shard's: the shard only sees messages, so it would passivate a
    // session whose turn (or CLI start) outlasts the idle time. Here only a Ready session that saw nothing for the
    // idle time passivates.
    private bool IsIdle => _child is null || _status is SessionStatus.Ready or SessionStatus.Failed or SessionStatus.Stopped or SessionStatus.Passivated;

    private void ResetIdleTimer()
    {
        if (_idleAfter is { } idle) Timers.StartSingleTimer("idle", IdleCheck.Instance, idle);
    }

    private void OnChildStatus(SessionStatusChanged changed)
    {
        if (!Sender.Equals(_child)) return;
        _status = changed.Status;
        _model = changed.Model ?? _model;
        ResetIdleTimer();
        UpdateDirectory(passivated: false);
        if (changed.SessionId is { } id && id != _sessionId)
        {
            Persist(new SessionIdRecordedEvent(id), e =>
            {
                StartNewTranscript(e.SessionId);
                UpdateDirectory(passivated: false);
            });
        }
    }

    // A new id (a fresh start, a fork's first turn, a clear) means a new transcript file, copied from its start.
    private void StartNewTranscript(string sessionId)
    {
        if (sessionId == _sessionId) return;
        _sessionId = sessionId;
        _conversationPersisted = false;
        _transcriptOffset = 0;
        _recoveredTranscript.Clear();
    }

    private void OnMirror(TranscriptMirrorMessage frame)
    {
        if (!Sender.Equals(_child) || _options is null) return;
        // Only the conversation's own transcript is journaled (as the file read did): not a subagent's file, and
        // not a file outside the config dir this entity writes back to.
        if (TranscriptMirrorBuffer.SessionIdOf(frame) is not { } sessionId || frame.Entries.Count == 0 ||
            !string.Equals(Path.GetFullPath(frame.FilePath), TranscriptPath(sessionId), StringComparison.Ordinal)) return;
        if (!_mirror.IsEmpty && _mirror.SessionId != sessionId) FlushMirror();
        _mirror.Add(sessionId, frame);
        // Counted for the next turn end (a cost-state after a result counts for the turn after: harmless).
        _turnMirrored = _childMirrored = true;
        if (_mirror.IsFull) FlushMirror();
        // Entries after a turn's end (cost-state) do not wait for the next turn to be journaled.
        else Timers.StartSingleTimer("mirror-flush", MirrorFlushDue.Instance, MirrorFlushDelay);
    }

    private static readonly TimeSpan MirrorFlushDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Journals the mirrored entries as one event, then tells the turns that ended meanwhile (their answers go out).
    /// Waits for a running file read (the fallback), which covers what was buffered if it read past it.
    /// </summary>
    private void FlushMirror()
    {
        Timers.Cancel("mirror-flush");
        if (_captureRunning)
        {
            _mirrorFlushAfterCapture = true;
            return;
        }
        var waiters = _journalWaiters;
        _journalWaiters = [];
        if (_mirror.IsEmpty)
        {
            // Journaled already (the buffer was full mid-turn): answered after whatever is still being persisted.
            if (waiters.Count > 0) DeferAsync(waiters, Acknowledge);
            return;
        }
        var (sessionId, text) = _mirror.Take();
        var offset = sessionId == _sessionId ? _transcriptOffset : 0;
        Persist(new TranscriptAppendedEvent(sessionId, offset, text), e =>
        {
            if (e.SessionId != _sessionId) StartNewTranscript(e.SessionId);
            Journaled(e);
            Acknowledge(waiters);
            if (LastSequenceNr % SnapshotEvery == 0) SaveJournaledSnapshot();
        });
    }

    private void Journaled(TranscriptAppendedEvent e)
    {
        _transcriptOffset = e.Offset + Encoding.UTF8.GetByteCount(e.Text);
        _conversationPersisted = true;
        if (!SessionMirror) return;
        if (e.Offset == 0) _recoveredTranscript.Clear();
        _recoveredTranscript.Append(e.Text);
    }

    // From the journaled text in memory: no file read.
    private void SaveJournaledSnapshot() =>
        SaveSnapshot(new SessionEntitySnapshot(_options!, _sessionId, _conversationPersisted, _recoveredTranscript.ToString()));

    private static void Acknowledge(List<(IActorRef Session, string QueryId)> turns)
    {
        foreach (var (session, queryId) in turns) session.Tell(new SessionActor.TurnJournaled(queryId));
    }

    /// <summary>
    /// The fallback when a turn brought no mirror frames. Copies the transcript's new whole lines into the journal, then tells the turns they cover (the session answers
    /// its caller then). One capture at a time; turns that end meanwhile are covered by the next one.
    /// </summary>
    private void CaptureTranscript()
    {
        if (_captureRunning)
        {
            _captureAgain = true;
            return;
        }
        var path = _sessionId is null || _options is null || _options.NoSessionPersistence ? null : TranscriptPath(_sessionId);
        (_capturing, _journalWaiters) = (_journalWaiters, _capturing);
        if (path is null)
        {
            AcknowledgeCaptured();
            return;
        }
        _captureRunning = true;
        var sessionId = _sessionId!;
        var offset = _transcriptOffset;
        Task.Run(async () =>
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length < offset) offset = 0; // rewritten: copy it whole
            stream.Seek(offset, SeekOrigin.Begin);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var text = await reader.ReadToEndAsync().ConfigureAwait(false);
            // Only whole lines: a line the CLI is still writing is taken next time.
            var end = text.LastIndexOf('\n');
            return new TranscriptRead(sessionId, offset, end < 0 ? "" : text[..(end + 1)]);
        }).PipeTo(Self, failure: ex => new TranscriptRead(sessionId, offset, "", ex));
    }

    private void OnTranscriptRead(TranscriptRead read)
    {
        if (read.Error is not null)
        {
            // The turns are answered anyway: the caller is not held hostage to a file it cannot change.
            EntityLog.Warning("Session {0}: could not read its transcript: {1}", _name, read.Error.Message);
            EndCapture();
            return;
        }
        if (read.Text.Length == 0 || read.SessionId != _sessionId)
        {
            EndCapture();
            return;
        }
        Persist(new TranscriptAppendedEvent(read.SessionId, read.Offset, read.Text), e =>
        {
            // The file has every entry the CLI mirrored before it was read: those buffered are in this event.
            if (_mirror.SessionId == e.SessionId) _mirror.Clear();
            Journaled(e);
            AcknowledgeCaptured();
            if (LastSequenceNr % SnapshotEvery == 0 && SessionMirror) SaveJournaledSnapshot();
            if (LastSequenceNr % SnapshotEvery == 0 && !SessionMirror && TranscriptPath(e.SessionId) is { } path) ReadSnapshotPrefix(path, e.SessionId);
            else EndCapture();
        });
    }

    private void AcknowledgeCaptured()
    {
        Acknowledge(_capturing);
        _capturing.Clear();
    }

    private void EndCapture()
    {
        AcknowledgeCaptured();
        _captureRunning = false;
        if (_captureAgain)
        {
            _captureAgain = false;
            CaptureTranscript();
        }
        if (_mirrorFlushAfterCapture && !_captureRunning)
        {
            _mirrorFlushAfterCapture = false;
            FlushMirror();
        }
        if (_passivating && _child is null && !_captureRunning) Context.Stop(Self);
    }

    // The snapshot holds the transcript up to the journaled offset; it is read off the actor thread, and no capture
    // runs meanwhile, so the offset still matches the journal when it is saved.
    private void ReadSnapshotPrefix(string path, string sessionId)
    {
        var length = _transcriptOffset;
        Task.Run(() => new SnapshotPrefixRead(sessionId, length, ReadPrefix(path, length)))
            .PipeTo(Self, failure: ex => new SnapshotPrefixRead(sessionId, length, "", ex));
    }

    private void OnSnapshotPrefixRead(SnapshotPrefixRead read)
    {
        if (read.Error is not null) EntityLog.Warning("Session {0}: could not read its transcript for a snapshot: {1}", _name, read.Error.Message);
        else if (read.SessionId == _sessionId && read.Length == _transcriptOffset)
            SaveSnapshot(new SessionEntitySnapshot(_options!, _sessionId, _conversationPersisted, read.Text));
        EndCapture();
    }

    private static string ReadPrefix(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        // Shorter than what was journaled: rewritten since; a snapshot of it would not match the journal.
        if (stream.Length < length) throw new IOException("The transcript is shorter than its journaled part.");
        var buffer = new byte[length];
        stream.ReadExactly(buffer);
        return Encoding.UTF8.GetString(buffer);
    }

    /// <summary>On a node that lacks the transcript (or has less of it than the journal), writes it back before --resume.</summary>
    private void EnsureTranscriptFile()
    {
        if (_sessionId is null || !_conversationPersisted || _recoveredTranscript.Length == 0) return;
        var path = TranscriptPath(_sessionId);
        if (path is null) return;
        var expected = Encoding.UTF8.GetByteCount(_recoveredTranscript.ToString());
        // With mirroring the journal is the transcript: always written back (a longer file may still lack turns).
        if (!SessionMirror && File.Exists(path) && new FileInfo(path).Length >= expected)
        {
            _recoveredTranscript.Clear();
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, _recoveredTranscript.ToString(), new UTF8Encoding(false));
        EntityLog.Info("Session {0}: restored its transcript ({1} bytes) from the journal before resuming.", _name, expected);
        if (!SessionMirror) _recoveredTranscript.Clear();
    }

    private string? TranscriptPath(string sessionId)
    {
        if (_options is null || !SessionIds.IsValid(sessionId)) return null;
        var resolved = _node.Resolve(_options);
        var config = ConversationHistory.ConfigDirectory(resolved.Environment);
        var cwd = Path.GetFullPath(resolved.WorkingDirectory ?? Directory.GetCurrentDirectory());
        return Path.Combine(ConversationHistory.ProjectsDirectory(config), ConversationHistory.EncodeProjectPath(cwd), sessionId + ".jsonl");
    }

    private void Terminate()
    {
        if (_options is null)
        {
            Sender.Tell(new SessionEntityRejected(new SessionFailure(FailureKind.SessionNotFound, $"No session is named '{_name}'.")));
            RequestPassivation();
            return;
        }
        _terminateRequester = Sender;
        if (_child is not null) _child.Tell(StopSession.Instance);
        else FinishTermination();
    }

    private void FinishTermination()
    {
        DeleteMessages(long.MaxValue);
        DeleteSnapshots(SnapshotSelectionCriteria.Latest);
        // Its own config dir and working directory go with it (passivation and hand-off keep them: the files are not in the journal).
        _node.Isolation?.Layout.Remove(_name);
        _options = null;
        _sessionId = null;
        RemoveFromDirectory();
        _terminateRequester?.Tell(new SessionEntityTerminated(_name));
        _terminateRequester = null;
        RequestPassivation();
    }

    private void RequestPassivation()
    {
        _passivationRequested = true;
        Context.Parent.Tell(new Passivate(PassivateSessionEntity.Instance));
    }

    private void BeginPassivation()
    {
        if (_passivating) return;
        _passivating = true;
        Telemetry.ClaudeActorsTelemetry.Passivated();
        if (_child is null)
        {
            Context.Stop(Self);
            return;
        }
        _child.Tell(StopSession.Instance);
    }

    private void OnTerminated(Terminated terminated)
    {
        if (!terminated.ActorRef.Equals(_child)) return;
        _child = null;
        _cliMemory = null;
        if (_terminateRequester is not null)
        {
            FinishTermination();
            return;
        }
        _status = SessionStatus.Stopped;
        UpdateDirectory(passivated: true);
        // The last lines (an abandoned turn's, say) reach the journal before the entity goes: from the frames the
        // CLI mirrored, or from its file when it mirrored none.
        if (_childMirrored)
        {
            _childMirrored = false;
            FlushMirror();
            if (_passivating) DeferAsync(0, _ => { if (!_captureRunning) Context.Stop(Self); });
            return;
        }
        CaptureTranscript();
        if (_passivating && !_captureRunning) Context.Stop(Self);
        // Otherwise the session failed (its restart bound was reached); the next message starts it again.
    }

    private void UpdateDirectory(bool passivated) =>
        SessionDirectory.Update(Context.System, new SessionDirectoryEntry(_name, Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString(),
            _status, _sessionId, passivated, DateTimeOffset.UtcNow, _model, _turns, _cost) { CliMemory = passivated ? null : _cliMemory });

    private void RemoveFromDirectory() => SessionDirectory.Remove(Context.System, _name);

    private void ReplyNotFound(object message)
    {
        var failure = new SessionFailure(FailureKind.SessionNotFound, $"No session is named '{_name}'.");
        ReplyFailure(message, failure);
    }

    private void ReplyStopped(object message) =>
        ReplyFailure(message, new SessionFailure(FailureKind.SessionStopped, $"Session '{_name}' is stopping."));

    private void ReplyFailure(object message, SessionFailure failure)
    {
        object? reply = message switch
        {
            Query q => new QueryFailed(q.QueryId, failure),
            AwaitReady => new SessionStartFailed(failure),
            GetSessionId => new SessionIdReply(null) { Failure = failure },
            GetConversation => new ConversationResult(null, failure),
            GetSessionInfo => SessionInfos.Stopped(_name, failure: failure),
            QueryAck => null,
            _ => new ControlResult(null, failure),
        };
        if (reply is null) return;
        var target = message is Query { ReplyTo: { } replyTo } ? replyTo : Sender;
        target.Tell(reply);
    }

    private sealed class MirrorFlushDue
    {
        public static readonly MirrorFlushDue Instance = new();
    }

    private sealed class IdleCheck
    {
        public static readonly IdleCheck Instance = new();
    }

    private sealed record TranscriptRead(string SessionId, long Offset, string Text, Exception? Error = null);

    private sealed record SnapshotPrefixRead(string SessionId, long Length, string Text, Exception? Error = null);
}
