using System.Text.Json;
using ClaudeActors.Client;
using ClaudeActors.Protocol;
using ClaudeActors.Testing;
using ClaudeActors.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.AI;

/// <summary>SdkTool.From(AIFunction): a Microsoft.Extensions.AI function served by the session's in-process MCP server.</summary>
public sealed class AIFunctionToolTests(ITestOutputHelper output) : SessionTestKit(output)
{
    private static ToolCall Call(object arguments) => new("s", "calc", "tool", JsonSerializer.SerializeToElement(arguments));

    private static async Task<ToolCallResult> InvokeAsync(SdkTool tool, ToolCall call) =>
        (ToolCallResult)await tool.Handler.InvokeAsync(null!, call, TimeSpan.FromSeconds(10), CancellationToken.None);

    [Fact]
    public async Task The_real_cli_calls_the_function_with_its_arguments_bound_and_the_model_gets_the_result()
    {
        var calls = new List<(int A, int B)>();
        var multiply = AIFunctionFactory.Create((int a, int b) =>
        {
            lock (calls) calls.Add((a, b));
            return a * b;
        }, "multiply", "Multiplies two integers");
        var weather = AIFunctionFactory.Create(string (string city) => throw new InvalidOperationException("no forecast for " + city),
            "weather", "Tells the weather");
        var server = new SdkMcpServer("calc", [SdkTool.From(multiply), SdkTool.From(weather, includeErrorDetails: true)]);
        await using var session = await StartRealAsync(o => o with
        {
            AllowedTools = ["mcp__calc__multiply", "mcp__calc__weather"],
            Callbacks = new() { McpServers = [server] },
        });

        Api.EnqueueReply(FakeReply.ToolUse("mcp__calc__multiply", new { a = 6, b = 7 }));
        var messages = await session.StreamAsync("What is 6 times 7?").CollectAsync();
        Assert.Equal([(6, 7)], calls);
        Assert.Equal("Tool result received: 42", messages.Text);
        Assert.Contains("mcp__calc__multiply", messages.Messages.OfType<SystemMessage>().First(m => m.IsInit).Tools!);

        // A function that throws: the model gets a tool error, and the session goes on.
        Api.EnqueueReply(FakeReply.ToolUse("mcp__calc__weather", new { city = "Oslo" }));
        var failed = await session.StreamAsync("What is the weather in Oslo?").CollectAsync();
        var result = failed.Messages.OfType<UserMessage>().SelectMany(m => m.Message.Content).OfType<ToolResultBlock>().Single();
        Assert.True(result.IsError);
        Assert.Contains("no forecast for Oslo", result.ContentText);
        Assert.Equal("still here", await session.FinalTextAsync("Say exactly: still here"));
    }

    [Fact]
    public void The_schema_name_and_description_come_from_the_function()
    {
        var function = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two integers");
        var tool = SdkTool.From(function);

        Assert.Equal("add", tool.Name);
        Assert.Equal("Adds two integers", tool.Description);
        Assert.Equal(function.JsonSchema.GetRawText(), tool.InputSchema.GetRawText());
        Assert.Equal(["a", "b"], tool.InputSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Results_reach_the_model_as_text_strings_as_they_are_and_objects_as_json()
    {
        var text = SdkTool.From(AIFunctionFactory.Create((string name) => "hello " + name, "greet"));
        var json = SdkTool.From(AIFunctionFactory.Create((int n) => new { n, square = n * n }, "square"));
        var nothing = SdkTool.From(AIFunctionFactory.Create(() => { }, "noop"));

        Assert.Equal(new ToolCallResult("hello Ada"), await InvokeAsync(text, Call(new { name = "Ada" })));
        var square = JsonDocument.Parse((await InvokeAsync(json, Call(new { n = 4 }))).Text).RootElement;
        Assert.Equal(16, square.GetProperty("square").GetInt32());
        Assert.Equal(new ToolCallResult(""), await InvokeAsync(nothing, Call(new { })));
    }

    [Fact]
    public async Task Errors_become_tool_errors_and_keep_their_details_to_themselves_unless_asked()
    {
        var secretive = AIFunctionFactory.Create(int (int a) => throw new InvalidOperationException("db password is hunter2"), "fragile");

        var hidden = await InvokeAsync(SdkTool.From(secretive), Call(new { a = 1 }));
        Assert.True(hidden.IsError);
        Assert.Equal("Error: the tool 'fragile' failed.", hidden.Text);

        var detailed = await InvokeAsync(SdkTool.From(secretive, includeErrorDetails: true), Call(new { a = 1 }));
        Assert.True(detailed.IsError);
        Assert.Contains("InvalidOperationException: db password is hunter2", detailed.Text);

        // Arguments the function cannot bind are a tool error too, not a crash.
        var unbound = await InvokeAsync(SdkTool.From(secretive, includeErrorDetails: true), Call(new { a = "not a number" }));
        Assert.True(unbound.IsError);
    }
}
