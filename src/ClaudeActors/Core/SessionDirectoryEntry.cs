namespace ClaudeActors.Core;

/// <summary>One session as the directory knows it: in a cluster, the Distributed Data directory every node replicates; locally, the supervisor's children.</summary>
/// <param name="Name">The session's name.</param>
/// <param name="Node">The address of the node that hosts (or last hosted) it; the local ActorSystem's address in local mode.</param>
/// <param name="Status">Its status; <c>Stopped</c> when passivated.</param>
/// <param name="SessionId">Its conversation id.</param>
/// <param name="Passivated">True when no CLI runs for it now.</param>
/// <param name="UpdatedAt">When the entry was written (the session's last activity).</param>
/// <param name="Model">The model of its last turn.</param>
/// <param name="Turns">Turns completed since the entity last started on a node.</param>
/// <param name="CostUsd">Their cost in US dollars, as the CLI reported it.</param>
public sealed record SessionDirectoryEntry(string Name, string Node, SessionStatus Status, string? SessionId, bool Passivated, DateTimeOffset UpdatedAt,
    string? Model = null, int Turns = 0, decimal CostUsd = 0) : IClaudeActorsMessage
{
    /// <summary>The PSS of its live CLI's process tree as last measured (after a turn, or when it changed by 1 MiB or more); null when none runs.</summary>
    public ByteSize? CliMemory { get; init; }
}
