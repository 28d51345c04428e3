namespace ClaudeActors.Process;

/// <summary>The limits of one node's CLI processes: memory (summed PSS) and count; how long a start may wait for room.</summary>
/// <param name="MemoryBudget">The most summed PSS of the node's CLIs, in bytes; null: no memory limit.</param>
/// <param name="MaxLive">The most live CLIs (the count cap, a second limit).</param>
/// <param name="DefaultEstimate">What a CLI is expected to cost before any CLI of the node has been measured.</param>
/// <param name="MaxWaiting">The most starts that wait for room; one more is refused at once.</param>
/// <param name="WaitTimeout">How long a start waits for room before it is refused.</param>
internal sealed record CliBudgetSettings(long? MemoryBudget, int MaxLive, long DefaultEstimate, int MaxWaiting, TimeSpan WaitTimeout)
{
    /// <summary>No memory limit, no count cap: every start is admitted at once (CLIs are still measured).</summary>
    public static readonly CliBudgetSettings Unlimited = new(null, int.MaxValue, 200L << 20, 64, TimeSpan.FromSeconds(15));

    /// <summary>The limits of <paramref name="options"/> with a memory budget and count cap of the caller's mode.</summary>
    public static CliBudgetSettings From(Core.ClaudeSessionsOptions options, Core.ByteSize? memoryBudget, int maxLive) =>
        new(memoryBudget?.Bytes, maxLive, options.CliMemoryEstimate.Bytes, options.MaxWaitingStarts, options.StartWaitTimeout);
}

/// <summary>What the budget decided: starts to admit, starts to refuse, CLIs to ask to release their process.</summary>
internal sealed class CliBudgetDecisions<TKey>
{
    public List<TKey> Admit { get; } = [];
    public List<(TKey Key, string Reason)> Refuse { get; } = [];
    public List<TKey> Release { get; } = [];
    public bool IsEmpty => Admit.Count == 0 && Refuse.Count == 0 && Release.Count == 0;
}

/// <summary>
/// The admission logic of a node's CLIs, without actors or clocks of its own: which start may go now, which waits
/// (first in, first out, bounded in length and time), and which idle CLI is asked to go (least recently used first).
/// A start is admitted when the live CLIs' summed PSS plus the new one's estimate (the median PSS of the live CLIs
/// measured so far, or a configured default) stays within the memory budget, and the count stays within the cap.
/// A CLI counts from its admission (at the estimate until measured) to its end; a CLI asked to go still counts until
/// it has gone, so nothing is admitted on memory that is not yet free. Owners are any key: a session, a pool's CLI.
/// </summary>
internal sealed class CliBudget<TKey> where TKey : notnull
{
    private sealed class Entry(TKey key)
    {
        public TKey Key { get; } = key;
        public long? Measured { get; set; }
        public long Estimate { get; init; }
        public bool Busy { get; set; } = true; // starting counts as busy: never asked to go before it is ready
        public bool Releasing { get; set; }
        public long LastUsed { get; set; }
        public long Cost => Measured ?? Estimate;
    }

    private sealed record Waiter(TKey Key, DateTimeOffset Deadline);

    private readonly Dictionary<TKey, Entry> _live = new();
    private readonly LinkedList<Waiter> _waiting = new();
    private long _clock;

    public CliBudget(CliBudgetSettings settings) => Settings = settings;

    public CliBudgetSettings Settings { get; set; }

    /// <summary>Live (admitted, not yet gone) CLIs.</summary>
    public int LiveCount => _live.Count;

    /// <summary>Starts waiting for room.</summary>
    public int WaitingCount => _waiting.Count;

    /// <summary>The summed cost of the live CLIs: measured PSS, or the admission estimate until measured.</summary>
    public long Used => _live.Values.Sum(e => e.Cost);

    /// <summary>What the next CLI is expected to cost: the median of the measured live CLIs, or the default.</summary>
    public long Estimate
    {
        get
        {
            var measured = _live.Values.Where(e => e.Measured is not null).Select(e => e.Measured!.Value).Order().ToList();
            if (measured.Count == 0) return Settings.DefaultEstimate;
            var mid = measured.Count / 2;
            return measured.Count % 2 == 1 ? measured[mid] : (measured[mid - 1] + measured[mid]) / 2;
        }
    }

    public bool IsLive(TKey key) => _live.ContainsKey(key);

    public bool IsWaiting(TKey key) => _waiting.Any(w => w.Key.Equals(key));

    /// <summary>The measured cost of a live CLI, if any.</summary>
    public long? MeasuredOf(TKey key) => _live.TryGetValue(key, out var e) ? e.Measured : null;

    /// <summary>A CLI is about to start for <paramref name="key"/>: admitted now, queued, or refused.</summary>
    public CliBudgetDecisions<TKey> Request(TKey key, DateTimeOffset now)
    {
        var decisions = new CliBudgetDecisions<TKey>();
        if (_live.ContainsKey(key) || IsWaiting(key))
        {
            if (_live.ContainsKey(key)) decisions.Admit.Add(key); // asked again: it has its room already
            return decisions;
        }
        if (Settings.MemoryBudget is { } budget && Estimate > budget)
        {
            decisions.Refuse.Add((key, $"the node's CLI memory budget ({Format(budget)}) is smaller than one CLI ({Format(Estimate)})."));
            return decisions;
        }
        if (_waiting.Count >= Settings.MaxWaiting)
        {
            decisions.Refuse.Add((key, $"{_waiting.Count} CLI starts are waiting already (the most is {Settings.MaxWaiting})."));
            return decisions;
        }
        _waiting.AddLast(new Waiter(key, now + Settings.WaitTimeout));
        Pump(decisions);
        return decisions;
    }

    /// <summary>
    /// A CLI that runs already is counted for <paramref name="key"/> at once (it is there: refusing it would not free
    /// its memory); if that takes the node over its budget, idle CLIs are asked to go.
    /// </summary>
    public CliBudgetDecisions<TKey> Adopt(TKey key)
    {
        var decisions = new CliBudgetDecisions<TKey>();
        if (!_live.ContainsKey(key)) _live[key] = new Entry(key) { Estimate = Estimate, LastUsed = ++_clock };
        Pump(decisions);
        return decisions;
    }

    /// <summary>The CLI of <paramref name="key"/> is busy (a turn, a start) or idle (ready, nothing queued); idle marks it used.</summary>
    public CliBudgetDecisions<TKey> Activity(TKey key, bool busy)
    {
        var decisions = new CliBudgetDecisions<TKey>();
        if (!_live.TryGetValue(key, out var entry)) return decisions;
        entry.Busy = busy;
        entry.Releasing = false; // it declined a release, or was used again: it may be asked later
        entry.LastUsed = ++_clock;
        Pump(decisions);
        return decisions;
    }

    /// <summary>The CLI of <paramref name="key"/> has gone (or its start was given up): its room is free, and a waiting start of it is withdrawn.</summary>
    public CliBudgetDecisions<TKey> Gone(TKey key)
    {
        var decisions = new CliBudgetDecisions<TKey>();
        _live.Remove(key);
        for (var node = _waiting.First; node is not null; node = node.Next)
        {
            if (!node.Value.Key.Equals(key)) continue;
            _waiting.Remove(node);
            break;
        }
        Pump(decisions);
        return decisions;
    }

    /// <summary>A CLI's PSS was measured.</summary>
    public CliBudgetDecisions<TKey> Measured(TKey key, long bytes)
    {
        var decisions = new CliBudgetDecisions<TKey>();
        if (_live.TryGetValue(key, out var entry)) entry.Measured = bytes;
        Pump(decisions);
        return decisions;
    }

    /// <summary>Starts that waited past their deadline are refused.</summary>
    public CliBudgetDecisions<TKey> Expire(DateTimeOffset now)
    {
        var decisions = new CliBudgetDecisions<TKey>();
        for (var node = _waiting.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.Deadline <= now)
            {
                decisions.Refuse.Add((node.Value.Key, $"no room within {Settings.WaitTimeout.TotalSeconds:0.#} s: {Describe()}."));
                _waiting.Remove(node);
            }
            node = next;
        }
        Pump(decisions);
        return decisions;
    }

    /// <summary>The earliest deadline of a waiting start.</summary>
    public DateTimeOffset? NextDeadline => _waiting.Count == 0 ? null : _waiting.Min(w => w.Deadline);

    /// <summary>The live CLIs' keys.</summary>
    public IReadOnlyCollection<TKey> LiveKeys => _live.Keys;

    /// <summary>One line on the state, for failures and logs.</summary>
    public string Describe() =>
        $"{_live.Count} live CLIs using {Format(Used)}" + (Settings.MemoryBudget is { } b ? $" of a {Format(b)} budget" : "") +
        (Settings.MaxLive < int.MaxValue ? $", cap {Settings.MaxLive}" : "") + $", {_waiting.Count} starts waiting";

    private static string Format(long bytes) => new Core.ByteSize(bytes).ToString();

    private bool Fits(long used, int count, long estimate) =>
        count < Settings.MaxLive && (Settings.MemoryBudget is not { } budget || used + estimate <= budget);

    /// <summary>
    /// Admits waiting starts in order while they fit; for the first that does not, asks the least recently used idle
    /// CLIs to go when that would make room (not otherwise: a release that cannot admit anyone only loses a CLI). Then,
    /// when growth took the node over its budget, asks idle CLIs to go until it is back within it.
    /// </summary>
    private void Pump(CliBudgetDecisions<TKey> decisions)
    {
        while (_waiting.First is { } head)
        {
            var estimate = Estimate;
            var used = _live.Values.Where(e => !e.Releasing).Sum(e => e.Cost);
            var count = _live.Values.Count(e => !e.Releasing);
            if (Fits(Used, _live.Count, estimate))
            {
                _waiting.RemoveFirst();
                _live[head.Value.Key] = new Entry(head.Value.Key) { Estimate = estimate, LastUsed = ++_clock };
                decisions.Admit.Add(head.Value.Key);
                continue;
            }
            // Once the CLIs already asked to go have gone, does it fit? Then wait for them.
            if (Fits(used, count, estimate)) break;
            var chosen = new List<Entry>();
            foreach (var candidate in IdleByAge())
            {
                chosen.Add(candidate);
                used -= candidate.Cost;
                count--;
                if (Fits(used, count, estimate)) break;
            }
            if (Fits(used, count, estimate))
                foreach (var entry in chosen)
                {
                    entry.Releasing = true;
                    decisions.Release.Add(entry.Key);
                }
            break; // first in, first out: nobody overtakes the head
        }

        if (Settings.MemoryBudget is not { } limit) return;
        var remaining = _live.Values.Where(e => !e.Releasing).Sum(e => e.Cost);
        foreach (var candidate in IdleByAge())
        {
            if (remaining <= limit) break;
            candidate.Releasing = true;
            remaining -= candidate.Cost;
            decisions.Release.Add(candidate.Key);
        }
    }

    private IEnumerable<Entry> IdleByAge() => _live.Values.Where(e => !e.Busy && !e.Releasing).OrderBy(e => e.LastUsed).ToList();
}
