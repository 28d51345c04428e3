using Akka.Actor;
using Akka.Hosting;
using ClaudeActors.Process;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ClaudeActors.Cluster;

/// <summary>
/// The node's CLI budget as a health entry: always healthy (a full node still serves its sessions; a start that finds
/// no room fails typed), with the figures in its description and data: the memory budget, what the live CLIs use,
/// how many run and may run, and how many starts wait for room.
/// </summary>
public sealed class CliBudgetHealthCheck(ActorSystem system) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!ActorRegistry.For(system).TryGet<SessionBudget>(out var budget))
            return HealthCheckResult.Healthy("this node hosts no sessions");
        CliBudgetActor.Status status;
        try
        {
            status = await budget.Ask<CliBudgetActor.Status>(CliBudgetActor.GetStatus.Instance, TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            return HealthCheckResult.Healthy("the CLI budget did not answer in time");
        }
        var data = new Dictionary<string, object>
        {
            ["used_bytes"] = status.Used,
            ["live_clis"] = status.Live,
            ["max_live_clis"] = status.MaxLive,
            ["waiting_starts"] = status.Waiting,
            ["estimate_bytes"] = status.Estimate,
        };
        if (status.Budget is { } bytes) data["budget_bytes"] = bytes;
        var description = $"{status.Live} live CLIs (cap {status.MaxLive}) using {new ByteSize(status.Used)}" +
                          (status.Budget is { } b ? $" of a {new ByteSize(b)} budget" : ", no memory budget") + $", {status.Waiting} starts waiting";
        return HealthCheckResult.Healthy(description, data);
    }
}
