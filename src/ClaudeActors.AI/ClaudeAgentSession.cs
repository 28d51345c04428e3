using System.Text.Json;
using Microsoft.Agents.AI;

namespace ClaudeActors.AI;

/// <summary>
/// The <see cref="AgentSession"/> of a <see cref="ClaudeAIAgent"/>: a reference to a named ClaudeActors session,
/// whose conversation lives in its CLI. Serialized (<see cref="AIAgent.SerializeSessionAsync"/>) it is the session's
/// name and id, plus the <see cref="AgentSession.StateBag"/> of context providers — never an option or a message; any
/// host that deserializes it continues the conversation.
/// </summary>
public sealed class ClaudeAgentSession : AgentSession
{
    internal ClaudeAgentSession(string sessionName, string? sessionId, bool resumable, AgentSessionStateBag? stateBag = null)
        : base(stateBag ?? new AgentSessionStateBag())
    {
        SessionName = sessionName;
        SessionId = sessionId;
        Resumable = resumable;
    }

    /// <summary>The ClaudeActors session's name: how any host or cluster node finds it.</summary>
    public string SessionName { get; }

    /// <summary>The conversation's session id, as last seen (what a host that has no session of that name resumes).</summary>
    public string? SessionId { get; internal set; }

    /// <summary>True once a turn completed, so the CLI has a transcript that <c>--resume</c> can read.</summary>
    internal bool Resumable { get; set; }

    /// <summary>The agent that made this object (a session runs only on it).</summary>
    internal ClaudeAIAgent? Agent { get; set; }

    /// <summary>The session's chat client, set by that agent.</summary>
    internal ClaudeChatClient Chat { get; set; } = null!;

    internal JsonElement Serialize()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("sessionName", SessionName);
            if (SessionId is not null) writer.WriteString("sessionId", SessionId);
            writer.WriteBoolean("resumable", Resumable);
            if (StateBag.Count > 0)
            {
                writer.WritePropertyName("stateBag");
                StateBag.Serialize().WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }

    internal static ClaudeAgentSession Deserialize(JsonElement state)
    {
        if (state.ValueKind != JsonValueKind.Object ||
            !state.TryGetProperty("sessionName", out var name) || name.ValueKind != JsonValueKind.String ||
            SessionNames.Check(name.GetString()) is not null)
            throw new ArgumentException("The serialized state is not a ClaudeAgentSession: it needs a valid \"sessionName\".", nameof(state));
        string? sessionId = null;
        if (state.TryGetProperty("sessionId", out var id) && id.ValueKind == JsonValueKind.String)
        {
            sessionId = id.GetString();
            if (!SessionIds.IsValid(sessionId))
                throw new ArgumentException("The serialized state's \"sessionId\" is not a session id (a UUID).", nameof(state));
        }
        var resumable = state.TryGetProperty("resumable", out var r) && r.ValueKind == JsonValueKind.True;
        var stateBag = state.TryGetProperty("stateBag", out var bag) && bag.ValueKind == JsonValueKind.Object
            ? AgentSessionStateBag.Deserialize(bag)
            : null;
        return new ClaudeAgentSession(name.GetString()!, sessionId, resumable && sessionId is not null, stateBag);
    }
}
