using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClaudeActors.Protocol;

/// <summary>
/// One block of a message's content. The CLI may put <c>"type"</c> anywhere in the object and add block
/// types at any release: unknown types become <see cref="UnknownBlock"/>.
/// </summary>
public abstract record ContentBlock
{
    /// <summary>The wire <c>type</c> of the block.</summary>
    [JsonIgnore]
    public abstract string Type { get; }
}

/// <summary>Text written by the model or the user.</summary>
public sealed record TextBlock : ContentBlock
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => "text";

    /// <summary>The text.</summary>
    [JsonPropertyName("text")] public string Text { get; init; } = "";
}

/// <summary>The model's visible reasoning.</summary>
public sealed record ThinkingBlock : ContentBlock
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => "thinking";

    /// <summary>The reasoning text.</summary>
    [JsonPropertyName("thinking")] public string Thinking { get; init; } = "";

    /// <summary>The signature that lets the API verify the block.</summary>
    [JsonPropertyName("signature")] public string? Signature { get; init; }
}

/// <summary>The model asks for a tool to run.</summary>
public sealed record ToolUseBlock : ContentBlock
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => "tool_use";

    /// <summary>The tool use id that the matching <see cref="ToolResultBlock"/> refers to.</summary>
    [JsonPropertyName("id")] public string Id { get; init; } = "";

    /// <summary>The tool's name (<c>Bash</c>, <c>Write</c>, <c>mcp__server__tool</c>, ...).</summary>
    [JsonPropertyName("name")] public string Name { get; init; } = "";

    /// <summary>The tool's input, raw JSON.</summary>
    [JsonPropertyName("input")] public JsonElement Input { get; init; }
}

/// <summary>The result of a tool, fed back to the model.</summary>
public sealed record ToolResultBlock : ContentBlock
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => "tool_result";

    /// <summary>The id of the tool use this answers.</summary>
    [JsonPropertyName("tool_use_id")] public string ToolUseId { get; init; } = "";

    /// <summary>The result: a string or a list of blocks, raw.</summary>
    [JsonPropertyName("content")] public JsonElement? Content { get; init; }

    /// <summary>True when the tool failed or was denied.</summary>
    [JsonPropertyName("is_error")] public bool? IsError { get; init; }

    /// <summary>The result's text: the string itself, or the text blocks joined.</summary>
    [JsonIgnore]
    public string ContentText
    {
        get
        {
            if (Content is not { } c) return "";
            if (c.ValueKind == JsonValueKind.String) return c.GetString() ?? "";
            if (c.ValueKind != JsonValueKind.Array) return c.GetRawText();
            var parts = new List<string>();
            foreach (var item in c.EnumerateArray())
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                    parts.Add(t.GetString()!);
            return string.Join("\n", parts);
        }
    }
}

/// <summary>A block of a type this library does not know (e.g. <c>redacted_thinking</c>, <c>image</c>): kept raw.</summary>
public sealed record UnknownBlock : ContentBlock
{
    /// <summary>Creates an unknown block from its wire type and raw JSON.</summary>
    public UnknownBlock(string type, JsonElement raw)
    {
        WireType = type;
        Raw = raw;
    }

    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => WireType;

    /// <summary>The <c>type</c> field as written.</summary>
    public string WireType { get; }

    /// <summary>The whole block.</summary>
    public JsonElement Raw { get; }
}

/// <summary>
/// Reads a content block by looking up its <c>type</c> wherever it sits in the object, then reading the
/// object once with the concrete type's generated metadata.
/// </summary>
internal sealed class ContentBlockConverter : JsonConverter<ContentBlock>
{
    public override ContentBlock? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("A content block must be a JSON object.");
        var type = JsonTypeScanner.FindType(reader) ?? "";
        var context = ProtocolJsonContext.Default;
        return type switch
        {
            "text" => JsonSerializer.Deserialize(ref reader, context.TextBlock),
            "thinking" => JsonSerializer.Deserialize(ref reader, context.ThinkingBlock),
            "tool_use" => JsonSerializer.Deserialize(ref reader, context.ToolUseBlock),
            "tool_result" => JsonSerializer.Deserialize(ref reader, context.ToolResultBlock),
            _ => new UnknownBlock(type, JsonElement.ParseValue(ref reader)),
        };
    }

    public override void Write(Utf8JsonWriter writer, ContentBlock value, JsonSerializerOptions options)
    {
        var context = ProtocolJsonContext.Default;
        switch (value)
        {
            case UnknownBlock unknown:
                unknown.Raw.WriteTo(writer);
                return;
            case TextBlock text:
                WriteTyped(writer, text, context.TextBlock);
                return;
            case ThinkingBlock thinking:
                WriteTyped(writer, thinking, context.ThinkingBlock);
                return;
            case ToolUseBlock toolUse:
                WriteTyped(writer, toolUse, context.ToolUseBlock);
                return;
            case ToolResultBlock toolResult:
                WriteTyped(writer, toolResult, context.ToolResultBlock);
                return;
            default:
                throw new JsonException($"Unsupported content block {value.GetType().Name}.");
        }
    }

    // The concrete types carry no "type" property of their own (it is [JsonIgnore] computed), so it is written first here.
    private static void WriteTyped<T>(Utf8JsonWriter writer, T block, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) where T : ContentBlock
    {
        using var doc = JsonSerializer.SerializeToDocument(block, info);
        writer.WriteStartObject();
        writer.WriteString("type", block.Type);
        foreach (var property in doc.RootElement.EnumerateObject()) property.WriteTo(writer);
        writer.WriteEndObject();
    }
}

/// <summary>Message content is either a plain string (one text block) or a list of blocks.</summary>
internal sealed class ContentListConverter : JsonConverter<IReadOnlyList<ContentBlock>>
{
    private static readonly ContentBlockConverter Block = new();

    public override IReadOnlyList<ContentBlock> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return [new TextBlock { Text = reader.GetString() ?? "" }];
            case JsonTokenType.Null:
                return [];
            case JsonTokenType.StartArray:
                var blocks = new List<ContentBlock>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var block = Block.Read(ref reader, typeof(ContentBlock), options);
                    if (block is not null) blocks.Add(block);
                }
                return blocks;
            default:
                throw new JsonException("Message content must be a string or an array of blocks.");
        }
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<ContentBlock> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var block in value) Block.Write(writer, block, options);
        writer.WriteEndArray();
    }
}
