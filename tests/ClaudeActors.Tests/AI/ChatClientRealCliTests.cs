using ClaudeActors.AI;
using ClaudeActors.Client;
using ClaudeActors.Protocol;
using ClaudeActors.Testing;
using ClaudeActors.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.AI;

/// <summary>The chat client over the real CLI and the fake Messages API.</summary>
public sealed class ChatClientRealCliTests(ITestOutputHelper output) : SessionTestKit(output)
{
    [Fact]
    public async Task Two_turns_keep_their_context_in_the_cli_and_the_history_is_not_sent_again()
    {
        await using var session = await StartRealAsync();
        var client = session.AsChatClient();

        List<ChatMessage> history = [new(ChatRole.User, "My name is Alice")];
        var first = await client.GetResponseAsync(history);
        Assert.Equal("Nice to meet you, Alice.", first.Text);
        history.AddMessages(first);
        history.Add(new(ChatRole.User, "What is my name?"));
        var second = await client.GetResponseAsync(history, new ChatOptions { ConversationId = first.ConversationId });

        Assert.Equal("Your name is Alice!", second.Text);
        Assert.Equal(await session.GetSessionIdAsync(), second.ConversationId);
        // The API saw the first prompt once: from the CLI's own conversation, not re-sent with the history.
        Assert.Single(Api.ConversationRequests[^1].UserTexts, t => t.Contains("My name is Alice"));

        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.False(string.IsNullOrEmpty(second.ModelId));
        Assert.True(second.Usage!.InputTokenCount > 0);
        Assert.True(second.Usage.OutputTokenCount > 0);
        Assert.True((decimal)second.AdditionalProperties![ClaudeChatProperties.TotalCostUsd]! > 0);
        var raw = Assert.IsAssignableFrom<IReadOnlyList<ClaudeMessage>>(second.RawRepresentation);
        Assert.Contains(raw, m => m is SystemMessage { IsInit: true });
        Assert.Equal("Your name is Alice!", raw.OfType<ResultMessage>().Single().Result);
        // The session's environment holds the API key: nothing of it reaches the response's properties.
        Assert.DoesNotContain(CliSandbox.TestApiKey, System.Text.Json.JsonSerializer.Serialize(second.AdditionalProperties));
    }

    [Fact]
    public async Task A_streamed_response_arrives_in_several_updates_that_concatenate_to_the_answer()
    {
        await using var session = await StartRealAsync(o => o with { IncludePartialMessages = true });
        var client = session.AsChatClient();

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new(ChatRole.User, "[slow:20] Say exactly: streamed in ten little pieces")]))
            updates.Add(update);

        Assert.True(updates.Count(u => u.Text.Length > 0) > 1, "the answer should arrive in several text updates");
        Assert.Equal("streamed in ten little pieces", string.Concat(updates.Select(u => u.Text)));
        var last = updates[^1];
        Assert.IsType<ResultMessage>(last.RawRepresentation);
        Assert.Equal(ChatFinishReason.Stop, last.FinishReason);
        Assert.Contains(last.Contents, c => c is UsageContent);
        Assert.All(updates, u => Assert.Equal(updates[0].ConversationId, u.ConversationId));
        Assert.Equal("streamed in ten little pieces", updates.ToChatResponse().Text);
    }

    [Fact]
    public async Task A_tool_the_cli_ran_shows_up_as_an_informational_call_with_its_result_and_is_not_run_again()
    {
        await using var session = await StartRealAsync(o => o with { AllowedTools = ["Bash"] });
        using var client = new ChatClientBuilder(session.AsChatClient()).UseFunctionInvocation().Build();
        Api.EnqueueReply(FakeReply.ToolUse("Bash", new { command = "echo from-bash", description = "Print a word" }));

        var response = await client.GetResponseAsync([new(ChatRole.User, "Run the command")]);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("Bash", call.Name);
        Assert.True(call.InformationalOnly);
        Assert.Equal("echo from-bash", call.Arguments!["command"]!.ToString());
        var resultMessage = Assert.Single(response.Messages, m => m.Role == ChatRole.Tool);
        var result = Assert.IsType<FunctionResultContent>(Assert.Single(resultMessage.Contents));
        Assert.Equal(call.CallId, result.CallId);
        Assert.Contains("from-bash", result.Result!.ToString());
        Assert.EndsWith("Tool result received: from-bash", response.Text);
        // One turn: the tool_use request and the answer to its result; the invoker upstream added none.
        Assert.Equal(2, Api.ConversationRequests.Count);
        Assert.Equal(2, response.AdditionalProperties![ClaudeChatProperties.NumTurns]);
    }

    [Fact]
    public async Task The_model_option_switches_the_model_of_the_next_api_request()
    {
        await using var session = await StartRealAsync();
        var client = session.AsChatClient();
        await client.GetResponseAsync([new(ChatRole.User, "Say exactly: before")]);
        Assert.DoesNotContain("haiku", Api.ConversationRequests[^1].Model);

        var response = await client.GetResponseAsync([new(ChatRole.User, "Say exactly: after")], new ChatOptions { ModelId = "haiku" });

        Assert.Contains("haiku", Api.ConversationRequests[^1].Model);
        Assert.Contains("haiku", response.ModelId);
        Assert.Contains("haiku", client.GetService<ChatClientMetadata>()!.DefaultModelId);
        await client.GetResponseAsync([new(ChatRole.User, "Say exactly: still")], new ChatOptions { ModelId = "haiku" });
        Assert.Contains("haiku", Api.ConversationRequests[^1].Model);
    }

    [Fact]
    public async Task A_client_by_name_starts_its_session_with_the_system_message_and_continues_it()
    {
        var sessions = new ClaudeSessionsClient(Sys);
        var client = sessions.GetChatClient("named-helper", Sandbox.RealCliOptions());

        var first = await client.GetResponseAsync([new(ChatRole.System, "Always answer in one line."), new(ChatRole.User, "My name is Bob")]);
        Assert.Equal("Nice to meet you, Bob.", first.Text);
        Assert.Contains("Always answer in one line.", Api.ConversationRequests[^1].System);
        Assert.Equal("named-helper", client.GetService<ClaudeSession>()!.Name);

        var second = await client.GetResponseAsync([new(ChatRole.User, "What is my name?")]);
        Assert.Equal("Your name is Bob!", second.Text);
        Assert.Equal(first.ConversationId, second.ConversationId);
        Assert.Single(await sessions.ListAsync());
    }
}
