using ClaudeActors.Client;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeActors.AI;

/// <summary>
/// Microsoft.Extensions.AI over ClaudeActors sessions: an <see cref="IChatClient"/> whose conversation lives in the
/// session's long-lived CLI process.
/// </summary>
/// <remarks>
/// <para><b>History.</b> The client is stateful, like the clients Microsoft.Extensions.AI calls stateful: the CLI
/// keeps the conversation, so a call sends only the new user input — the user messages after the last assistant or
/// tool message of the list. Earlier messages are not re-sent (they are taken as already in the session), so a caller
/// may pass its whole history or only the new message. History the session never saw is not replayed into it: to
/// continue a stored conversation, start the session with <see cref="SessionOptions.Resume"/>. Only text can be
/// sent; other content in a new user message fails the call with <see cref="NotSupportedException"/>.</para>
/// <para><b>System messages</b> and <see cref="ChatOptions.Instructions"/> become the session's
/// <see cref="SessionOptions.AppendSystemPrompt"/> when the call starts the session
/// (<see cref="GetChatClient"/> with start options); a running session keeps the prompt it started with and they are
/// ignored.</para>
/// <para><b>Responses.</b> <see cref="ChatResponse.ConversationId"/> (and each update's) is the session id; a
/// <see cref="ChatOptions.ConversationId"/> given back must be the session's id or name, or the call fails. Tools the
/// CLI ran come as <see cref="FunctionCallContent"/> with <see cref="FunctionCallContent.InformationalOnly"/> set and
/// their results as <see cref="FunctionResultContent"/> (role <see cref="ChatRole.Tool"/>), so a
/// <c>FunctionInvokingChatClient</c> upstream leaves them alone. Thinking is <see cref="TextReasoningContent"/>; with
/// <see cref="SessionOptions.IncludePartialMessages"/> text and thinking stream as deltas, without it each arrives
/// whole. The response has <see cref="ChatResponse.Usage"/> (cache reads and writes counted in the input tokens, cache
/// reads also as cached tokens), <see cref="ChatResponse.FinishReason"/>, <see cref="ChatResponse.ModelId"/>, the
/// turn's protocol messages (<c>IReadOnlyList&lt;ClaudeMessage&gt;</c>) as <see cref="ChatResponse.RawRepresentation"/>
/// (each update has its own message), and cost and durations in <see cref="ChatResponse.AdditionalProperties"/>
/// (keys in <see cref="ClaudeChatProperties"/>). A failed turn throws the session's <see cref="ClaudeSessionException"/>.</para>
/// <para><b>Options.</b> <see cref="ChatOptions.ModelId"/> switches the session's model (set_model) when it differs,
/// for this and later turns. <see cref="ChatOptions.Tools"/> and a JSON <see cref="ChatOptions.ResponseFormat"/>
/// cannot be honoured per call and fail it with <see cref="NotSupportedException"/> (give tools at start with
/// <c>SdkTool.From</c>, a schema with <see cref="SessionOptions.JsonSchema"/>). The sampling options (temperature,
/// top-p, top-k, max output tokens, stop sequences, seed, penalties), the tool mode and additional properties are
/// ignored: the CLI sets them itself.</para>
/// <para><b>Concurrency.</b> Calls on one client run one after another in arrival order; cancelling a call interrupts
/// its turn. Disposing the client leaves the session running.</para>
/// <para><b>Services.</b> <c>GetService&lt;ClaudeSession&gt;()</c> is the session (for a client by name: the one the
/// last call reached, null before the first); <c>GetService&lt;ChatClientMetadata&gt;()</c> names the provider
/// <c>claude-code</c> and the model last seen.</para>
/// </remarks>
public static class ClaudeChatClientExtensions
{
    /// <summary>An <see cref="IChatClient"/> whose calls are turns of this session (see the class remarks).</summary>
    /// <param name="session">The session.</param>
    public static IChatClient AsChatClient(this ClaudeSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new ClaudeChatClient(new BoundSession(session));
    }

    /// <summary>
    /// An <see cref="IChatClient"/> over the session named <paramref name="name"/>, found by name at each call through
    /// <see cref="IClaudeSessions.GetAsync"/> — in cluster mode wherever the session runs, woken when passivated.
    /// </summary>
    /// <param name="sessions">The sessions.</param>
    /// <param name="name">The session's name.</param>
    /// <param name="startOptions">
    /// When given, a call that finds no session of that name starts one with these options (its <c>Name</c> set to
    /// <paramref name="name"/>, the call's system messages appended to its system prompt); when null such a call fails
    /// with <see cref="SessionNotFoundException"/>.
    /// </param>
    public static IChatClient GetChatClient(this IClaudeSessions sessions, string name, SessionOptions? startOptions = null)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        if (SessionNames.Check(name) is { } invalid) throw new ArgumentException(invalid, nameof(name));
        Func<string?, SessionOptions>? start = startOptions is null ? null : instructions => SessionSource.WithInstructions(startOptions, instructions);
        return new ClaudeChatClient(new NamedSession(sessions, name, start));
    }

    /// <summary>
    /// Registers a keyed <see cref="IChatClient"/> (key: <paramref name="name"/>) over the session of that name, through
    /// the <see cref="IClaudeSessions"/> of the container (<c>AddClaudeSessionsClient</c>). Returns the
    /// <see cref="ChatClientBuilder"/>, so the usual pipeline composes over it:
    /// <c>services.AddClaudeChatClient("assistant").UseLogging().UseOpenTelemetry()</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The session's name and the service key.</param>
    /// <param name="startOptions">As for <see cref="GetChatClient"/>: how to start the session when it does not exist.</param>
    /// <param name="lifetime">The client's lifetime; a singleton by default (it is safe to share).</param>
    public static ChatClientBuilder AddClaudeChatClient(this IServiceCollection services, string name, SessionOptions? startOptions = null,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (SessionNames.Check(name) is { } invalid) throw new ArgumentException(invalid, nameof(name));
        return services.AddKeyedChatClient(name, sp => sp.GetRequiredService<IClaudeSessions>().GetChatClient(name, startOptions), lifetime);
    }
}
