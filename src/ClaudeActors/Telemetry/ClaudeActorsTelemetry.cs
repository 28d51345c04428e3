using System.Diagnostics;
using System.Diagnostics.Metrics;
using ClaudeActors.Protocol;

namespace ClaudeActors.Telemetry;

/// <summary>
/// The names under which ClaudeActors publishes metrics (<see cref="Meter"/>) and traces (<see cref="ActivitySource"/>),
/// so any OpenTelemetry exporter picks them up: <c>AddMeter(ClaudeActorsTelemetry.MeterName)</c>,
/// <c>AddSource(ClaudeActorsTelemetry.ActivitySourceName)</c>. No prompt, output or secret is ever recorded.
/// </summary>
public static class ClaudeActorsTelemetry
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ClaudeActors";

    /// <summary>The activity source's name; each turn is one <c>claude.turn</c> activity.</summary>
    public const string ActivitySourceName = "ClaudeActors";

    internal static readonly Meter Meter = new(MeterName, "1.0");
    internal static readonly ActivitySource Source = new(ActivitySourceName, "1.0");

    private static readonly UpDownCounter<long> Sessions = Meter.CreateUpDownCounter<long>(
        "claude_actors.sessions", "{session}", "Sessions by status.");
    private static readonly UpDownCounter<long> LiveProcesses = Meter.CreateUpDownCounter<long>(
        "claude_actors.cli.processes", "{process}", "Live claude CLI processes.");
    private static readonly Counter<long> Turns = Meter.CreateCounter<long>(
        "claude_actors.turns", "{turn}", "Turns that ended, by outcome.");
    private static readonly Histogram<double> TurnDuration = Meter.CreateHistogram<double>(
        "claude_actors.turn.duration", "ms", "Time from writing a query to the CLI to its result.");
    private static readonly Counter<long> Tokens = Meter.CreateCounter<long>(
        "claude_actors.tokens", "{token}", "Tokens used, by direction (input, output).");
    private static readonly Counter<double> Cost = Meter.CreateCounter<double>(
        "claude_actors.cost", "USD", "Cost of turns as the CLI reports it.");
    private static readonly Counter<long> Restarts = Meter.CreateCounter<long>(
        "claude_actors.restarts", "{restart}", "CLI restarts after a crash.");
    private static readonly Counter<long> Passivations = Meter.CreateCounter<long>(
        "claude_actors.passivations", "{passivation}", "Sessions passivated (idle, cap or hand-off).");

    private static readonly Counter<long> Recycles = Meter.CreateCounter<long>(
        "claude_actors.cli.recycles", "{recycle}", "CLIs replaced for memory (reason: limit between turns, hard_limit mid-turn).");

    // Every live CLI budget of the process (one per node or local supervisor), read by the gauges below.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<object, Func<BudgetFigures>> Budgets = new();

    static ClaudeActorsTelemetry()
    {
        Meter.CreateObservableGauge("claude_actors.cli.memory.budget", () => Measure(s => s.Budget), "By", "The node's CLI memory budget (summed PSS).");
        Meter.CreateObservableGauge("claude_actors.cli.memory.used", () => Measure(s => s.Used), "By", "Summed PSS of the node's live CLIs (estimates until measured).");
        Meter.CreateObservableGauge("claude_actors.cli.starts.waiting", () => Measure(s => s.Waiting), "{start}", "CLI starts waiting for room in the budget.");
    }

    private static IEnumerable<Measurement<long>> Measure(Func<BudgetFigures, long?> value)
    {
        foreach (var (owner, read) in Budgets)
            if (value(read()) is { } v) yield return new Measurement<long>(v, new KeyValuePair<string, object?>("budget", owner.ToString()));
    }

    /// <summary>Publishes a budget's figures until the returned handle is disposed.</summary>
    internal static IDisposable TrackBudget(Func<BudgetFigures> read)
    {
        var key = new BudgetKey();
        Budgets[key] = read;
        return key.OnDispose(() => Budgets.TryRemove(key, out _));
    }

    private sealed class BudgetKey : IDisposable
    {
        private static int _next;
        private readonly int _id = Interlocked.Increment(ref _next);
        private Action? _dispose;

        public BudgetKey OnDispose(Action dispose)
        {
            _dispose = dispose;
            return this;
        }

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();

        public override string ToString() => "budget-" + _id;
    }

    /// <summary>What a budget's gauges show.</summary>
    internal readonly record struct BudgetFigures(long? Budget, long Used, long Waiting);

    internal static void Recycled(string session, bool hard) => Recycles.Add(1,
        new KeyValuePair<string, object?>("session", session), new KeyValuePair<string, object?>("reason", hard ? "hard_limit" : "limit"));

    internal static void StatusChanged(SessionStatus? from, SessionStatus to)
    {
        if (from is { } previous) Sessions.Add(-1, new KeyValuePair<string, object?>("status", previous.ToString()));
        if (to is not SessionStatus.Stopped) Sessions.Add(1, new KeyValuePair<string, object?>("status", to.ToString()));
    }

    internal static void ProcessStarted() => LiveProcesses.Add(1);

    internal static void ProcessEnded() => LiveProcesses.Add(-1);

    internal static void Restarted(string session) => Restarts.Add(1, new KeyValuePair<string, object?>("session", session));

    internal static void Passivated() => Passivations.Add(1);

    internal static Activity? StartTurn(string session, string? sessionId, string? model)
    {
        var previous = Activity.Current;
        var activity = Source.StartActivity("claude.turn", ActivityKind.Internal);
        // An actor thread serves many sessions: the turn must not become the ambient activity of later messages.
        Activity.Current = previous;
        activity?.SetTag("claude.session.name", session);
        activity?.SetTag("claude.session.id", sessionId);
        activity?.SetTag("claude.model", model);
        return activity;
    }

    internal static void TurnEnded(Activity? activity, TimeSpan elapsed, ResultMessage? result, SessionFailure? failure, string? model)
    {
        var outcome = failure?.Kind.ToString() ?? (result?.IsError == true ? "ApiError" : "Completed");
        Turns.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        TurnDuration.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("outcome", outcome));
        if (result?.Usage is { } usage)
        {
            Tokens.Add(usage.InputTokens + usage.CacheReadInputTokens + usage.CacheCreationInputTokens, new KeyValuePair<string, object?>("direction", "input"));
            Tokens.Add(usage.OutputTokens, new KeyValuePair<string, object?>("direction", "output"));
        }
        if (result?.TotalCostUsd is { } cost) Cost.Add((double)cost);
        if (activity is null) return;
        activity.SetTag("claude.model", model);
        activity.SetTag("claude.result.subtype", result?.Subtype);
        activity.SetTag("claude.result.is_error", result?.IsError);
        activity.SetTag("claude.outcome", outcome);
        if (result?.SessionId is { } id) activity.SetTag("claude.session.id", id);
        if (failure is not null || result?.IsError == true) activity.SetStatus(ActivityStatusCode.Error, outcome);
        activity.Stop();
    }
}
