using ClaudeActors.Client;
using Microsoft.Agents.AI;

namespace ClaudeActors.AI;

/// <summary>The Microsoft Agent Framework over ClaudeActors sessions.</summary>
public static class ClaudeAgentExtensions
{
    /// <summary>
    /// An <see cref="AIAgent"/> (a <see cref="ClaudeAIAgent"/>) whose agent sessions are sessions started from
    /// <paramref name="template"/>: each one named <c>&lt;template name or "agent"&gt;-&lt;32 hex digits&gt;</c>, or as
    /// given to <see cref="ClaudeAIAgent.CreateSessionAsync(string, CancellationToken)"/>.
    /// </summary>
    /// <param name="sessions">The sessions (local, or cluster-wide in cluster mode).</param>
    /// <param name="template">
    /// The options of every session the agent starts, and of the restart of one that no host runs any more (then with
    /// <c>Resume</c> set to its session id). Its <c>Name</c> is the prefix of the generated names; it must not set a
    /// <c>SessionId</c>, which would be shared by all the agent's sessions.
    /// </param>
    /// <param name="name">The agent's name; the template's name when null.</param>
    /// <param name="description">What the agent does.</param>
    public static ClaudeAIAgent CreateAIAgent(this IClaudeSessions sessions, SessionOptions template, string? name = null, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(template);
        if (template.SessionId is not null)
            throw new ArgumentException("The template must not set a SessionId: every session of the agent would share it.", nameof(template));
        template.EnsureValid();
        return new ClaudeAIAgent(sessions, template, name ?? template.Name, description);
    }
}
