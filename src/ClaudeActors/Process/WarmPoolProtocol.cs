using System.Text.Json;
using Akka.Actor;

namespace ClaudeActors.Process;

// Messages of the WarmPool actor. Local only: a warm CLI is a process of this node.

/// <summary>Keep <paramref name="Size"/> CLIs started and initialized for sessions launched like <paramref name="Options"/>.</summary>
/// <param name="Options">The profile's resolved options (the name, session id, resume and callbacks play no part).</param>
/// <param name="Size">How many idle, initialized CLIs to keep.</param>
internal sealed record WarmPoolProfile(SessionOptions Options, int Size);

/// <summary>A session asks for a warm CLI of its launch profile. Replies <see cref="WarmCli"/> or <see cref="NoWarmCli"/>.</summary>
/// <param name="Key">The session's launch profile.</param>
/// <param name="SessionName">The session's name, for the CLI's log lines.</param>
internal sealed record TakeWarmCli(LaunchProfileKey Key, string SessionName);

/// <summary>
/// A running CLI whose initialize handshake is done, now owned by the asker (it hears its lines and ends and must
/// watch it). The conversation id is the one the pool gave it with <c>--session-id</c>.
/// </summary>
internal sealed record WarmCli(IActorRef Cli, string SessionId, JsonElement? ServerInfo, int ProcessId);

/// <summary>No warm CLI of that profile is idle: the session starts its own.</summary>
internal sealed record NoWarmCli;

/// <summary>
/// The hook of a node's memory (or count) governor: the pool keeps at most <paramref name="MaxCliProcesses"/> CLIs,
/// idle and starting together, over all profiles; idle ones above it are stopped at once. Null lifts the limit
/// (each profile's own size applies).
/// </summary>
internal sealed record SetWarmPoolLimit(int? MaxCliProcesses);

/// <summary>Asks for <see cref="WarmPoolState"/>.</summary>
internal sealed record GetWarmPoolState
{
    public static readonly GetWarmPoolState Instance = new();
}

/// <summary>
/// What the pool holds and has done. <paramref name="ProcessIds"/> are the idle and starting CLIs' pids, for a governor
/// that measures their memory (<see cref="ProcessMemory.TreePss"/>).
/// </summary>
/// <param name="Target">The CLIs the pool aims to hold now (the profiles' sizes, within the limit and the count cap).</param>
/// <param name="Idle">Initialized CLIs waiting for a session.</param>
/// <param name="Starting">CLIs spawned whose handshake is not done.</param>
/// <param name="ProcessIds">The pids of the idle and starting CLIs that have one.</param>
/// <param name="Spawned">CLIs the pool has started in all.</param>
/// <param name="Taken">CLIs handed to sessions.</param>
/// <param name="Misses">Asks that found no idle CLI of their profile.</param>
/// <param name="Replaced">Idle CLIs that died and were replaced.</param>
/// <param name="Failed">CLIs that died or timed out before their handshake was done.</param>
internal sealed record WarmPoolState(int Target, int Idle, int Starting, IReadOnlyList<int> ProcessIds,
    long Spawned, long Taken, long Misses, long Replaced, long Failed);
