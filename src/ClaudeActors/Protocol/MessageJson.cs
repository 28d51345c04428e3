using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClaudeActors.Protocol;

/// <summary>Writes a <see cref="ClaudeMessage"/> back to its wire JSON (with <c>type</c>), so it can cross nodes and be parsed again.</summary>
internal static class MessageJson
{
    public static JsonObject ToNode(ClaudeMessage message)
    {
        var context = ProtocolJsonContext.Default;
        JsonNode? node = message switch
        {
            UnknownMessage unknown => JsonNode.Parse(unknown.Raw.GetRawText()),
            TranscriptMirrorMessage m => new JsonObject
            {
                ["filePath"] = m.FilePath,
                ["entries"] = new JsonArray(m.Entries.Select(e => JsonNode.Parse(e)).ToArray()),
            },
            SystemMessage m => JsonSerializer.SerializeToNode(m, context.SystemMessage),
            AssistantMessage m => JsonSerializer.SerializeToNode(m, context.AssistantMessage),
            UserMessage m => JsonSerializer.SerializeToNode(m, context.UserMessage),
            ResultMessage m => JsonSerializer.SerializeToNode(m, context.ResultMessage),
            StreamEventMessage m => JsonSerializer.SerializeToNode(m, context.StreamEventMessage),
            ControlRequestMessage m => JsonSerializer.SerializeToNode(m, context.ControlRequestMessage),
            ControlResponseMessage m => JsonSerializer.SerializeToNode(m, context.ControlResponseMessage),
            ControlCancelRequestMessage m => JsonSerializer.SerializeToNode(m, context.ControlCancelRequestMessage),
            _ => throw new JsonException("Unsupported message " + message.GetType().Name),
        };
        var obj = node as JsonObject ?? new JsonObject();
        if (message is UnknownMessage) return obj;
        // "type" first, once: a parsed message also keeps its wire "type" among the extension data.
        var line = new JsonObject { ["type"] = message.Type };
        foreach (var (name, value) in obj.ToList())
        {
            if (name == "type") continue;
            obj.Remove(name);
            line[name] = value;
        }
        return line;
    }

    public static string ToLine(ClaudeMessage message) => ToNode(message).ToJsonString();
}
