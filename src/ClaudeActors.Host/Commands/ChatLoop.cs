using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;

namespace ClaudeActors.Host.Commands;

/// <summary>
/// The conversation: read a line, run it as a turn (or a slash command), print the reply as it streams, repeat.
/// A failed turn is reported and the chat goes on (the session restarts a crashed CLI by itself); only the
/// session ending, the end of input, <c>/quit</c> or Ctrl-C at the prompt end the loop.
/// </summary>
internal sealed class ChatLoop(ClaudeSession session, ChatSignals signals, ChatConsole console)
{
    public const string NotAuthenticatedHint = "not authenticated: ANTHROPIC_API_KEY is missing or was refused by the API.";

    private const string Help = """
        /model NAME   switch the model for the next turns (/model alone shows it)
        /clear        start a new conversation
        /id           print the session id (for --resume)
        /context      how much of the context window the conversation uses
        /restart      restart the CLI; the conversation goes on
        /interrupt    interrupt the reply (press Ctrl-C while it streams)
        /quit         stop the session and leave (also: end of input)
        """;

    public async Task<int> RunAsync()
    {
        // Completes if the session actor stops on its own (e.g. its CLI kept crashing): nothing more can run.
        var ended = session.Actor.WatchAsync();
        if (console.Interactive) console.Note($"session '{session.Name}' is ready. /help lists the commands, /quit leaves.");
        while (true)
        {
            string? line;
            try
            {
                line = await console.ReadLineAsync(signals.Leaving);
            }
            catch (OperationCanceledException) when (signals.Leaving.IsCancellationRequested)
            {
                console.AbandonPrompt();
                return signals.ExitCode;
            }
            if (line is null) return ExitCodes.Ok;
            line = line.Trim();
            if (line.Length == 0) continue;

            var exit = line.StartsWith('/') ? await RunCommandAsync(line) : await RunTurnAsync(line);
            if (exit is { } code) return code;
            if (signals.Leaving.IsCancellationRequested) return signals.ExitCode;
            if (ended.IsCompleted)
            {
                console.Error("the session has ended; leaving the chat.");
                return ExitCodes.SessionEnded;
            }
        }
    }

    /// <summary>One turn. Returns an exit code only when the chat cannot go on.</summary>
    private async Task<int?> RunTurnAsync(string prompt)
    {
        var cancellation = signals.BeginTurn();
        try
        {
            await using var messages = session.StreamAsync(prompt, cancellationToken: cancellation).GetAsyncEnumerator(cancellation);
            var more = await console.WhileWaitingAsync(() => MoveToFirstOutputAsync(messages));
            var streamed = false;
            ResultMessage? result = null;
            while (more)
            {
                switch (messages.Current)
                {
                    case StreamEventMessage { TextDelta: { } delta }:
                        console.Reply(delta);
                        streamed = true;
                        break;
                    case ResultMessage r:
                        result = r;
                        break;
                }
                more = await messages.MoveNextAsync();
            }
            // Without partial messages (or a reply that arrived whole), the result carries the text.
            if (!streamed && result?.Result is { } text) console.Reply(text);
            console.EndReply();
            return null;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            console.EndPartialReply();
            if (!signals.Leaving.IsCancellationRequested) console.Note("(interrupted)");
            return null;
        }
        catch (QueryInterruptedException)
        {
            console.EndPartialReply();
            console.Note("(interrupted)");
            return null;
        }
        catch (ClaudeSessionException ex)
        {
            console.EndPartialReply();
            ReportFailure(ex.Failure);
            return ex.Failure.Kind == FailureKind.SessionStopped ? ExitCodes.SessionEnded : null;
        }
        finally
        {
            signals.EndTurn();
        }
    }

    /// <summary>Skips the messages that print nothing (init, message start, ...) up to the first text or the result.</summary>
    private static async Task<bool> MoveToFirstOutputAsync(IAsyncEnumerator<ClaudeMessage> messages)
    {
        while (await messages.MoveNextAsync())
            if (messages.Current is StreamEventMessage { TextDelta: not null } or ResultMessage) return true;
        return false;
    }

    private async Task<int?> RunCommandAsync(string line)
    {
        var space = line.IndexOf(' ');
        var command = (space < 0 ? line : line[..space]).ToLowerInvariant();
        var argument = space < 0 ? "" : line[(space + 1)..].Trim();
        switch (command)
        {
            case "/quit" or "/exit":
                return ExitCodes.Ok;
            case "/help":
                console.Note(Help.TrimEnd());
                return null;
            case "/interrupt":
                // Input is only read between turns, so there is never a reply to interrupt here.
                console.Note("nothing to interrupt: no reply is running. Press Ctrl-C while a reply streams to interrupt it.");
                return null;
            case "/id":
                return await RunControlAsync(async ct =>
                {
                    if (await session.GetSessionIdAsync(ct) is { } id) console.Data(id);
                    else console.Note("no session id yet: the next turn starts a conversation.");
                });
            case "/clear":
                return await RunControlAsync(async ct =>
                {
                    await session.ClearAsync(ct);
                    console.Note("conversation cleared: the next prompt starts a new one.");
                });
            case "/context":
                return await RunControlAsync(async ct =>
                {
                    var usage = await session.GetContextUsageAsync(cancellationToken: ct);
                    if (usage is { ValueKind: System.Text.Json.JsonValueKind.Object } u &&
                        u.TryGetProperty("totalTokens", out var total) && total.TryGetInt64(out var used) &&
                        u.TryGetProperty("maxTokens", out var limit) && limit.TryGetInt64(out var max) && max > 0)
                        console.Note($"context: {used:N0} of {max:N0} tokens ({100.0 * used / max:0.#}%)");
                    else console.Note("context: " + usage?.GetRawText());
                });
            case "/restart":
                return await RunControlAsync(async ct =>
                {
                    var info = await session.RestartAsync(ct);
                    console.Note($"restarted: CLI process {info.CliProcessId}, same conversation ({info.SessionId}).");
                });
            case "/model" when argument.Length == 0:
                return await RunControlAsync(async ct =>
                    console.Note("model: " + ((await session.GetInfoAsync(ct)).Model ?? "the CLI's default")));
            case "/model":
                return await RunControlAsync(async ct =>
                {
                    await session.SetModelAsync(argument, ct);
                    console.Note("model: " + argument);
                });
            default:
                console.Error($"unknown command {command}; /help lists the commands.");
                return null;
        }
    }

    /// <summary>Runs a control request; Ctrl-C abandons it, failures are reported.</summary>
    private async Task<int?> RunControlAsync(Func<CancellationToken, Task> request)
    {
        var cancellation = signals.BeginTurn();
        try
        {
            await request(cancellation);
            return null;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return null;
        }
        catch (ClaudeSessionException ex)
        {
            ReportFailure(ex.Failure);
            return ex.Failure.Kind == FailureKind.SessionStopped ? ExitCodes.SessionEnded : null;
        }
        catch (AskTimeoutException)
        {
            console.Error("the session did not answer in time.");
            return null;
        }
        finally
        {
            signals.EndTurn();
        }
    }

    private void ReportFailure(SessionFailure failure)
    {
        if (failure.Kind == FailureKind.NotAuthenticated)
            console.Error(NotAuthenticatedHint + " " + failure.Message);
        else
            console.Error(failure.ToString(), failure.StderrTail);
    }
}
