using Akka.Actor;
using Akka.Event;
using ClaudeActors.Process;

namespace ClaudeActors.Sessions;

// The first start of a fresh session from the warm pool: a CLI the pool started and initialized becomes this
// session's at once, under the conversation id the pool gave it; when the pool has none, the session starts its own.
internal sealed partial class SessionActor
{
    // The pool answers from memory; this only bounds a pool that is gone or stuck.
    private static readonly TimeSpan WarmPoolAnswerTimeout = TimeSpan.FromSeconds(2);
    private bool _awaitingWarmCli;

    /// <summary>Starts with the CLI a short-lived program started before its ActorSystem (<see cref="CliPrestart"/>), when there is one.</summary>
    private bool TakePrestartedCli()
    {
        if (!CliPrestart.AnyWaiting || WarmPoolEligibility.Refusal(_options) is not null) return false;
        if (CliPrestart.TryTake(LaunchProfileKey.Of(_memory.Effective, _cliPath!)) is not { } prestarted) return false;
        _memory.SessionId = prestarted.SessionId;
        _memory.Effective = _memory.Effective with { SessionId = prestarted.SessionId };
        StartCli(resume: null, prestarted);
        return true;
    }

    private void AskWarmPool(IActorRef pool)
    {
        _awaitingWarmCli = true;
        SetStatus(SessionStatus.Initializing);
        pool.Tell(new TakeWarmCli(LaunchProfileKey.Of(_memory.Effective, _cliPath!), _name));
        Timers.StartSingleTimer("warm", WarmPoolSilent.Instance, WarmPoolAnswerTimeout);
    }

    private void ReceiveWarmStart()
    {
        Receive<WarmCli>(OnWarmCli);
        Receive<NoWarmCli>(_ => StartOwnCli());
        Receive<WarmPoolSilent>(_ => StartOwnCli());
    }

    private void StartOwnCli()
    {
        if (!_awaitingWarmCli) return;
        _awaitingWarmCli = false;
        Timers.Cancel("warm");
        if (_status is SessionStatus.Initializing) StartCli(resume: null);
    }

    private void OnWarmCli(WarmCli warm)
    {
        if (!_awaitingWarmCli || _status is not SessionStatus.Initializing)
        {
            // Too late (the session started its own, or is stopping): the CLI is ours to end.
            Context.Stop(warm.Cli);
            return;
        }
        _awaitingWarmCli = false;
        Timers.Cancel("warm");
        _mcp.EndGeneration();
        _cliGeneration++;
        // The pool's CLI was started with its own --session-id: that is this conversation's id now.
        _memory.SessionId = warm.SessionId;
        _memory.Effective = _memory.Effective with { SessionId = warm.SessionId };
        _cli = warm.Cli;
        _cliPid = warm.ProcessId;
        // Not a child (the pool is its parent): watched, its Terminated takes the crash path like a child's would.
        Context.Watch(_cli);
        Log.Debug("Session {0} took a warm CLI (pid {1}).", _name, warm.ProcessId);
        BecomeReady(warm.ServerInfo);
    }

    private sealed class WarmPoolSilent
    {
        public static readonly WarmPoolSilent Instance = new();
    }
}
