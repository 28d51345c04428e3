using Akka.Actor;
using Akka.Event;

namespace ClaudeActors.Process;

/// <summary>
/// The node's CLI budget (<see cref="CliBudget{TKey}"/> in an actor): an owner asks before it starts a CLI
/// (<see cref="Admit"/>) and hears <see cref="Admitted"/> or, when the node stays full past the wait, <see cref="Refused"/>;
/// it reports the process id (<see cref="Started"/>), whether the CLI is busy or idle (<see cref="Activity"/>) and its
/// end (<see cref="Gone"/>). The actor samples every live CLI's PSS (its whole process tree) every few seconds, off its
/// own thread, tells each owner its figure (<see cref="Sampled"/>), and asks the least recently used idle owner to give
/// its CLI up (<see cref="Release"/>) when a start needs the room. Owners are any actor with any id: a session (one CLI
/// at a time, a new id per start), or a pool that counts each of its CLIs under its own id.
/// </summary>
internal sealed class CliBudgetActor : ReceiveActor, IWithTimers
{
    /// <summary>The owner <paramref name="Owner"/> wants to start a CLI, known to the budget as <paramref name="Id"/> until it is <see cref="Gone"/>.</summary>
    public sealed record Admit(IActorRef Owner, long Id);

    /// <summary>To the owner: start it.</summary>
    public sealed record Admitted(long Id);

    /// <summary>To the owner: the node had no room for it within the wait; nothing may start.</summary>
    public sealed record Refused(long Id, string Reason);

    /// <summary>The admitted CLI runs as process <paramref name="ProcessId"/>.</summary>
    public sealed record Started(IActorRef Owner, long Id, int ProcessId);

    /// <summary>A CLI that runs already joins the budget under this owner and id at once (a warm CLI a session took).</summary>
    public sealed record AdoptRunning(IActorRef Owner, long Id, int ProcessId);

    /// <summary>The CLI is busy (a turn, a start) or idle (nothing to do: it may be asked to go).</summary>
    public sealed record Activity(IActorRef Owner, long Id, bool Busy);

    /// <summary>The CLI has ended, or the owner gave the start up (a waiting start is withdrawn).</summary>
    public sealed record Gone(IActorRef Owner, long Id);

    /// <summary>The owner measured its CLI itself (after a turn).</summary>
    public sealed record Measured(IActorRef Owner, long Id, long Bytes);

    /// <summary>To the owner: please end this idle CLI (it may decline with an <see cref="Activity"/> saying busy).</summary>
    public sealed record Release(long Id);

    /// <summary>To the owner: its CLI's PSS as sampled now.</summary>
    public sealed record Sampled(long Id, long Bytes);

    /// <summary>New limits (the local supervisor's, from <c>WithClaudeSessions</c>).</summary>
    public sealed record Configure(CliBudgetSettings Settings, TimeSpan? SampleInterval = null);

    /// <summary>Replies <see cref="Status"/>.</summary>
    public sealed record GetStatus
    {
        public static readonly GetStatus Instance = new();
    }

    /// <summary>The budget now: for health, metrics and tests.</summary>
    public sealed record Status(long? Budget, long Used, int Live, int Waiting, int MaxLive, long Estimate);

    private sealed record Key(IActorRef Owner, long Id);

    private sealed record SampleTick
    {
        public static readonly SampleTick Instance = new();
    }

    private sealed record ExpireTick
    {
        public static readonly ExpireTick Instance = new();
    }

    private sealed record SamplesRead(IReadOnlyList<(Key Key, int Pid, long? Bytes)> Samples);

    /// <summary>How often every live CLI is measured.</summary>
    internal static readonly TimeSpan DefaultSampleInterval = TimeSpan.FromSeconds(2);

    private readonly CliBudget<Key> _budget;
    private readonly Dictionary<Key, int> _pids = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private TimeSpan _sampleInterval;
    private readonly IDisposable _gauges;
    private bool _sampling;
    // Read by the metric gauges from other threads: replaced whole, never changed in place.
    private volatile Status _figures;

    public CliBudgetActor(CliBudgetSettings settings, TimeSpan? sampleInterval)
    {
        _budget = new CliBudget<Key>(settings);
        _figures = Snapshot();
        _sampleInterval = sampleInterval ?? DefaultSampleInterval;
        _gauges = Telemetry.ClaudeActorsTelemetry.TrackBudget(() => _figures is var f ? new Telemetry.ClaudeActorsTelemetry.BudgetFigures(f.Budget, f.Used, f.Waiting) : default);
        Receive<Admit>(a => Apply(_budget.Request(new Key(a.Owner, a.Id), DateTimeOffset.UtcNow)));
        Receive<Started>(s =>
        {
            var key = new Key(s.Owner, s.Id);
            if (!_budget.IsLive(key)) return;
            _pids[key] = s.ProcessId;
            Context.Watch(s.Owner);
        });
        Receive<AdoptRunning>(a =>
        {
            var key = new Key(a.Owner, a.Id);
            var decisions = _budget.Adopt(key);
            if (a.ProcessId > 0) _pids[key] = a.ProcessId; // else it follows with Started
            Context.Watch(a.Owner);
            Apply(decisions);
        });
        Receive<Activity>(a => Apply(_budget.Activity(new Key(a.Owner, a.Id), a.Busy)));
        Receive<Gone>(g => Forget(new Key(g.Owner, g.Id)));
        Receive<Measured>(m => Apply(_budget.Measured(new Key(m.Owner, m.Id), m.Bytes)));
        Receive<Terminated>(t =>
        {
            foreach (var key in _budget.LiveKeys.Where(k => k.Owner.Equals(t.ActorRef)).ToList()) Forget(key);
        });
        Receive<Configure>(c =>
        {
            _budget.Settings = c.Settings;
            if (c.SampleInterval is { } interval && interval > TimeSpan.Zero)
            {
                _sampleInterval = interval;
                Timers.StartPeriodicTimer("sample", SampleTick.Instance, interval);
            }
            Apply(_budget.Expire(DateTimeOffset.UtcNow));
        });
        Receive<GetStatus>(_ => Sender.Tell(Snapshot()));
        Receive<ExpireTick>(_ => Apply(_budget.Expire(DateTimeOffset.UtcNow)));
        Receive<SampleTick>(_ => SampleAll());
        Receive<SamplesRead>(OnSamples);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CliBudgetSettings settings, TimeSpan? sampleInterval = null) =>
        Akka.Actor.Props.Create(() => new CliBudgetActor(settings, sampleInterval));

    protected override void PreStart() => Timers.StartPeriodicTimer("sample", SampleTick.Instance, _sampleInterval);

    protected override void PostStop() => _gauges.Dispose();

    private Status Snapshot() => new(_budget.Settings.MemoryBudget, _budget.Used, _budget.LiveCount, _budget.WaitingCount, _budget.Settings.MaxLive, _budget.Estimate);

    private void Forget(Key key)
    {
        _pids.Remove(key);
        Apply(_budget.Gone(key));
    }

    private void Apply(CliBudgetDecisions<Key> decisions)
    {
        foreach (var key in decisions.Admit) key.Owner.Tell(new Admitted(key.Id));
        foreach (var (key, reason) in decisions.Refuse)
        {
            _log.Warning("A CLI start was refused: {0}", reason);
            key.Owner.Tell(new Refused(key.Id, reason));
        }
        foreach (var key in decisions.Release)
        {
            _log.Info("CLI budget: asking the least recently used idle session {0} to give up its CLI ({1}).", key.Owner.Path.Name, _budget.Describe());
            key.Owner.Tell(new Release(key.Id));
        }
        if (_budget.NextDeadline is { } deadline)
            Timers.StartSingleTimer("expire", ExpireTick.Instance, (deadline - DateTimeOffset.UtcNow) + TimeSpan.FromMilliseconds(1) is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1));
        else Timers.Cancel("expire");
        _figures = Snapshot();
    }

    // One pass at a time, read in a task: a slow /proc never holds the actor.
    private void SampleAll()
    {
        if (_sampling || _pids.Count == 0) return;
        _sampling = true;
        var targets = _pids.Select(kv => (kv.Key, kv.Value)).ToList();
        Task.Run(() => new SamplesRead(targets.Select(t => (t.Key, t.Value, ProcessMemory.TreePss(t.Value))).ToList()))
            .PipeTo(Self, failure: _ => new SamplesRead([]));
    }

    private void OnSamples(SamplesRead read)
    {
        _sampling = false;
        var decisions = new CliBudgetDecisions<Key>();
        foreach (var (key, pid, bytes) in read.Samples)
        {
            if (bytes is not { } value || !_pids.TryGetValue(key, out var current) || current != pid) continue;
            var step = _budget.Measured(key, value);
            decisions.Admit.AddRange(step.Admit);
            decisions.Refuse.AddRange(step.Refuse);
            decisions.Release.AddRange(step.Release);
            key.Owner.Tell(new Sampled(key.Id, value));
        }
        Apply(decisions);
    }
}
