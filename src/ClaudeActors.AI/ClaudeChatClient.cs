using System.Runtime.CompilerServices;
using ClaudeActors.Client;
using ClaudeActors.Protocol;
using Microsoft.Extensions.AI;

namespace ClaudeActors.AI;

/// <summary>
/// An <see cref="IChatClient"/> over one named session: a call is one turn of the session's conversation. Calls on
/// one client run one at a time in the order they arrive (the session runs one turn at a time, and a model switch
/// must apply to its own call), so the client is safe to share.
/// </summary>
internal sealed class ClaudeChatClient(SessionSource source) : IChatClient
{
    /// <summary>The provider name in <see cref="ChatClientMetadata"/>.</summary>
    public const string ProviderName = "claude-code";

    private readonly SemaphoreSlim _turns = new(1, 1);
    private string? _modelId;
    private string? _requestedModel;
    private string? _requestedModelResolved;

    /// <summary>Called after each completed turn with what the turn told (session id, model).</summary>
    internal Action<ChatUpdateMapper>? TurnCompleted { get; init; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var raw = new List<ClaudeMessage>();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in StreamAsync(ChatInput.From(messages, options), options, raw, cancellationToken).ConfigureAwait(false))
            updates.Add(update);
        var response = updates.ToChatResponse();
        response.RawRepresentation = raw;
        return response;
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        // Validated now, so a bad call fails at the call rather than at the first MoveNextAsync.
        StreamAsync(ChatInput.From(messages, options), options, null, cancellationToken);

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(ChatInput input, ChatOptions? options, List<ClaudeMessage>? raw,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _turns.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var session = await source.ResolveAsync(input.Instructions, cancellationToken).ConfigureAwait(false);
            await CheckConversationAsync(session, options?.ConversationId, cancellationToken).ConfigureAwait(false);
            await SwitchModelAsync(session, options?.ModelId, cancellationToken).ConfigureAwait(false);

            var mapper = new ChatUpdateMapper(modelId: _modelId);
            await foreach (var message in session.StreamAsync(input.Prompt, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                raw?.Add(message);
                foreach (var update in mapper.Map(message)) yield return update;
            }
            _modelId = mapper.ModelId ?? _modelId;
            if (_requestedModel is not null) _requestedModelResolved ??= mapper.ModelId;
            TurnCompleted?.Invoke(mapper);
        }
        finally
        {
            _turns.Release();
        }
    }

    /// <summary>
    /// <see cref="ChatOptions.ConversationId"/>, when given, must name this session (its name or its session id):
    /// a call meant for another conversation would otherwise be answered from this one's context.
    /// </summary>
    private static async Task CheckConversationAsync(ClaudeSession session, string? conversationId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(conversationId) || conversationId == session.Name) return;
        var sessionId = await session.GetSessionIdAsync(cancellationToken).ConfigureAwait(false);
        if (conversationId != sessionId)
            throw new InvalidOperationException(
                $"ChatOptions.ConversationId '{conversationId}' is neither the name nor the session id of session '{session.Name}' " +
                "(its conversation may have been cleared).");
    }

    /// <summary>
    /// Switches the session's model (set_model) when <paramref name="modelId"/> differs from its current one. The
    /// session reports the resolved model id (<c>claude-haiku-…</c>) after a turn, so an alias asked for before
    /// (<c>haiku</c>) counts as current while the session still runs what it resolved to.
    /// </summary>
    private async Task SwitchModelAsync(ClaudeSession session, string? modelId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(modelId)) return;
        var current = (await session.GetInfoAsync(cancellationToken).ConfigureAwait(false)).Model;
        if (string.Equals(current, modelId, StringComparison.OrdinalIgnoreCase)) return;
        if (modelId == _requestedModel && current is not null && current == _requestedModelResolved) return;
        await session.SetModelAsync(modelId, cancellationToken).ConfigureAwait(false);
        _requestedModel = modelId;
        _requestedModelResolved = null;
        _modelId = modelId;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return new ChatClientMetadata(ProviderName, null, _modelId);
        if (serviceType == typeof(ClaudeSession)) return source.Last;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Nothing to release: the session is not the client's, and stays running.</summary>
    public void Dispose()
    {
    }
}
