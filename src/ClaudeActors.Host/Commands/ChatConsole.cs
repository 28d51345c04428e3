using Spectre.Console;

namespace ClaudeActors.Host.Commands;

/// <summary>
/// The chat's terminal I/O. stdout carries only replies (and what /id prints), so <c>chat &gt; reply.txt</c> and
/// pipes work; the prompt, the spinner, notes and errors go to stderr. Spectre.Console is used only where a
/// terminal is on the other end (prompt, spinner): errors are written plainly so they stay one line when
/// stderr is a file (Spectre would wrap them at 80 columns).
/// </summary>
internal sealed class ChatConsole
{
    private readonly bool _verbose;
    private readonly bool _colors;
    private readonly IAnsiConsole? _terminal;
    private readonly bool _spinner;
    private bool _midLine;

    public ChatConsole(bool verbose)
    {
        _verbose = verbose;
        _colors = !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
        Interactive = !Console.IsInputRedirected;
        // The spinner is drawn on stderr, but only makes sense when the reply it waits for appears on the same screen.
        _spinner = !Console.IsOutputRedirected && !Console.IsErrorRedirected;
        if (Interactive || _spinner)
        {
            _terminal = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(Console.Error),
                // Created only for a person at a terminal (typing, or watching the spinner).
                Interactive = InteractionSupport.Yes,
                ColorSystem = _colors ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            });
        }
    }

    /// <summary>True when a person types the input (stdin is a terminal).</summary>
    public bool Interactive { get; }

    /// <summary>The next line of input, or null at the end of input.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        // Neither read stops promptly when cancelled (Console.In has no asynchronous read; Spectre's prompt keeps
        // polling keys), so each runs on the pool and is abandoned on Ctrl-C: the process is about to exit.
        if (_terminal is not null && Interactive)
        {
            var prompt = new TextPrompt<string>("[bold green]you>[/]").AllowEmpty();
            return await Task.Run(() => prompt.ShowAsync(_terminal, CancellationToken.None), CancellationToken.None).WaitAsync(cancellationToken);
        }
        return await Task.Run(Console.In.ReadLine, CancellationToken.None).WaitAsync(cancellationToken);
    }

    /// <summary>Leaves the prompt's line when the chat ends while it waits for input.</summary>
    public void AbandonPrompt()
    {
        if (Interactive) Console.Error.WriteLine();
    }

    /// <summary>Runs <paramref name="wait"/> (until the reply's first token) under a spinner when a person is watching.</summary>
    public Task<T> WhileWaitingAsync<T>(Func<Task<T>> wait) =>
        _spinner && _terminal is not null
            ? _terminal.Status().Spinner(Spinner.Known.Dots).SpinnerStyle(new Style(Color.Grey)).StartAsync("[grey]thinking…[/]", _ => wait())
            : wait();

    /// <summary>A piece of the reply, as it streams.</summary>
    public void Reply(string text)
    {
        if (text.Length == 0) return;
        Console.Out.Write(text);
        Console.Out.Flush();
        _midLine = !text.EndsWith('\n');
    }

    /// <summary>Ends the reply with a newline.</summary>
    public void EndReply()
    {
        Console.Out.WriteLine();
        _midLine = false;
    }

    /// <summary>Ends a reply cut short, if part of it was printed.</summary>
    public void EndPartialReply()
    {
        if (_midLine) EndReply();
    }

    /// <summary>A value the user asked for (e.g. the session id): stdout, so it can be captured.</summary>
    public void Data(string text) => Console.Out.WriteLine(text);

    /// <summary>Status for the person at the keyboard.</summary>
    public void Note(string text) => Console.Error.WriteLine(_colors ? $"\e[2m{text}\e[0m" : text);

    /// <summary>One line <c>error: ...</c> on stderr; <paramref name="detail"/> (the CLI's stderr tail) only with --verbose.</summary>
    public void Error(string message, string? detail = null)
    {
        var line = "error: " + message.ReplaceLineEndings(" ");
        Console.Error.WriteLine(_colors ? $"\e[31m{line}\e[0m" : line);
        if (_verbose && !string.IsNullOrWhiteSpace(detail))
            Console.Error.WriteLine("CLI stderr (tail):" + Environment.NewLine + detail.TrimEnd());
    }
}
