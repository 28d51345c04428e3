using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClaudeActors.Callbacks;

/// <summary>What the session does with one request the CLI sent it: answer it now, refuse it, run a handler first, or relay it to an in-process MCP server.</summary>
internal abstract record CallbackStep;

/// <summary>Answer at once with a success carrying <paramref name="Response"/>.</summary>
internal sealed record AnswerNow(JsonNode Response) : CallbackStep;

/// <summary>Answer at once with an error: this host has nothing configured for the request.</summary>
internal sealed record RefuseRequest(string Error) : CallbackStep;

/// <summary>
/// Run <paramref name="Handler"/> with <paramref name="Request"/> off the actor's thread, then answer with what
/// <paramref name="ToResponse"/> makes of its result (or of its failure: every handler has a safe default).
/// </summary>
internal sealed record RunHandler(CallbackHandler Handler, object Request, Func<object?, Exception?, JsonNode> ToResponse) : CallbackStep;

/// <summary>
/// Hand the JSON-RPC <paramref name="Message"/> to the in-process MCP server <paramref name="ServerName"/>
/// (<see cref="InProcessMcpServers.RelayAsync"/>) and answer with what it answers.
/// </summary>
internal sealed record RelayToMcpServer(string? ServerName, JsonElement Message) : CallbackStep;

/// <summary>Reading the CLI's request bodies: absent and null fields read alike.</summary>
internal static class RequestFields
{
    public static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    public static JsonElement? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public static string? StringProperty(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;
}
