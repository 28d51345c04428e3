using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ClaudeActors.Testing;

/// <summary>Text helpers and the default answer rules of <see cref="FakeMessagesApi"/>.</summary>
internal static partial class FakeApiText
{
    [GeneratedRegex(@"<system-reminder>.*?(</system-reminder>|$)", RegexOptions.Singleline)]
    private static partial Regex SystemReminder();

    [GeneratedRegex(@"^\[(slow|error|tool):([^\]]*)\]\s*", RegexOptions.IgnoreCase)]
    private static partial Regex Directive();

    [GeneratedRegex(@"\bmy name is\s+([^\r\n.!?,;]+)", RegexOptions.IgnoreCase)]
    private static partial Regex NameStatement();

    [GeneratedRegex(@"\bwhat(?:'s|\s+is)\s+my\s+name\b", RegexOptions.IgnoreCase)]
    private static partial Regex NameQuestion();

    [GeneratedRegex(@"\bremember:?\s+the code is\s+([^\s.!?,;]+)", RegexOptions.IgnoreCase)]
    private static partial Regex CodeStatement();

    [GeneratedRegex(@"\bwhat(?:'s|\s+is|\s+was)\s+the\s+code\b", RegexOptions.IgnoreCase)]
    private static partial Regex CodeQuestion();

    [GeneratedRegex(@"^say exactly:\s?", RegexOptions.IgnoreCase)]
    private static partial Regex SayExactly();

    /// <summary>Removes CLI-injected content from a text block: whole blocks that start with a known
    /// injected tag become empty, and <c>&lt;system-reminder&gt;</c> sections are cut out.</summary>
    public static string StripInjected(string text)
    {
        var t = text.TrimStart();
        if (t.StartsWith("<local-command-", StringComparison.Ordinal) || t.StartsWith("<command-", StringComparison.Ordinal))
            return "";
        t = SystemReminder().Replace(text, "").Trim();
        return t.StartsWith("[Request interrupted by user", StringComparison.Ordinal) ? "" : t;
    }

    /// <summary>Removes leading directives (<c>[slow:..]</c>, <c>[error:..]</c>, <c>[tool:..]</c>) from a text.</summary>
    public static string StripDirectives(string text)
    {
        while (true)
        {
            var m = Directive().Match(text);
            if (!m.Success) return text;
            text = text[m.Length..];
        }
    }

    /// <summary>The default answer for a conversation request (directives included).</summary>
    public static FakeReply DefaultReply(FakeApiRequest request)
    {
        var last = request.LastUserMessage;
        if (last is null) return FakeReply.Text("Echo: ");

        // A tool_result after the last typed text of the last user message: report it.
        var lastResult = -1;
        var lastText = -1;
        for (var i = 0; i < last.Content.Count; i++)
        {
            var block = last.Content[i];
            if (block.Type == "tool_result") lastResult = i;
            else if (block.Type == "text" && StripInjected(block.Text ?? "").Length > 0) lastText = i;
        }
        if (lastResult > lastText)
        {
            var text = last.Content[lastResult].ToolResultText ?? "";
            if (text.Length > 200) text = text[..200];
            return FakeReply.Text("Tool result received: " + text);
        }
        var userText = request.LastUserText;

        // Directives, in any order, at the start of the last user text.
        TimeSpan? slow = null;
        var rest = userText;
        while (true)
        {
            var m = Directive().Match(rest);
            if (!m.Success) break;
            var kind = m.Groups[1].Value.ToLowerInvariant();
            var arg = m.Groups[2].Value.Trim();
            rest = rest[m.Length..];
            switch (kind)
            {
                case "slow" when int.TryParse(arg, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms):
                    slow = TimeSpan.FromMilliseconds(ms);
                    break;
                case "error" when int.TryParse(arg, NumberStyles.Integer, CultureInfo.InvariantCulture, out var status):
                    var error = FakeReply.Error(status, ErrorTypeFor(status), $"Fake API error {status} (requested by directive)");
                    return slow is { } e ? error.WithInitialDelay(e) : error;
                case "tool":
                    var tool = ToolDirective(arg);
                    return slow is { } t ? tool.WithChunkDelay(t) : tool;
            }
        }

        var all = request.UserTexts;
        var earlier = all.Take(Math.Max(0, all.Count - 1)).Select(StripDirectives).ToList();
        var reply = FakeReply.Text(Answer(rest.Trim(), earlier));
        return slow is { } d ? reply.WithChunkDelay(d, 10) : reply;
    }

    private static FakeReply ToolDirective(string arg)
    {
        var space = arg.IndexOf(' ');
        var name = space < 0 ? arg : arg[..space];
        JsonNode input = new JsonObject();
        if (space >= 0)
        {
            try { input = JsonNode.Parse(arg[(space + 1)..]) ?? new JsonObject(); }
            catch (System.Text.Json.JsonException) { input = new JsonObject(); }
        }
        return FakeReply.ToolUse(name, input);
    }

    /// <summary>The default rule on one user text, given the earlier user texts of the same request.</summary>
    public static string Answer(string text, IReadOnlyList<string> earlier)
    {
        var say = SayExactly().Match(text);
        if (say.Success) return text[say.Length..];

        if (NameQuestion().IsMatch(text))
        {
            var name = LastMatch(NameStatement(), earlier);
            return name is null ? "I don't know your name." : $"Your name is {name}!";
        }
        if (CodeQuestion().IsMatch(text))
        {
            var code = LastMatch(CodeStatement(), earlier);
            return code is null ? "I don't know the code." : $"The code is {code}.";
        }
        var own = NameStatement().Match(text);
        if (own.Success) return $"Nice to meet you, {own.Groups[1].Value.Trim()}.";
        if (CodeStatement().IsMatch(text)) return "OK, I will remember the code.";
        return "Echo: " + text;
    }

    private static string? LastMatch(Regex regex, IReadOnlyList<string> texts)
    {
        for (var i = texts.Count - 1; i >= 0; i--)
        {
            var matches = regex.Matches(texts[i]);
            if (matches.Count > 0) return matches[^1].Groups[1].Value.Trim();
        }
        return null;
    }

    /// <summary>The Anthropic error type for an HTTP status.</summary>
    public static string ErrorTypeFor(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        504 => "timeout_error",
        _ => status >= 500 ? "api_error" : "invalid_request_error",
    };
}
