using System.Runtime.InteropServices;
using Spectre.Console;

namespace ClaudeActors.Host.Commands;

/// <summary>
/// Output of the one-shot commands (<c>sessions</c>, <c>history</c>): results on stdout (Spectre tables, wide
/// enough not to wrap when redirected), errors as one plain line on stderr.
/// </summary>
internal static class OperatorConsole
{
    /// <summary>A Spectre console on stdout; without a terminal: no colors, 240 columns (a session id and an address fit on one line).</summary>
    public static IAnsiConsole CreateOutput()
    {
        var redirected = Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Interactive = InteractionSupport.No,
            ColorSystem = redirected || Environment.GetEnvironmentVariable("NO_COLOR") is not null ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (redirected) console.Profile.Width = 240;
        return console;
    }

    /// <summary>One line <c>error: ...</c> on stderr.</summary>
    public static void Error(string message) => Console.Error.WriteLine("error: " + message.ReplaceLineEndings(" "));

    /// <summary>A status line on stderr.</summary>
    public static void Note(string message) => Console.Error.WriteLine(message);
}

/// <summary>Ctrl-C or SIGTERM cancels <see cref="Token"/> (once) instead of killing the process, so a client node can leave the cluster.</summary>
internal sealed class CancelOnSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration? _sigterm;

    public CancelOnSignals()
    {
        Console.CancelKeyPress += OnCancelKeyPress;
        if (!OperatingSystem.IsWindows())
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                Cancel(ExitCodes.Terminated);
            });
    }

    public CancellationToken Token => _cancel.Token;

    /// <summary>130 after Ctrl-C, 143 after SIGTERM.</summary>
    public int ExitCode { get; private set; } = ExitCodes.Interrupted;

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        // A second Ctrl-C kills the process.
        if (_cancel.IsCancellationRequested) return;
        e.Cancel = true;
        Cancel(ExitCodes.Interrupted);
    }

    private void Cancel(int exitCode)
    {
        if (_cancel.IsCancellationRequested) return;
        ExitCode = exitCode;
        _ = _cancel.CancelAsync();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _sigterm?.Dispose();
        _cancel.Dispose();
    }
}
