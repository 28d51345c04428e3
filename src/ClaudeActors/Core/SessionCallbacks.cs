using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;

namespace ClaudeActors.Core;

/// <summary>
/// Who answers a callback from the CLI: an actor (asked with the request, replies with the decision), an actor
/// path resolved at call time (so the handler is found again after the session moves to another node), or a
/// delegate for plain .NET code. Every call is bounded by a timeout; the session never waits on it inline.
/// </summary>
public abstract record CallbackHandler
{
    private CallbackHandler()
    {
    }

    /// <summary>An actor: it receives the request and must reply to the sender.</summary>
    public static CallbackHandler Actor(IActorRef actor) => new ActorHandler(actor);

    /// <summary>An actor found by path (e.g. <c>/user/permissions</c>) on the session's node when a request arrives.</summary>
    public static CallbackHandler ActorPath(string path) => new PathHandler(path);

    /// <summary>A delegate; it receives the request and a token cancelled on timeout or when the CLI withdraws the request.</summary>
    public static CallbackHandler Delegate<TRequest, TDecision>(Func<TRequest, CancellationToken, Task<TDecision>> handler)
        where TRequest : class where TDecision : class =>
        new DelegateHandler(async (request, ct) => await handler((TRequest)request, ct).ConfigureAwait(false));

    internal async Task<object> InvokeAsync(ActorSystem system, object request, TimeSpan timeout, CancellationToken ct) => this switch
    {
        ActorHandler a => await a.Target.Ask<object>(request, timeout, ct).ConfigureAwait(false),
        PathHandler p => await system.ActorSelection(p.Path).Ask<object>(request, timeout, ct).ConfigureAwait(false),
        DelegateHandler d => await d.Invoke(request, ct).WaitAsync(timeout, ct).ConfigureAwait(false),
        _ => throw new InvalidOperationException(),
    };

    internal sealed record ActorHandler(IActorRef Target) : CallbackHandler;

    internal sealed record PathHandler(string Path) : CallbackHandler;

    internal sealed record DelegateHandler(Func<object, CancellationToken, Task<object>> Invoke) : CallbackHandler;
}

/// <summary>The callbacks of a session: tool permissions, hooks and in-process MCP tools.</summary>
public sealed record SessionCallbacks
{
    /// <summary>Decides every tool use the CLI asks about (<c>can_use_tool</c>); null leaves it to the permission mode.</summary>
    public CallbackHandler? Permissions { get; init; }

    /// <summary>Hook handlers, registered with the CLI in the initialize handshake.</summary>
    public IReadOnlyList<HookRegistration> Hooks { get; init; } = [];

    /// <summary>In-process MCP servers whose tools the model can call.</summary>
    public IReadOnlyList<SdkMcpServer> McpServers { get; init; } = [];

    /// <summary>How long a handler may take; past it a permission is denied, a hook continues, a tool call fails.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>The default <see cref="Timeout"/>: 60 s.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>These callbacks under <paramref name="defaults"/>: each one this leaves unset comes from the defaults.</summary>
    internal SessionCallbacks Under(SessionCallbacks defaults) => new()
    {
        Permissions = Permissions ?? defaults.Permissions,
        Hooks = Hooks.Count > 0 ? Hooks : defaults.Hooks,
        McpServers = McpServers.Count > 0 ? McpServers : defaults.McpServers,
        Timeout = Timeout != DefaultTimeout ? Timeout : defaults.Timeout,
    };

    internal bool IsEmpty => Permissions is null && Hooks.Count == 0 && McpServers.Count == 0;
}

/// <summary>The CLI's hook events.</summary>
public enum HookEvent
{
    /// <summary>Before a tool runs; can block it.</summary>
    PreToolUse,
    /// <summary>After a tool ran.</summary>
    PostToolUse,
    /// <summary>After a tool failed.</summary>
    PostToolUseFailure,
    /// <summary>When a prompt is submitted.</summary>
    UserPromptSubmit,
    /// <summary>When the session starts.</summary>
    SessionStart,
    /// <summary>When the session ends.</summary>
    SessionEnd,
    /// <summary>When the model stops.</summary>
    Stop,
    /// <summary>When a sub-agent starts.</summary>
    SubagentStart,
    /// <summary>When a sub-agent stops.</summary>
    SubagentStop,
    /// <summary>Before the conversation is compacted.</summary>
    PreCompact,
    /// <summary>A notification.</summary>
    Notification,
    /// <summary>When the CLI would ask for a permission.</summary>
    PermissionRequest,
}

/// <summary>One hook: the event, an optional tool-name matcher (e.g. <c>Bash</c>, <c>Write|Edit</c>) and its handler.</summary>
/// <param name="Event">The event.</param>
/// <param name="Handler">Receives <see cref="HookRequest"/>, replies <see cref="HookDecision"/>.</param>
/// <param name="Matcher">Which tools (for tool events); null matches all.</param>
public sealed record HookRegistration(HookEvent Event, CallbackHandler Handler, string? Matcher = null);

/// <summary>A tool the model may call, served in-process.</summary>
/// <param name="Name">The tool's name (the model sees <c>mcp__&lt;server&gt;__&lt;name&gt;</c>).</param>
/// <param name="Description">What it does, for the model.</param>
/// <param name="InputSchema">The JSON schema of its input.</param>
/// <param name="Handler">Receives <see cref="ToolCall"/>, replies <see cref="ToolCallResult"/>.</param>
public sealed partial record SdkTool(string Name, string Description, JsonElement InputSchema, CallbackHandler Handler);

/// <summary>
/// An in-process MCP server: a name and its tools, served by the MCP C# SDK's server inside the session's process. Its
/// tools are <see cref="SdkTool"/>s answered by <see cref="CallbackHandler"/>s, SDK-native tools
/// (<see cref="McpServerTools"/>, see <see cref="From(string, Type)"/>), or both. The host registered these tools
/// itself, so the CLI may run them without a permission prompt in every permission mode (they are added to
/// <c>--allowedTools</c> as <c>mcp__&lt;name&gt;</c>); set <see cref="RequirePermission"/> to have each call decided
/// like any other tool's (permission mode, <see cref="SessionOptions.AllowedTools"/>,
/// <see cref="SessionCallbacks.Permissions"/>). <see cref="SessionOptions.DisallowedTools"/> still wins.
/// </summary>
/// <param name="Name">The server's name.</param>
/// <param name="Tools">Its tools answered by handlers.</param>
public sealed partial record SdkMcpServer(string Name, IReadOnlyList<SdkTool> Tools)
{
    /// <summary>True: the server's tools are not allowed by default; each call is decided like another tool's.</summary>
    public bool RequirePermission { get; init; }
}

/// <summary>The CLI asks whether a tool may run.</summary>
/// <param name="SessionName">The session asking.</param>
/// <param name="ToolName">The tool (<c>Write</c>, <c>Bash</c>, <c>mcp__calc__add</c>, ...).</param>
/// <param name="Input">The tool's input.</param>
/// <param name="ToolUseId">The tool use id.</param>
/// <param name="Suggestions">Permission rule updates the CLI suggests, raw.</param>
/// <param name="BlockedPath">The path that triggered the request, when there is one.</param>
public sealed record ToolPermissionRequest(string SessionName, string ToolName, JsonElement Input, string? ToolUseId, JsonElement? Suggestions, string? BlockedPath);

/// <summary>The answer to a <see cref="ToolPermissionRequest"/>.</summary>
public sealed record PermissionDecision
{
    private PermissionDecision(bool allow, JsonElement? updatedInput, string? message, bool interrupt)
    {
        IsAllowed = allow;
        UpdatedInput = updatedInput;
        Message = message;
        Interrupt = interrupt;
    }

    /// <summary>True to let the tool run.</summary>
    public bool IsAllowed { get; }

    /// <summary>The input the tool runs with, when edited.</summary>
    public JsonElement? UpdatedInput { get; }

    /// <summary>Why it was denied (the model sees it).</summary>
    public string? Message { get; }

    /// <summary>Deny and also stop the turn.</summary>
    public bool Interrupt { get; }

    /// <summary>Let the tool run, optionally with edited input.</summary>
    public static PermissionDecision Allow(JsonElement? updatedInput = null) => new(true, updatedInput, null, false);

    /// <summary>Refuse; the model gets <paramref name="message"/> as the tool's error. <paramref name="interrupt"/> also ends the turn.</summary>
    public static PermissionDecision Deny(string message, bool interrupt = false) => new(false, null, message, interrupt);
}

/// <summary>A hook event from the CLI.</summary>
/// <param name="SessionName">The session.</param>
/// <param name="Event">The event name (<c>PreToolUse</c>, ...).</param>
/// <param name="Input">The event's data (<c>tool_name</c>, <c>tool_input</c>, <c>prompt</c>, ...), raw.</param>
/// <param name="ToolUseId">The tool use, for tool events.</param>
public sealed record HookRequest(string SessionName, string Event, JsonElement Input, string? ToolUseId)
{
    /// <summary>The tool's name, for tool events.</summary>
    public string? ToolName => Input.ValueKind == JsonValueKind.Object && Input.TryGetProperty("tool_name", out var t) ? t.GetString() : null;
}

/// <summary>The answer to a <see cref="HookRequest"/>: the hook output the CLI expects, as JSON.</summary>
/// <param name="Output">The hook output object.</param>
public sealed record HookDecision(JsonObject Output)
{
    /// <summary>Carry on.</summary>
    public static HookDecision Continue() => new(new JsonObject { ["continue"] = true });

    /// <summary>For <c>PreToolUse</c>: refuse the tool; the model sees <paramref name="reason"/>.</summary>
    public static HookDecision Block(string reason) => new(new JsonObject
    {
        ["hookSpecificOutput"] = new JsonObject
        {
            ["hookEventName"] = "PreToolUse",
            ["permissionDecision"] = "deny",
            ["permissionDecisionReason"] = reason,
        },
    });

    /// <summary>Add context the model sees, for <paramref name="hookEvent"/>.</summary>
    public static HookDecision AddContext(HookEvent hookEvent, string context) => new(new JsonObject
    {
        ["hookSpecificOutput"] = new JsonObject { ["hookEventName"] = hookEvent.ToString(), ["additionalContext"] = context },
    });
}

/// <summary>The model calls an in-process tool.</summary>
/// <param name="SessionName">The session.</param>
/// <param name="Server">The MCP server's name.</param>
/// <param name="Tool">The tool's name.</param>
/// <param name="Arguments">The tool's input.</param>
public sealed record ToolCall(string SessionName, string Server, string Tool, JsonElement Arguments);

/// <summary>The result of a <see cref="ToolCall"/>; its text reaches the model.</summary>
/// <param name="Text">The result text.</param>
/// <param name="IsError">True when the tool failed.</param>
public sealed record ToolCallResult(string Text, bool IsError = false);
