using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using ClaudeActors.Sessions;
using ClaudeActors.Telemetry;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Telemetry;

/// <summary>Every instrument really moves, and each turn is one activity. Metrics are process-wide, so only this session's deltas are asserted.</summary>
[Collection(nameof(TelemetryCollection))]
public sealed class TelemetryTests(ITestOutputHelper output) : SessionTestKit(output)
{
    [Fact]
    public async Task Turns_tokens_cost_processes_restarts_and_activities_are_recorded()
    {
        var measurements = new ConcurrentBag<(string Name, double Value, string Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ClaudeActorsTelemetry.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Add((i.Name, v, Tags(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Add((i.Name, v, Tags(tags))));
        listener.Start();

        var activities = new ConcurrentBag<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ClaudeActorsTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => activities.Add(a),
        };
        ActivitySource.AddActivityListener(activityListener);

        await using var session = await StartFakeAsync(o => o with { Name = "metered", Restart = o.Restart with { MinBackoff = TimeSpan.FromMilliseconds(10) } });
        await session.FinalTextAsync("Say exactly: counted");
        await Assert.ThrowsAsync<CliCrashedException>(() => session.FinalTextAsync("[crash] die"));
        await session.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));

        Assert.Contains(measurements, m => m.Name == "claude_actors.turns" && m.Tags.Contains("outcome=Completed"));
        Assert.Contains(measurements, m => m.Name == "claude_actors.turns" && m.Tags.Contains("outcome=CliCrashed"));
        Assert.Contains(measurements, m => m.Name == "claude_actors.turn.duration" && m.Value > 0);
        Assert.Contains(measurements, m => m.Name == "claude_actors.tokens" && m.Tags.Contains("direction=output") && m.Value > 0);
        Assert.Contains(measurements, m => m.Name == "claude_actors.cost" && m.Value > 0);
        Assert.Contains(measurements, m => m.Name == "claude_actors.restarts" && m.Tags.Contains("session=metered"));
        Assert.Contains(measurements, m => m.Name == "claude_actors.cli.processes" && m.Value == 1);
        Assert.Contains(measurements, m => m.Name == "claude_actors.cli.processes" && m.Value == -1);
        Assert.Contains(measurements, m => m.Name == "claude_actors.sessions" && m.Tags.Contains("status=Ready") && m.Value == 1);

        var turn = Assert.Single(activities, a => a.OperationName == "claude.turn" && (string?)a.GetTagItem("claude.outcome") == "Completed"
                                                  && (string?)a.GetTagItem("claude.session.name") == "metered");
        Assert.Equal("success", turn.GetTagItem("claude.result.subtype"));
        Assert.True(SessionIds.IsValid((string?)turn.GetTagItem("claude.session.id")));
        Assert.Contains(activities, a => (string?)a.GetTagItem("claude.outcome") == "CliCrashed" && a.Status == ActivityStatusCode.Error);
        // Nothing the user typed or the model wrote is recorded.
        Assert.DoesNotContain(activities.SelectMany(a => a.TagObjects), t => t.Value is string s && s.Contains("counted"));
    }

    private static string Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var parts = new List<string>();
        foreach (var tag in tags) parts.Add($"{tag.Key}={tag.Value}");
        return string.Join(",", parts);
    }
}

[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;
