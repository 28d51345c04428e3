using System.Text.Json;
using Akka.Actor;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace ClaudeActors.Callbacks;

/// <summary>
/// An <see cref="SdkTool"/> as a tool of the MCP SDK's server: a call runs its <see cref="CallbackHandler"/> (an actor,
/// an actor path or a delegate) with a <see cref="ToolCall"/>, on the SDK's thread, never the session actor's. Whatever
/// the handler does (fails, times out, answers with something else), the model gets a tool result.
/// </summary>
internal sealed class SdkToolAdapter : McpServerTool
{
    public const string TimedOutText = "The tool did not answer in time.";
    public const string WrongAnswerText = "The tool handler answered with something other than a ToolCallResult.";

    private readonly SdkTool _tool;
    private readonly string _sessionName;
    private readonly string _serverName;
    private readonly Func<CallbackHandler, object, CancellationToken, Task<object>> _invoke;

    /// <param name="tool">The tool.</param>
    /// <param name="sessionName">The session, named in each call.</param>
    /// <param name="serverName">The tool's server, named in each call.</param>
    /// <param name="invoke">Runs a handler, bounded by the session's callback timeout.</param>
    public SdkToolAdapter(SdkTool tool, string sessionName, string serverName, Func<CallbackHandler, object, CancellationToken, Task<object>> invoke)
    {
        _tool = tool;
        _sessionName = sessionName;
        _serverName = serverName;
        _invoke = invoke;
        ProtocolTool = new Tool { Name = tool.Name, Description = tool.Description, InputSchema = tool.InputSchema.Clone() };
    }

    public override Tool ProtocolTool { get; }

    public override IReadOnlyList<object> Metadata => [];

    public override async ValueTask<CallToolResult> InvokeAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default)
    {
        var call = new ToolCall(_sessionName, _serverName, _tool.Name, Arguments(request.Params?.Arguments));
        object result;
        try
        {
            result = await _invoke(_tool.Handler, call, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // withdrawn by the CLI, or the server stops: nobody waits for an answer
        }
        catch (Exception error) when (error is TimeoutException or AskTimeoutException)
        {
            return Failed(TimedOutText);
        }
        catch (Exception)
        {
            // The handler's own failure stays with the host: its message may carry what the model should not see.
            return Failed($"Error: the tool '{_tool.Name}' failed.");
        }
        return result is ToolCallResult answer
            ? new CallToolResult { Content = [new TextContentBlock { Text = answer.Text }], IsError = answer.IsError }
            : Failed(WrongAnswerText);
    }

    /// <summary>A failed tool call, as the model sees it.</summary>
    public static CallToolResult Failed(string text) => new() { Content = [new TextContentBlock { Text = text }], IsError = true };

    // The handlers take the model's input as one JSON object, as the CLI sent it.
    private static JsonElement Arguments(IDictionary<string, JsonElement>? arguments) =>
        arguments is null ? RequestFields.EmptyObject : JsonSerializer.SerializeToElement(arguments, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, JsonElement>)));
}
