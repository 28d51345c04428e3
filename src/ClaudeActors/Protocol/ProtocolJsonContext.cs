using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ClaudeActors.Protocol;

/// <summary>Source-generated metadata for every type of the wire protocol: no reflection on the hot path.</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(ContentBlockConverter)])]
[JsonSerializable(typeof(SystemMessage))]
[JsonSerializable(typeof(AssistantMessage))]
[JsonSerializable(typeof(UserMessage))]
[JsonSerializable(typeof(ResultMessage))]
[JsonSerializable(typeof(StreamEventMessage))]
[JsonSerializable(typeof(ControlRequestMessage))]
[JsonSerializable(typeof(ControlResponseMessage))]
[JsonSerializable(typeof(ControlCancelRequestMessage))]
[JsonSerializable(typeof(TextBlock))]
[JsonSerializable(typeof(ThinkingBlock))]
[JsonSerializable(typeof(ToolUseBlock))]
[JsonSerializable(typeof(ToolResultBlock))]
[JsonSerializable(typeof(ContentBlock))]
[JsonSerializable(typeof(OutboundUserLine))]
[JsonSerializable(typeof(OutboundControlRequest))]
[JsonSerializable(typeof(OutboundControlResponse))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
