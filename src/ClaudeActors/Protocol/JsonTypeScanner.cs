using System.Text.Json;

namespace ClaudeActors.Protocol;

/// <summary>
/// Finds the <c>"type"</c> property among the top-level properties of a JSON object without materialising
/// anything: other values are skipped. The CLI writes <c>type</c> anywhere (a <c>result</c> line has it ~30 keys in).
/// </summary>
internal static class JsonTypeScanner
{
    private static ReadOnlySpan<byte> TypeName => "type"u8;

    /// <summary>Scans a copy of <paramref name="reader"/>, positioned on a StartObject; the caller's reader does not move.</summary>
    public static string? FindType(Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) return null;
        var depth = reader.CurrentDepth;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth) return null;
            if (reader.TokenType != JsonTokenType.PropertyName) continue;
            var isType = reader.ValueTextEquals(TypeName);
            if (!reader.Read()) return null;
            if (isType) return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            reader.Skip();
        }
        return null;
    }
}
