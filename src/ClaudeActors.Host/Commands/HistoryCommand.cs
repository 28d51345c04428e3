using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeActors.History;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using Spectre.Console;

namespace ClaudeActors.Host.Commands;

/// <summary>
/// <c>claude-actors history SESSION_ID</c>: prints a conversation from the CLI's transcript
/// (<c>$CLAUDE_CONFIG_DIR/projects/*/SESSION_ID.jsonl</c>): each message's role and text, tool uses and tool
/// results summarised; <c>--json</c> prints each message as one JSON line instead. No node is started.
/// </summary>
internal static class HistoryCommand
{
    private const int SummaryLength = 200;

    public static Command Create()
    {
        var id = new Argument<string?>("SESSION_ID")
        {
            Description = "The conversation's session id (a UUID, as printed by the chat's /id or `sessions list`). Without it: list the stored conversations.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var cwd = new Option<string?>("--cwd") { Description = "With no SESSION_ID: only the conversations of this working directory.", HelpName = "DIR" };
        var json = new Option<bool>("--json") { Description = "Print each message as one JSON line (the CLI's stream-json form)." };
        var configDir = new Option<string?>("--config-dir")
        {
            Description = "The CLI's config dir holding projects/. Default: $CLAUDE_CONFIG_DIR, then ~/.claude.",
            HelpName = "DIR",
        };
        var command = new Command("history", "Print a conversation from the claude CLI's transcript on this machine, or list the stored ones.")
        {
            id, json, configDir, cwd,
        };
        command.SetAction((parse, _) => parse.GetValue(id) is { } sessionId
            ? RunAsync(sessionId, parse.GetValue(json), parse.GetValue(configDir))
            : ListAsync(parse.GetValue(json), parse.GetValue(configDir), parse.GetValue(cwd)));
        return command;
    }

    private static async Task<int> RunAsync(string sessionId, bool json, string? configDir)
    {
        if (configDir is not null && !Directory.Exists(configDir))
        {
            OperatorConsole.Error($"the config dir '{configDir}' does not exist.");
            return ExitCodes.Usage;
        }
        Conversation conversation;
        try
        {
            conversation = await ConversationHistory.ReadAsync(sessionId.Trim(), configDir);
        }
        catch (InvalidSessionRequestException)
        {
            OperatorConsole.Error($"'{sessionId}' is not a session id: a session id is a UUID like 123e4567-e89b-12d3-a456-426614174000.");
            return ExitCodes.Usage;
        }
        catch (SessionNotFoundException ex)
        {
            OperatorConsole.Error(ex.Failure.Message);
            return ExitCodes.NotFound;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            OperatorConsole.Error("the transcript cannot be read: " + ex.Message);
            return ExitCodes.Failure;
        }

        foreach (var problem in conversation.Problems)
            OperatorConsole.Note($"warning: {Path.GetFileName(conversation.FilePath)} line {problem.LineNumber} skipped: {problem.Reason}");
        var output = Console.Out;
        foreach (var message in conversation.Messages)
        {
            if (json)
            {
                output.WriteLine(ToJsonLine(message));
                continue;
            }
            var (role, content) = message switch
            {
                UserMessage u => (string.IsNullOrEmpty(u.Message.Role) ? "user" : u.Message.Role, u.Message.Content),
                AssistantMessage a => (string.IsNullOrEmpty(a.Message.Role) ? "assistant" : a.Message.Role, a.Message.Content),
                _ => (message.Type, (IReadOnlyList<ContentBlock>)[]),
            };
            foreach (var block in content)
                output.WriteLine($"{role}: {Describe(block)}");
        }
        if (!json && conversation.Messages.Count == 0) OperatorConsole.Note("the conversation has no messages yet.");
        await output.FlushAsync();
        return ExitCodes.Ok;
    }

    private static async Task<int> ListAsync(bool json, string? configDir, string? cwd)
    {
        if (configDir is not null && !Directory.Exists(configDir))
        {
            OperatorConsole.Error($"the config dir '{configDir}' does not exist.");
            return ExitCodes.Usage;
        }
        var sessions = await StoredSessions.ListAsync(configDir, cwd);
        if (json)
        {
            foreach (var s in sessions)
                Console.Out.WriteLine(new JsonObject
                {
                    ["session_id"] = s.SessionId, ["cwd"] = s.WorkingDirectory, ["last_modified"] = s.LastModified.ToString("O"),
                    ["size_bytes"] = s.SizeBytes, ["summary"] = s.Summary, ["first_prompt"] = s.FirstPrompt,
                }.ToJsonString());
            return ExitCodes.Ok;
        }
        if (sessions.Count == 0)
        {
            OperatorConsole.Note("no stored conversations.");
            return ExitCodes.Ok;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumns("session id", "last modified", "directory", "first prompt");
        foreach (var s in sessions)
            table.AddRow(s.SessionId, s.LastModified.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                Markup.Escape(s.WorkingDirectory ?? "-"), Markup.Escape(Summarise(s.Summary ?? s.FirstPrompt ?? "-")));
        OperatorConsole.CreateOutput().Write(table);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The message's wire JSON. <see cref="MessageJson"/> also writes each record's computed <c>Type</c> property
    /// next to the wire <c>type</c> (messages and content blocks); the copy is dropped here where it duplicates
    /// <c>type</c>, so the lines read like the CLI's own.
    /// </summary>
    private static string ToJsonLine(ClaudeMessage message) => message.ToJsonLine();

    /// <summary>Text as written; everything else as one bracketed line.</summary>
    private static string Describe(ContentBlock block) => block switch
    {
        TextBlock text => text.Text.TrimEnd(),
        ToolUseBlock use => $"[tool: {use.Name} {Summarise(use.Input.ValueKind == JsonValueKind.Undefined ? "{}" : use.Input.GetRawText())}]",
        ToolResultBlock result => $"[tool result{(result.IsError == true ? " (error)" : "")}: {Summarise(result.ContentText)}]",
        ThinkingBlock thinking => $"[thinking: {thinking.Thinking.Length} characters]",
        _ => $"[{block.Type}]",
    };

    /// <summary>One line, at most <see cref="SummaryLength"/> characters.</summary>
    private static string Summarise(string text)
    {
        var line = new StringBuilder(text.Length);
        foreach (var c in text) line.Append(char.IsControl(c) ? ' ' : c);
        var flat = line.ToString().Trim();
        return flat.Length <= SummaryLength ? flat : flat[..SummaryLength] + "…";
    }
}
