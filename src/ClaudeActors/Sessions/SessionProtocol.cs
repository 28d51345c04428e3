using System.Text.Json;
using Akka.Actor;
using ClaudeActors.Protocol;

namespace ClaudeActors.Sessions;

// The messages a session understands and the replies it sends. All immutable; actors Tell or Ask them.

/// <summary>
/// Run one turn. The session streams every protocol message of the turn to the requester as
/// <see cref="QueryMessage"/> (unless <see cref="StreamMessages"/> is false), then ends with exactly one
/// <see cref="QueryCompleted"/> or <see cref="QueryFailed"/>. Queries run one at a time, in arrival order.
/// </summary>
/// <param name="Prompt">The user's text. Sent as one JSON-escaped user message: newlines and quotes are safe.</param>
public sealed record Query(string Prompt) : IClaudeActorsMessage
{
    /// <summary>Correlates the replies; a new id by default.</summary>
    public string QueryId { get; init; } = Guid.NewGuid().ToString("N");

    /// <summary>Overrides the session's timeout for this query (measured from arrival, queueing included).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>False: only the terminal message is sent (convenient with Ask).</summary>
    public bool StreamMessages { get; init; } = true;

    /// <summary>Where replies go; the sender when null.</summary>
    public IActorRef? ReplyTo { get; init; }

    /// <summary>Flow control: at most this many <see cref="QueryMessage"/>s unacknowledged by <see cref="QueryAck"/>. Null: no limit.</summary>
    public int? AckWindow { get; init; }
}

/// <summary>One protocol message of a running query, in the order the CLI wrote it.</summary>
/// <param name="QueryId">The query it belongs to.</param>
/// <param name="Message">The message (the final <see cref="ResultMessage"/> included).</param>
public sealed record QueryMessage(string QueryId, ClaudeMessage Message) : IClaudeActorsMessage;

/// <summary>The query ended well; <paramref name="Result"/> is the turn's result.</summary>
/// <param name="QueryId">The query.</param>
/// <param name="Result">The CLI's result message.</param>
public sealed record QueryCompleted(string QueryId, ResultMessage Result) : IClaudeActorsMessage;

/// <summary>The query ended with a typed failure; no further message of it follows.</summary>
/// <param name="QueryId">The query.</param>
/// <param name="Failure">What went wrong.</param>
public sealed record QueryFailed(string QueryId, SessionFailure Failure) : IClaudeActorsMessage;

/// <summary>Acknowledges <paramref name="Count"/> streamed messages of a query that asked for flow control.</summary>
/// <param name="QueryId">The query.</param>
/// <param name="Count">How many more messages were consumed.</param>
public sealed record QueryAck(string QueryId, int Count) : IClaudeActorsMessage;

/// <summary>
/// The requester of <paramref name="QueryId"/> is gone (e.g. it stopped enumerating): drop the query if queued,
/// interrupt it if running, and discard whatever was not delivered yet. Nothing is sent back.
/// </summary>
/// <param name="QueryId">The query.</param>
public sealed record CancelQuery(string QueryId) : IClaudeActorsMessage;

/// <summary>Interrupt the running query (any, or only <paramref name="QueryId"/>; a queued query with that id is dropped). Replies <see cref="ControlResult"/>.</summary>
/// <param name="QueryId">Only this query, when given.</param>
public sealed record Interrupt(string? QueryId = null) : IClaudeActorsMessage;

/// <summary>Switch the model without restarting; validated against the CLI's model list. Replies <see cref="ControlResult"/>.</summary>
/// <param name="Model">An alias (<c>sonnet</c>) or a model id the CLI lists.</param>
public sealed record SetModel(string Model) : IClaudeActorsMessage;

/// <summary>Change the permission mode without restarting. Replies <see cref="ControlResult"/>.</summary>
/// <param name="Mode">The new mode.</param>
public sealed record SetPermissionMode(PermissionMode Mode) : IClaudeActorsMessage;

/// <summary>Ask the CLI for its MCP servers' status. Replies <see cref="ControlResult"/>.</summary>
public sealed record GetMcpStatus : IClaudeActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly GetMcpStatus Instance = new();
}

/// <summary>Undo file changes made since a user message (needs <see cref="SessionOptions.EnableFileCheckpointing"/>). Replies <see cref="ControlResult"/>.</summary>
/// <param name="UserMessageId">The uuid of the user message to rewind to.</param>
/// <param name="DryRun">Only report what would change.</param>
public sealed record RewindFiles(string UserMessageId, bool DryRun = false) : IClaudeActorsMessage;

/// <summary>Reconnect a disconnected or failed MCP server. Replies <see cref="ControlResult"/>.</summary>
/// <param name="ServerName">The server's name, as <see cref="GetMcpStatus"/> reports it.</param>
public sealed record ReconnectMcpServer(string ServerName) : IClaudeActorsMessage;

/// <summary>Enable or disable an MCP server without restarting. Replies <see cref="ControlResult"/>.</summary>
/// <param name="ServerName">The server's name, as <see cref="GetMcpStatus"/> reports it.</param>
/// <param name="Enabled">False disables it: its tools leave the model's tool list.</param>
public sealed record ToggleMcpServer(string ServerName, bool Enabled) : IClaudeActorsMessage;

/// <summary>
/// Replace the CLI's dynamically added MCP servers with this set (name → config such as
/// <c>{"type":"stdio","command":"...","args":[...]}</c> or <c>{"type":"http","url":"..."}</c>); the session's own
/// in-process servers are kept. Replies <see cref="ControlResult"/> with the servers <c>added</c>, <c>removed</c> and
/// their <c>errors</c>.
/// </summary>
/// <param name="Servers">The servers by name.</param>
public sealed record SetMcpServers(IReadOnlyDictionary<string, JsonElement> Servers) : IClaudeActorsMessage;

/// <summary>Stop a running background task (a command or an agent the model started in the background). Replies <see cref="ControlResult"/>.</summary>
/// <param name="TaskId">The task's id, from the CLI's task messages.</param>
public sealed record StopTask(string TaskId) : IClaudeActorsMessage;

/// <summary>
/// Ask how the context window is used, by category. Replies <see cref="ControlResult"/>.
/// </summary>
/// <param name="Full">True counts each category with the API's token-count endpoint (extra API calls); false answers from the last response's usage and local estimates.</param>
public sealed record GetContextUsage(bool Full = false) : IClaudeActorsMessage;

/// <summary>Set the extended-thinking budget for the next turns; null goes back to the session default. Replies <see cref="ControlResult"/>.</summary>
/// <param name="MaxThinkingTokens">The budget in tokens, or null.</param>
public sealed record SetMaxThinkingTokens(int? MaxThinkingTokens) : IClaudeActorsMessage;

/// <summary>
/// Any other control request of the CLI's protocol, by subtype: for subtypes newer than this library. The subtypes
/// the session manages itself (<c>initialize</c>, <c>interrupt</c>, <c>set_model</c>, <c>set_permission_mode</c>,
/// <c>rewind_files</c>, <c>mcp_message</c>) are refused: use their own messages. Replies <see cref="ControlResult"/>.
/// </summary>
/// <param name="Subtype">The request's subtype, e.g. <c>get_settings</c>.</param>
/// <param name="Fields">The request's other fields, as a JSON object.</param>
public sealed record SendControlRequest(string Subtype, JsonElement? Fields = null) : IClaudeActorsMessage;

/// <summary>
/// Restart the session's CLI, resuming the same conversation: a running query fails with
/// <see cref="FailureKind.Interrupted"/>, queued ones wait and then run on the new CLI. Sent to the session (in cluster
/// mode through its shard region). Replies <see cref="SessionInfo"/> once the new CLI is ready, or
/// <see cref="SessionStartFailed"/>.
/// </summary>
/// <param name="Name">The session's name, for the reader of the message: the session that receives it restarts.</param>
public sealed record RestartSession(string? Name = null) : IClaudeActorsMessage;

/// <summary>The outcome of a control request: the CLI's response, or a failure.</summary>
/// <param name="Response">The CLI's response payload, when it succeeded.</param>
/// <param name="Failure">Why it failed, otherwise.</param>
public sealed record ControlResult(JsonElement? Response, SessionFailure? Failure) : IClaudeActorsMessage
{
    /// <summary>True when the request succeeded.</summary>
    public bool IsSuccess => Failure is null;
}

/// <summary>Ask for the initialize handshake's response (commands, models, account, version). Replies <see cref="ControlResult"/>.</summary>
public sealed record GetServerInfo : IClaudeActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly GetServerInfo Instance = new();
}

/// <summary>Ask for the current session id. Replies <see cref="SessionIdReply"/>.</summary>
public sealed record GetSessionId : IClaudeActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly GetSessionId Instance = new();
}

/// <summary>The current session id; null until the CLI reports one (or after <see cref="ClearSession"/>).</summary>
/// <param name="SessionId">The id.</param>
public sealed record SessionIdReply(string? SessionId) : IClaudeActorsMessage
{
    /// <summary>Why there is no id to give: the session does not exist (a cluster entity that knows no such name).</summary>
    public SessionFailure? Failure { get; init; }
}

/// <summary>Read this session's conversation from the CLI's transcript. Replies <see cref="ConversationResult"/>.</summary>
public sealed record GetConversation : IClaudeActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly GetConversation Instance = new();
}

/// <summary>The conversation so far, or why it could not be read.</summary>
/// <param name="Conversation">The conversation.</param>
/// <param name="Failure">The failure, otherwise.</param>
public sealed record ConversationResult(History.Conversation? Conversation, SessionFailure? Failure) : IClaudeActorsMessage;

/// <summary>Ask for a snapshot of the session. Replies <see cref="SessionInfo"/>.</summary>
public sealed record GetSessionInfo : IClaudeActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly GetSessionInfo Instance = new();
}

/// <summary>Reply when the session is ready (at once if it is): <see cref="SessionInfo"/>, or <see cref="SessionStartFailed"/> if it cannot start.</summary>
public sealed record AwaitReady : IClaudeActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly AwaitReady Instance = new();
}

/// <summary>The session could not start its CLI.</summary>
/// <param name="Failure">Why.</param>
public sealed record SessionStartFailed(SessionFailure Failure) : IClaudeActorsMessage;

/// <summary>Start a fresh conversation: the session id is reset and the next query sees no earlier turns. Ordered with queries. Replies <see cref="SessionCleared"/>.</summary>
public sealed record ClearSession : IClaudeActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly ClearSession Instance = new();
}

/// <summary>The conversation was cleared.</summary>
public sealed record SessionCleared : IClaudeActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly SessionCleared Instance = new();
}

/// <summary>Stop the session: queued and running queries fail with <see cref="FailureKind.SessionStopped"/>, the CLI is shut down in stages, then the actor stops.</summary>
public sealed record StopSession : IClaudeActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly StopSession Instance = new();
}

/// <summary>Published on the event stream whenever a session's status or session id changes.</summary>
/// <param name="Name">The session's name.</param>
/// <param name="Status">The new status.</param>
/// <param name="SessionId">The session id now.</param>
/// <param name="Failure">The failure that caused the change, if any.</param>
public sealed record SessionStatusChanged(string Name, SessionStatus Status, string? SessionId, SessionFailure? Failure) : IClaudeActorsMessage
{
    /// <summary>The model of the session's last turn (or its configured one).</summary>
    public string? Model { get; init; }
}
