using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ClaudeActors.Protocol;

internal sealed record OutboundUserContent(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("content")] JsonNode Content);

internal sealed record OutboundUserLine(
    [property: JsonPropertyName("message")] OutboundUserContent Message,
    [property: JsonPropertyName("session_id")] string SessionId)
{
    [JsonPropertyName("type")] public string Type => "user";

    [JsonPropertyName("parent_tool_use_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? ParentToolUseId => null;
}

internal sealed record OutboundControlRequest(
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("request")] JsonObject Request)
{
    [JsonPropertyName("type")] public string Type => "control_request";
}

internal sealed record OutboundControlResponseBody(
    [property: JsonPropertyName("subtype")] string Subtype,
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("response")] JsonNode? Response,
    [property: JsonPropertyName("error")] string? Error);

internal sealed record OutboundControlResponse(
    [property: JsonPropertyName("response")] OutboundControlResponseBody Response)
{
    [JsonPropertyName("type")] public string Type => "control_response";
}

/// <summary>
/// Builds every line the host writes to the CLI's stdin, by serialising typed records: one malformed stdin
/// line kills the CLI, so caller text is never written raw. Each frame ends with a single <c>\n</c>.
/// </summary>
internal static class OutboundFrames
{
    public static byte[] UserText(string prompt) =>
        Frame(new OutboundUserLine(new OutboundUserContent("user", JsonValue.Create(prompt)), ""), ProtocolJsonContext.Default.OutboundUserLine);

    public static byte[] ControlRequest(string requestId, JsonObject request) =>
        Frame(new OutboundControlRequest(requestId, request), ProtocolJsonContext.Default.OutboundControlRequest);

    public static byte[] ControlSuccess(string requestId, JsonNode? response) =>
        Frame(new OutboundControlResponse(new OutboundControlResponseBody("success", requestId, response ?? new JsonObject(), null)),
            ProtocolJsonContext.Default.OutboundControlResponse);

    public static byte[] ControlError(string requestId, string error) =>
        Frame(new OutboundControlResponse(new OutboundControlResponseBody("error", requestId, null, error)),
            ProtocolJsonContext.Default.OutboundControlResponse);

    private static byte[] Frame<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
            JsonSerializer.Serialize(writer, value, info);
        System.Buffers.BuffersExtensions.Write(buffer, "\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
