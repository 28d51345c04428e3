namespace ClaudeActors.FakeCli;

/// <summary>
/// The reply rules (the same as the test kit's fake Messages API), computed from the conversation:
/// "My name is X" → "Nice to meet you, X."; "What is my name?" → "Your name is X!" / "I don't know your name.";
/// "Remember: the code is N" → "OK, I will remember the code."; "What was the code?" → "The code is N.";
/// "Say exactly: T" → T; "What is your system prompt?" → the system prompt; else "Echo: &lt;text&gt;".
/// Checked in this order: say exactly, name question, code question, name statement, code statement.
/// </summary>
internal static class Replies
{
    private const StringComparison Ci = StringComparison.OrdinalIgnoreCase;

    /// <param name="text">This turn's user text (directives stripped).</param>
    /// <param name="history">The conversation so far; its last entry is this turn's user message.</param>
    public static string Compute(string text, IReadOnlyList<HistoryEntry> history, string? systemPrompt)
    {
        text = text.Trim();
        if (text.StartsWith("Say exactly:", Ci))
        {
            var rest = text["Say exactly:".Length..];
            return rest.Length > 0 && char.IsWhiteSpace(rest[0]) ? rest[1..] : rest;
        }

        // Memory looks at the earlier user messages only (like the fake Messages API).
        var earlier = history.Count - 1;
        if (text.Contains("what is my name", Ci) || text.Contains("what's my name", Ci) ||
            text.Contains("what\u2019s my name", Ci))
        {
            for (var i = earlier - 1; i >= 0; i--)
            {
                if (history[i].Type == "user" && Name(history[i].Text, last: true) is { } known)
                {
                    return $"Your name is {known}!";
                }
            }

            return "I don't know your name.";
        }

        if (text.Contains("what was the code", Ci) || text.Contains("what is the code", Ci) ||
            text.Contains("what's the code", Ci))
        {
            for (var i = earlier - 1; i >= 0; i--)
            {
                if (history[i].Type == "user" && Code(history[i].Text, last: true) is { } code)
                {
                    return $"The code is {code}.";
                }
            }

            return "I don't know the code.";
        }

        if (Name(text, last: false) is { } name)
        {
            return $"Nice to meet you, {name}.";
        }

        if (Code(text, last: false) is not null)
        {
            return "OK, I will remember the code.";
        }

        if (text.Contains("what is your system prompt", Ci))
        {
            return string.IsNullOrEmpty(systemPrompt) ? "I have no system prompt." : $"My system prompt is: {systemPrompt}";
        }

        return "Echo: " + text;
    }

    /// <summary>X of "my name is X" (up to . ! ? , ; or a line end), the first or the last occurrence.</summary>
    private static string? Name(string text, bool last)
    {
        const string Marker = "my name is ";
        var at = last ? text.LastIndexOf(Marker, Ci) : text.IndexOf(Marker, Ci);
        if (at < 0)
        {
            return null;
        }

        var rest = text.AsSpan(at + Marker.Length).TrimStart();
        var end = rest.IndexOfAny(".!?,;\n\r");
        var name = (end < 0 ? rest : rest[..end]).Trim();
        return name.Length == 0 ? null : name.ToString();
    }

    /// <summary>N of "Remember: the code is N" (colon optional; N up to whitespace or . ! ? , ;).</summary>
    private static string? Code(string text, bool last)
    {
        const string Marker = "the code is ";
        var at = last ? text.LastIndexOf(Marker, Ci) : text.IndexOf(Marker, Ci);
        while (at >= 0)
        {
            var before = text.AsSpan(0, at).TrimEnd();
            if (before.EndsWith(":"))
            {
                before = before[..^1];
            }

            if (before.EndsWith("remember", Ci))
            {
                var rest = text.AsSpan(at + Marker.Length).TrimStart();
                var end = rest.IndexOfAny(" \t\r\n.!?,;");
                var code = end < 0 ? rest : rest[..end];
                return code.Length == 0 ? null : code.ToString();
            }

            at = last
                ? (at == 0 ? -1 : text.LastIndexOf(Marker, at - 1, Ci))
                : text.IndexOf(Marker, at + 1, Ci);
        }

        return null;
    }
}
