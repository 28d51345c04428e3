using Akka.Actor;

namespace ClaudeActors.Supervision;

/// <summary>
/// The ActorSystem extension that owns the session supervisor at <c>/user/claude-sessions</c>, for code that
/// uses a plain ActorSystem. Akka.Hosting applications get the same supervisor from <c>WithClaudeSessions</c>.
/// </summary>
public sealed class ClaudeSessions : IExtension
{
    /// <summary>The supervisor's actor name.</summary>
    public const string SupervisorName = "claude-sessions";

    internal ClaudeSessions(ExtendedActorSystem system)
    {
        Supervisor = system.ActorOf(SessionSupervisor.Props(), SupervisorName);
        // Every session closes its CLI's stdin (the CLI flushes its transcript) before the system goes down;
        // the CLI actors kill whatever is left when they stop.
        var supervisor = Supervisor;
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceStop, "stop-claude-sessions", async () =>
        {
            try
            {
                await supervisor.Ask<AllSessionsStopped>(StopAllSessions.Instance, TimeSpan.FromSeconds(12)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TaskCanceledException or TimeoutException or AskTimeoutException)
            {
                // Whatever did not stop in time is killed when its actor stops with the system.
            }
            return Akka.Done.Instance;
        });
    }

    /// <summary>The supervisor: send it <see cref="StartSession"/>, <see cref="TerminateSession"/>, <see cref="ListSessions"/>.</summary>
    public IActorRef Supervisor { get; }

    /// <summary>The extension of <paramref name="system"/>, created on first use.</summary>
    public static ClaudeSessions Get(ActorSystem system) => system.WithExtension<ClaudeSessions, ClaudeSessionsProvider>();
}

/// <summary>Creates the <see cref="ClaudeSessions"/> extension.</summary>
internal sealed class ClaudeSessionsProvider : ExtensionIdProvider<ClaudeSessions>
{
    /// <inheritdoc />
    public override ClaudeSessions CreateExtension(ExtendedActorSystem system) => new(system);
}
