using System.Runtime.InteropServices;

namespace ClaudeActors.Host.Commands;

/// <summary>
/// What a signal means in the chat: Ctrl-C while a reply streams interrupts that reply (the chat goes on);
/// Ctrl-C at the prompt, a second Ctrl-C, or SIGTERM leaves. The host's console lifetime is switched off for
/// the chat, so these handlers are the only ones. Cancellation is requested with CancelAsync: the code waiting
/// on the tokens must not run on the signal thread (it would block the next Ctrl-C, and disposing the
/// registration from there deadlocks).
/// </summary>
internal sealed class ChatSignals : IDisposable
{
    private readonly CancellationTokenSource _leave = new();
    private readonly Lock _gate = new();
    private readonly PosixSignalRegistration? _sigterm;
    private CancellationTokenSource? _turn;
    private bool _leaving;

    public ChatSignals()
    {
        Console.CancelKeyPress += OnCancelKeyPress;
        if (!OperatingSystem.IsWindows())
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                Leave(ExitCodes.Terminated);
            });
    }

    /// <summary>Cancelled when the user wants to leave the chat.</summary>
    public CancellationToken Leaving => _leave.Token;

    /// <summary>The exit code that goes with leaving: 130 after Ctrl-C, 143 after SIGTERM.</summary>
    public int ExitCode { get; private set; } = ExitCodes.Interrupted;

    /// <summary>A token for one turn (or control request): Ctrl-C cancels it instead of leaving.</summary>
    public CancellationToken BeginTurn()
    {
        var turn = CancellationTokenSource.CreateLinkedTokenSource(_leave.Token);
        lock (_gate) _turn = turn;
        return turn.Token;
    }

    /// <summary>Back at the prompt: Ctrl-C leaves again.</summary>
    public void EndTurn()
    {
        CancellationTokenSource? turn;
        lock (_gate)
        {
            turn = _turn;
            _turn = null;
        }
        turn?.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        // Never let the runtime kill the process: the session must stop its CLI first.
        e.Cancel = true;
        CancellationTokenSource? turn;
        lock (_gate) turn = _turn;
        try
        {
            if (turn is { IsCancellationRequested: false })
            {
                _ = turn.CancelAsync();
                return;
            }
        }
        catch (ObjectDisposedException)
        {
            // The turn ended while the key was pressed: treat it as Ctrl-C at the prompt.
        }
        Leave(ExitCodes.Interrupted);
    }

    private void Leave(int exitCode)
    {
        lock (_gate)
        {
            if (_leaving) return;
            _leaving = true;
            ExitCode = exitCode;
        }
        _ = _leave.CancelAsync();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _sigterm?.Dispose();
        _leave.Dispose();
    }
}
