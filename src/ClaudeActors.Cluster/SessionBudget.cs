using Akka.Actor;
using ClaudeActors.Process;

namespace ClaudeActors.Cluster;

/// <summary>
/// The node's CLI budget in cluster mode (the ActorRegistry key of its actor): a <see cref="CliBudgetActor"/> with the
/// cluster's limits, the memory budget (<see cref="ClaudeClusterOptions.MemoryBudget"/>) and the live CLI cap
/// (<see cref="ClaudeClusterOptions.MaxLiveCliProcesses"/>). Each session entity's session asks it before starting a CLI;
/// when it asks an idle one to give its CLI up, the entity passivates (its CLI ends; it comes back on its next message,
/// resuming the conversation).
/// </summary>
internal sealed class SessionBudget
{
    /// <summary>The budget actor's name under <c>/user</c>.</summary>
    public const string ActorName = "claude-session-budget";

    public static Props Props(ClaudeSessionsOptions sessions, ClaudeClusterOptions cluster) =>
        CliBudgetActor.Props(CliBudgetSettings.From(sessions, cluster.MemoryBudget, cluster.MaxLiveCliProcesses), sessions.MemorySampleInterval);
}
