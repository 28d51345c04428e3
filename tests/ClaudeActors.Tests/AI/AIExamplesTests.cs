using ClaudeActors.Client;
using ClaudeActors.Examples;
using ClaudeActors.Testing;
using ClaudeActors.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.AI;

/// <summary>The README's AI samples (src/ClaudeActors.Examples/AIIntegration.cs) run for real.</summary>
public sealed class AIExamplesTests(ITestOutputHelper output) : SessionTestKit(output)
{
    [Fact]
    public async Task The_chat_client_sample_holds_a_two_turn_conversation()
    {
        await using var session = await StartRealAsync(o => o with { IncludePartialMessages = true });
        Assert.Equal("Your name is Alice!", await AIIntegration.ChatAsync(session));
    }

    [Fact]
    public async Task The_agent_sample_continues_a_deserialized_session()
    {
        var template = Sandbox.RealCliOptions() with { Name = "assistant" };
        Assert.Equal("The code is 4711.", await AIIntegration.AgentAsync(new ClaudeSessionsClient(Sys), template));
    }

    [Fact]
    public async Task The_function_tool_sample_multiplies_for_the_model()
    {
        await using var session = await StartRealAsync(AIIntegration.WithFunctionTools);
        Api.EnqueueReply(FakeReply.ToolUse("mcp__calc__multiply", new { a = 6, b = 7 }));
        Assert.Equal("Tool result received: 42", await session.FinalTextAsync("What is 6 times 7?"));
    }

    [Fact]
    public async Task The_mcp_sdk_attribute_sample_answers_the_forecast_for_the_model()
    {
        await using var session = await StartRealAsync(McpSdkTools.WithWeatherTools);
        Api.EnqueueReply(FakeReply.ToolUse("mcp__weather__forecast", new { city = "Bergen", days = 2 }));
        Assert.Equal("Tool result received: Bergen: sunny for the next 2 days", await session.FinalTextAsync("Weather in Bergen?"));
    }

    [Fact]
    public async Task The_dependency_injection_sample_resolves_a_pipeline_over_the_named_session()
    {
        var sessions = new ClaudeSessionsClient(Sys);
        var services = new ServiceCollection().AddLogging().AddSingleton<IClaudeSessions>(sessions);
        AIIntegration.Register(services);
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredKeyedService<IChatClient>("assistant");
        Assert.NotNull(client.GetService<OpenTelemetryChatClient>());
        Assert.Equal("claude-code", client.GetService<ChatClientMetadata>()!.ProviderName);
        // No session is named "assistant" here: the call says so, typed.
        await Assert.ThrowsAsync<SessionNotFoundException>(() => client.GetResponseAsync([new(ChatRole.User, "hello")]));

        await using var assistant = await sessions.StartAsync(Sandbox.RealCliOptions("assistant"));
        Assert.Equal("Echo: hello", (await client.GetResponseAsync([new(ChatRole.User, "hello")])).Text);
    }
}
