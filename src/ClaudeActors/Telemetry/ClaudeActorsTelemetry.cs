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
