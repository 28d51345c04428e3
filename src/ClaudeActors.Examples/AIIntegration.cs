using ClaudeActors.AI;
using ClaudeActors.Client;
using ClaudeActors.Core;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeActors.Examples;

/// <summary>The README's "Using it from Microsoft.Extensions.AI and the Agent Framework".</summary>
public static class AIIntegration
{
    /// <summary>A session as an <see cref="IChatClient"/>: two turns of one conversation.</summary>
    public static async Task<string> ChatAsync(ClaudeSession session)
    {
        IChatClient client = session.AsChatClient();

        // The conversation lives in the CLI: only the new user message is sent, the history may be passed or not.
        List<ChatMessage> history = [new(ChatRole.User, "My name is Alice")];
        ChatResponse first = await client.GetResponseAsync(history);
        history.AddMessages(first);
        history.Add(new(ChatRole.User, "What is my name?"));

        // Streaming: text deltas (with IncludePartialMessages), thinking, and the tools the CLI ran (informational).
        var answer = "";
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(history, new ChatOptions { ConversationId = first.ConversationId }))
            answer += update.Text;

        // ConversationId is the session id; cost, usage and the raw protocol messages come with every response.
        Console.WriteLine($"{answer} (conversation {first.ConversationId}, {first.AdditionalProperties?[ClaudeChatProperties.TotalCostUsd]} USD)");
        return answer;
    }

    /// <summary>A keyed chat client from dependency injection, with the usual pipeline over it.</summary>
    public static void Register(IServiceCollection services) =>
        services.AddClaudeChatClient("assistant")      // the session named "assistant", found at each call (cluster-wide too)
            .UseOpenTelemetry()                          // any ChatClientBuilder middleware composes over it
            .UseLogging();                               // resolve with [FromKeyedServices("assistant")] IChatClient

    /// <summary>An <see cref="AIAgent"/> whose session is serialized, and continued from its JSON (in a new host, too).</summary>
    public static async Task<string> AgentAsync(IClaudeSessions sessions, SessionOptions template)
    {
        AIAgent agent = sessions.CreateAIAgent(template, description: "A helpful assistant");
        AgentSession session = await agent.CreateSessionAsync();     // starts a named session
        await agent.RunAsync("Remember: the code is 4711", session);  // one turn

        // {"sessionName":"assistant-…","sessionId":"…","resumable":true}: store it anywhere.
        string saved = (await agent.SerializeSessionAsync(session)).GetRawText();

        // Later, in any process or on any cluster node with the same template: the same conversation.
        AgentSession restored = await agent.DeserializeSessionAsync(System.Text.Json.JsonDocument.Parse(saved).RootElement);
        AgentResponse response = await agent.RunAsync("What was the code?", restored);
        return response.Text;
    }

    /// <summary>A Microsoft.Extensions.AI function as a tool the model can call, served in-process.</summary>
    public static SessionOptions WithFunctionTools(SessionOptions options) => options with
    {
        AllowedTools = ["mcp__calc__multiply"],      // mcp__<server>__<tool>: no permission prompt
        Callbacks = new()
        {
            McpServers =
            [
                new SdkMcpServer("calc",
                [
                    SdkTool.From(AIFunctionFactory.Create((int a, int b) => a * b, "multiply", "Multiplies two integers")),
                ]),
            ],
        },
    };
}
