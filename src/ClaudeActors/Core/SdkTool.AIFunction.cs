using System.Text.Json;
using Microsoft.Extensions.AI;

namespace ClaudeActors.Core;

public sealed partial record SdkTool
{
    /// <summary>
    /// An in-process tool from a Microsoft.Extensions.AI function (e.g. <c>AIFunctionFactory.Create((int a, int b) =&gt; a * b, "multiply")</c>):
    /// the model sees the function's name, description and JSON schema; its arguments are bound to the function's
    /// parameters; the returned value reaches the model as text (a string as it is, anything else as JSON).
    /// </summary>
    /// <remarks>
    /// A function that throws never fails the session: the model gets a tool error. Its text is
    /// <c>Error: the tool 'name' failed.</c>, with the exception's type and message only when
    /// <paramref name="includeErrorDetails"/> is true, because exception messages may carry data the model should not
    /// see (the same default as <c>FunctionInvokingChatClient.IncludeDetailedErrors</c>). The call is bounded by
    /// <see cref="SessionCallbacks.Timeout"/> like every handler; the token passed to the function is cancelled then.
    /// </remarks>
    /// <param name="function">The function.</param>
    /// <param name="includeErrorDetails">Whether the model sees the exception's type and message when the function throws.</param>
    public static SdkTool From(AIFunction function, bool includeErrorDetails = false)
    {
        ArgumentNullException.ThrowIfNull(function);
        var name = function.Name;
        var handler = CallbackHandler.Delegate<ToolCall, ToolCallResult>(async (call, cancellationToken) =>
        {
            try
            {
                var result = await function.InvokeAsync(Arguments(call.Arguments), cancellationToken).ConfigureAwait(false);
                return new ToolCallResult(ResultText(result, function.JsonSerializerOptions));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw; // the session answers a timed-out or withdrawn call itself
            }
            catch (Exception ex)
            {
                var text = includeErrorDetails
                    ? $"Error: the tool '{name}' failed: {ex.GetType().Name}: {ex.Message}"
                    : $"Error: the tool '{name}' failed.";
                return new ToolCallResult(text, IsError: true);
            }
        });
        return new SdkTool(name, function.Description, function.JsonSchema.Clone(), handler);
    }

    // AIFunctionFactory's functions bind JsonElement values to their parameters' types.
    private static AIFunctionArguments Arguments(JsonElement input)
    {
        var arguments = new AIFunctionArguments();
        if (input.ValueKind == JsonValueKind.Object)
            foreach (var property in input.EnumerateObject())
                arguments[property.Name] = property.Value.Clone();
        return arguments;
    }

    private static string ResultText(object? result, JsonSerializerOptions options) => result switch
    {
        null => "",
        string text => text,
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString() ?? "",
        JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => "",
        JsonElement element => element.GetRawText(),
        TextContent content => content.Text,
        _ => JsonSerializer.Serialize(result, result.GetType(), options),
    };
}
