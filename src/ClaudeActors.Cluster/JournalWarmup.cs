using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace ClaudeActors.Cluster;

/// <summary>
/// Recovers a persistence id that never has events, once, when a sessions node starts, then stops. The journal and
/// snapshot plugins start lazily, and their first recovery on a node pays the start (connection pool, table check,
/// code paths run for the first time): measured at about 2 s on a loaded machine. Without this, the first session to
/// come back on a survivor after a node loss pays it in the middle of the failover.
/// </summary>
internal sealed class JournalWarmup : ReceivePersistentActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public JournalWarmup()
    {
        Recover<RecoveryCompleted>(_ => Context.Stop(Self));
        // Nothing is ever persisted under this id; anything else is ignored.
        CommandAny(_ => { });
    }

    public override string PersistenceId => "claude-actors-journal-warmup";

    public static Props Props() => Akka.Actor.Props.Create(() => new JournalWarmup());

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        // Not fatal here: the sessions' own recovery reports the same problem where it matters.
        _log.Warning("The journal could not be read at start-up: {0}", reason.Message);
        base.OnRecoveryFailure(reason, message);
    }
}
