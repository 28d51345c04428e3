using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Spectre.Console;

namespace ClaudeActors.Host.Commands;

/// <summary>
/// Output of the one-shot commands (<c>sessions</c>, <c>history</c>): results on stdout (Spectre tables, wide
/// enough not to wrap when redirected), errors as one plain line on stderr.
/// </summary>
internal static partial class OperatorConsole
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

    /// <summary>
    /// What went wrong, in one line: a port in use is named as such; otherwise the innermost message (Akka and the
    /// host wrap start-up failures in layers of "One or more errors occurred").
    /// </summary>
    public static string Describe(Exception exception)
    {
        var all = Flatten(exception).ToList();
        var bind = all.Select(e => BindFailure().Match(e.Message)).FirstOrDefault(m => m.Success);
        var inUse = all.OfType<SocketException>().Any(s => s.SocketErrorCode == SocketError.AddressAlreadyInUse);
        if (bind is not null || inUse)
            return $"cannot listen on {(bind is { } m ? m.Groups[1].Value : "its address")}: " +
                   (inUse ? "the address is in use (is another node running there?); choose another with --port." : "the address cannot be bound.");
        var innermost = all.LastOrDefault(e => e is not AggregateException) ?? exception;
        return innermost.Message.ReplaceLineEndings(" ");
    }

    private static IEnumerable<Exception> Flatten(Exception exception)
    {
        yield return exception;
        var inner = exception is AggregateException aggregate ? aggregate.InnerExceptions : exception.InnerException is { } one ? [one] : [];
        foreach (var child in inner)
            foreach (var e in Flatten(child))
                yield return e;
    }

    [GeneratedRegex(@"Failed to bind to \[?([^\s\[\]]+:\d+)")]
    private static partial Regex BindFailure();
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
