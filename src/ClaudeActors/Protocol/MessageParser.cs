using System.Text;
using System.Text.Json;

namespace ClaudeActors.Protocol;

/// <summary>The outcome of parsing one stdout line: a message, or why the line was not one.</summary>
internal readonly record struct ParseResult(ClaudeMessage? Message, string? Error, int Length)
{
    public bool IsSuccess => Message is not null;
}

/// <summary>
/// Turns one stdout line of the CLI into a <see cref="ClaudeMessage"/>. Each line is read once: a cheap scan
/// finds <c>type</c>, then the concrete type is read with generated metadata. Unknown types become
/// <see cref="UnknownMessage"/>; a line that is not a JSON object is reported, never thrown.
/// </summary>
internal static class MessageParser
{
    public static ParseResult Parse(ReadOnlySpan<byte> line)
    {
        line = TrimWhitespace(line);
        if (line.IsEmpty) return new ParseResult(null, "empty line", 0);
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return new ParseResult(null, "not a JSON object", line.Length);
            var type = JsonTypeScanner.FindType(reader);
            var context = ProtocolJsonContext.Default;
            ClaudeMessage? message = type switch
            {
                "system" => JsonSerializer.Deserialize(line, context.SystemMessage),
                "assistant" => JsonSerializer.Deserialize(line, context.AssistantMessage),
                "user" => JsonSerializer.Deserialize(line, context.UserMessage),
                "result" => JsonSerializer.Deserialize(line, context.ResultMessage),
                "stream_event" => JsonSerializer.Deserialize(line, context.StreamEventMessage),
                "control_request" => JsonSerializer.Deserialize(line, context.ControlRequestMessage),
                "control_response" => JsonSerializer.Deserialize(line, context.ControlResponseMessage),
                "control_cancel_request" => JsonSerializer.Deserialize(line, context.ControlCancelRequestMessage),
                "transcript_mirror" => TranscriptMirrorMessage.Read(line, reader),
                _ => new UnknownMessage(type ?? "", ParseRaw(line)),
            };
            if (message is null) return new ParseResult(null, "null message", line.Length);
            // "type" is the record's own Type, not an unknown field.
            if (message.ExtensionData is { } extra && extra.Remove("type") && extra.Count == 0) message.ExtensionData = null;
            return new ParseResult(message, null, line.Length);
        }
        catch (JsonException ex)
        {
            // A known type with an unexpected shape is still surfaced, raw, if the line is at least valid JSON.
            if (TryParseRaw(line, out var raw))
                return new ParseResult(new UnknownMessage(RawType(raw), raw), null, line.Length);
            return new ParseResult(null, "invalid JSON: " + ex.Message, line.Length);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException or DecoderFallbackException)
        {
            return new ParseResult(null, "invalid JSON: " + ex.Message, line.Length);
        }
    }

    public static ParseResult Parse(string line) => Parse(Encoding.UTF8.GetBytes(line));

    private static JsonElement ParseRaw(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        return JsonElement.ParseValue(ref reader);
    }

    private static bool TryParseRaw(ReadOnlySpan<byte> line, out JsonElement raw)
    {
        try
        {
            raw = ParseRaw(line);
            return raw.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            raw = default;
            return false;
        }
    }

    private static string RawType(JsonElement raw) =>
        raw.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";

    private static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> line)
    {
        var start = 0;
        while (start < line.Length && line[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') start++;
        var end = line.Length;
        while (end > start && line[end - 1] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') end--;
        return line[start..end];
    }
}
