using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using ClaudeActors.Protocol;

namespace ClaudeActors.Process;

/// <summary>
/// Keeps CLIs started and initialized ahead, so a new session is Ready without a spawn. One per supervisor (local mode)
/// or node (cluster mode), for any number of launch profiles. Each warm CLI is a <see cref="CliProcessActor"/> child
/// started with its own fresh <c>--session-id</c>; the pool performs its initialize handshake (the plain one: a profile
/// with callbacks never pools, <see cref="WarmPoolEligibility"/>) and keeps it idle. A session of the same
/// <see cref="LaunchProfileKey"/> takes one (<see cref="TakeWarmCli"/>): the CLI actor is told its new owner
/// (<see cref="AdoptCli"/>), which hears its lines from then on and which it dies with; the pool, still its parent, only
/// forgets it and starts a replacement. Idle CLIs that die are replaced, with a backoff when starts keep failing; what
/// they said on stderr is logged. Every CLI of the pool, idle or adopted, is a child: none outlives the pool.
/// </summary>
internal sealed class WarmPool : ReceiveActor, IWithTimers
{
    /// <summary>The name of the pool's actor under its parent.</summary>
    public const string ActorName = "warm-pool";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<Profile> _profiles = new();
    private readonly Dictionary<IActorRef, Slot> _slots = new();
    private readonly Func<Task<int>>? _liveCliCount;
    private readonly IActorRef? _budget;
    private readonly LaunchOverrides? _launch;
    private readonly int _cap;
    private int? _limit;
    private bool _refillQueued;
    private bool _probing;
    private long _spawned, _taken, _misses, _replaced, _failed;
    private int _nextId;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="profiles">The launch profiles to keep warm.</param>
    /// <param name="liveCliCount">The node's live session CLIs (not the pool's), asked before each refill; null: no count cap.</param>
    /// <param name="cap">The node's count cap on live CLIs, the pool's included.</param>
    /// <param name="budget">The node's <see cref="CliBudgetActor"/>, where a taken CLI is counted for its session; or null.</param>
    /// <param name="sessionMirror">Start the CLIs with <c>--session-mirror</c>, as a cluster node's sessions are.</param>
    public WarmPool(IReadOnlyList<WarmPoolProfile> profiles, Func<Task<int>>? liveCliCount, int cap, IActorRef? budget = null, bool sessionMirror = false)
    {
        _liveCliCount = liveCliCount;
        _budget = budget;
        _launch = sessionMirror ? new LaunchOverrides(SessionMirror: true) : null;
        _cap = cap;
        foreach (var profile in profiles.Where(p => p.Size > 0))
        {
            if (WarmPoolEligibility.Refusal(profile.Options) is { } refusal)
            {
                _log.Warning("A warm pool profile is ignored: {0}.", refusal);
                continue;
            }
            if (CliPreflight.Check(profile.Options, out var cliPath) is { } failure)
            {
                _log.Warning("A warm pool profile is ignored: {0}", failure.Message);
                continue;
            }
            var key = LaunchProfileKey.Of(profile.Options, cliPath!);
            if (_profiles.FirstOrDefault(p => p.Key.Equals(key)) is { } same) same.Size = Math.Max(same.Size, profile.Size);
            else _profiles.Add(new Profile(key, profile.Options, cliPath!, profile.Size));
        }

        Receive<TakeWarmCli>(Take);
        Receive<CliStarted>(started =>
        {
            if (_slots.TryGetValue(Sender, out var slot)) slot.ProcessId = started.ProcessId;
        });
        Receive<CliOutput>(output => OnOutput(Sender, output.Message));
        Receive<CliMalformedLine>(_ => { });
        Receive<CliEnded>(ended => OnCliGone(Sender, ended));
        Receive<Terminated>(terminated => OnCliGone(terminated.ActorRef, null));
        Receive<InitTimedOut>(timeout =>
        {
            if (_slots.TryGetValue(timeout.Cli, out var slot) && !slot.IsReady)
            {
                _log.Warning("A warm CLI ({0}) did not answer its initialize request in time; it is replaced.", slot.Profile.Key);
                Context.Stop(timeout.Cli); // its Terminated counts the failure
            }
        });
        Receive<Refill>(_ =>
        {
            _refillQueued = false;
            RefillNow();
        });
        Receive<Room>(room =>
        {
            _probing = false;
            Fill(room.Count);
        });
        Receive<SetWarmPoolLimit>(limit =>
        {
            _limit = limit.MaxCliProcesses;
            Shrink();
            ScheduleRefill(TimeSpan.Zero);
        });
        Receive<GetWarmPoolState>(_ => Sender.Tell(State()));
    }

    public static Props Props(IReadOnlyList<WarmPoolProfile> profiles, Func<Task<int>>? liveCliCount = null, int cap = int.MaxValue) =>
        Akka.Actor.Props.Create(() => new WarmPool(profiles, liveCliCount, cap));

    /// <summary>
    /// The pool under a node's <see cref="CliBudgetActor"/>: it refills only into room the sessions leave, by count
    /// (the budget's cap) and by memory (what is free of the budget, in CLIs of the budget's estimate), and not at all
    /// while a session's start waits for room. Its idle CLIs are not in the budget's sum until a session takes one
    /// (then the session adopts it there), so each counts here as one estimate.
    /// </summary>
    public static Props UnderBudget(IReadOnlyList<WarmPoolProfile> profiles, IActorRef budget, bool sessionMirror = false)
    {
        Func<Task<int>> live = async () =>
        {
            var status = await budget.Ask<CliBudgetActor.Status>(CliBudgetActor.GetStatus.Instance, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            return WarmPoolPlan.EffectiveLive(status);
        };
        return Akka.Actor.Props.Create(() => new WarmPool(profiles, live, int.MaxValue, budget, sessionMirror));
    }

    // A warm CLI that throws is stopped, never restarted with the same arguments; its Terminated reaches whoever watches it.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(-1, -1, _ => Directive.Stop);

    protected override void PreStart() => ScheduleRefill(TimeSpan.Zero);

    private void Take(TakeWarmCli take)
    {
        var profile = _profiles.FirstOrDefault(p => p.Key.Equals(take.Key));
        var slot = profile?.TakeIdle();
        if (slot is null)
        {
            _misses++;
            Sender.Tell(new NoWarmCli());
            return;
        }
        _slots.Remove(slot.Cli);
        Context.Unwatch(slot.Cli);
        slot.Cli.Tell(new AdoptCli(Sender, take.SessionName, slot.SessionId));
        // Counted for the session before the refill below asks the budget for room: the two go out in this order.
        var counted = _budget is not null && take.AdmissionId > 0 && slot.ProcessId is not null;
        if (counted) _budget!.Tell(new CliBudgetActor.AdoptRunning(Sender, take.AdmissionId, slot.ProcessId!.Value));
        Sender.Tell(new WarmCli(slot.Cli, slot.SessionId, slot.ServerInfo, slot.ProcessId ?? 0, counted));
        _taken++;
        _log.Debug("Session {0} took a warm CLI ({1}, pid {2}).", take.SessionName, profile!.Key, slot.ProcessId);
        ScheduleRefill(TimeSpan.Zero);
    }

    private void OnOutput(IActorRef cli, ClaudeMessage message)
    {
        if (!_slots.TryGetValue(cli, out var slot)) return;
        if (slot.IsReady || message is not ControlResponseMessage { Response: var body } || body.RequestId != slot.InitRequestId) return;
        Timers.Cancel(slot.TimerKey);
        if (!body.IsSuccess)
        {
            _log.Warning("A warm CLI ({0}) refused the initialize request: {1}", slot.Profile.Key, body.Error);
            Context.Stop(cli);
            return;
        }
        slot.ServerInfo = body.Response;
        slot.Profile.Failures = 0;
        slot.Profile.MarkIdle(slot);
    }

    private void OnCliGone(IActorRef cli, CliEnded? ended)
    {
        if (!_slots.Remove(cli, out var slot)) return;
        Context.Unwatch(cli);
        Timers.Cancel(slot.TimerKey);
        slot.Profile.Forget(slot);
        var why = ended switch
        {
            CliExited exited => $"exit code {exited.ExitCode?.ToString() ?? "unknown"}; stderr: {exited.StderrTail}",
            CliStartFailed failed => failed.Reason,
            _ => "stopped",
        };
        if (slot.IsReady)
        {
            _replaced++;
            _log.Warning("An idle warm CLI ({0}, pid {1}) died ({2}); it is replaced.", slot.Profile.Key, slot.ProcessId, why);
            ScheduleRefill(TimeSpan.Zero);
        }
        else
        {
            _failed++;
            slot.Profile.Failures++;
            var backoff = WarmPoolPlan.Backoff(slot.Profile.Failures);
            slot.Profile.NotBefore = DateTime.UtcNow + backoff;
            _log.Warning("A warm CLI ({0}) failed before its handshake ({1}); the next try in {2}.", slot.Profile.Key, why, backoff);
            ScheduleRefill(backoff);
        }
    }

    // At most one refill waits in the mailbox; a delayed one (a backoff) gives way to an immediate one.
    private void ScheduleRefill(TimeSpan delay)
    {
        if (_refillQueued) return;
        if (delay > TimeSpan.Zero)
        {
            if (!Timers.IsTimerActive("refill")) Timers.StartSingleTimer("refill", Refill.Instance, delay);
            return;
        }
        Timers.Cancel("refill");
        _refillQueued = true;
        Self.Tell(Refill.Instance);
    }

    private void RefillNow()
    {
        if (_liveCliCount is null)
        {
            Fill(int.MaxValue);
            return;
        }
        if (_probing) return;
        _probing = true;
        var held = _slots.Count;
        var cap = _cap;
        // The node's count cap holds the pool's CLIs too: room = cap − the sessions' live CLIs − the pool's own.
        _liveCliCount().ContinueWith(t => new Room(t.IsCompletedSuccessfully ? cap - t.Result - held : 0))
            .PipeTo(Self);
    }

    private void Fill(int room)
    {
        var now = DateTime.UtcNow;
        var plan = WarmPoolPlan.ToStart(_profiles.Select(p => (p.Size, p.Held, p.NotBefore > now)).ToList(), _limit, room);
        for (var i = 0; i < plan.Length; i++)
            for (var n = 0; n < plan[i]; n++) Spawn(_profiles[i]);
        var waiting = _profiles.Where(p => p.NotBefore > now && p.Held < p.Size).Select(p => p.NotBefore - now).DefaultIfEmpty().Min();
        if (waiting > TimeSpan.Zero) ScheduleRefill(waiting);
    }

    private void Shrink()
    {
        var toStop = WarmPoolPlan.ToStop(_slots.Count, _profiles.Sum(p => p.IdleCount), _limit);
        for (var i = 0; i < toStop; i++)
        {
            // From the profile holding the most idle CLIs: each keeps what it can.
            var slot = _profiles.OrderByDescending(p => p.IdleCount).First().TakeIdle();
            if (slot is null) break;
            _slots.Remove(slot.Cli);
            Context.Unwatch(slot.Cli);
            slot.Cli.Tell(new ShutdownCli(TimeSpan.FromSeconds(1)));
            _log.Info("The warm pool gives up an idle CLI ({0}, pid {1}) to stay within its limit of {2}.", slot.Profile.Key, slot.ProcessId, _limit);
        }
    }

    private void Spawn(Profile profile)
    {
        var sessionId = SessionIds.New();
        // Launched as the profile's sessions launch theirs: the same overrides, credentials by reference resolved.
        var spec = CliCommandBuilder.Build(profile.Options with { SessionId = sessionId }, profile.CliPath, _launch, SessionConfiguration.Get(Context.System).Lookup);
        var cli = Context.ActorOf(CliProcessActor.Props(spec, "warm-pool", sessionId), "warm-" + ++_nextId);
        Context.Watch(cli);
        var slot = new Slot(cli, profile, sessionId, "init-" + _nextId, "warm-init-" + _nextId);
        _slots[cli] = slot;
        profile.Starting.Add(slot);
        _spawned++;
        cli.Tell(new SendFrame(OutboundFrames.ControlRequest(slot.InitRequestId, new System.Text.Json.Nodes.JsonObject { ["subtype"] = "initialize" })));
        Timers.StartSingleTimer(slot.TimerKey, new InitTimedOut(cli), profile.Options.ControlTimeout);
    }

    private WarmPoolState State()
    {
        var target = Math.Min(_limit ?? int.MaxValue, _profiles.Sum(p => p.Size));
        return new WarmPoolState(target, _profiles.Sum(p => p.IdleCount), _profiles.Sum(p => p.Starting.Count),
            _slots.Values.Where(s => s.ProcessId is not null).Select(s => s.ProcessId!.Value).ToList(),
            _spawned, _taken, _misses, _replaced, _failed);
    }

    private sealed class Profile(LaunchProfileKey key, SessionOptions options, string cliPath, int size)
    {
        private readonly LinkedList<Slot> _idle = new();

        public LaunchProfileKey Key { get; } = key;
        public SessionOptions Options { get; } = options;
        public string CliPath { get; } = cliPath;
        public int Size { get; set; } = size;
        public HashSet<Slot> Starting { get; } = new();
        public int Failures { get; set; }
        public DateTime NotBefore { get; set; }
        public int IdleCount => _idle.Count;
        public int Held => _idle.Count + Starting.Count;

        public void MarkIdle(Slot slot)
        {
            Starting.Remove(slot);
            slot.IsReady = true;
            _idle.AddLast(slot);
        }

        /// <summary>The oldest idle CLI (the longest warm), or null.</summary>
        public Slot? TakeIdle()
        {
            if (_idle.First is not { } first) return null;
            _idle.RemoveFirst();
            return first.Value;
        }

        public void Forget(Slot slot)
        {
            Starting.Remove(slot);
            _idle.Remove(slot);
        }
    }

    private sealed class Slot(IActorRef cli, Profile profile, string sessionId, string initRequestId, string timerKey)
    {
        public IActorRef Cli { get; } = cli;
        public Profile Profile { get; } = profile;
        public string SessionId { get; } = sessionId;
        public string InitRequestId { get; } = initRequestId;
        public string TimerKey { get; } = timerKey;
        public int? ProcessId { get; set; }
        public bool IsReady { get; set; }
        public JsonElement? ServerInfo { get; set; }
    }

    private sealed record InitTimedOut(IActorRef Cli);
    private sealed record Room(int Count);

    private sealed class Refill
    {
        public static readonly Refill Instance = new();
    }
}
