using Akka.TestKit.Xunit2;
using ClaudeActors.AI;
using ClaudeActors.Client;
using ClaudeActors.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.AI;

/// <summary>The chat client's contract over scripted sessions (no CLI): what it sends, in what order, and what it refuses.</summary>
public sealed class ChatClientStubTests(ITestOutputHelper output) : TestKit("akka.loglevel = INFO", output)
{
    private static ChatMessage User(string text) => new(ChatRole.User, text);

    [Fact]
    public async Task Only_the_user_messages_after_the_last_answer_are_sent_and_system_messages_are_not()
    {
        var script = new StubScript().Reply("first").Reply("second");
        var client = StubSession.Start(Sys, script, "history").AsChatClient();

        List<ChatMessage> history = [new(ChatRole.System, "Be brief"), User("My name is Ann")];
        history.AddMessages(await client.GetResponseAsync(history));
        history.Add(User("Anything else?"));
        history.Add(User("What is my name?"));
        var response = await client.GetResponseAsync(history);

        Assert.Equal("second", response.Text);
        Assert.Equal(["My name is Ann", "Anything else?\n\nWhat is my name?"], script.ReceivedPrompts);
    }

    [Fact]
    public async Task Concurrent_calls_on_one_client_run_one_at_a_time_in_call_order()
    {
        var script = new StubScript().Respond(prompt => StubReply.Text("re: " + prompt).WithDelay(TimeSpan.FromMilliseconds(30)));
        var client = StubSession.Start(Sys, script, "queue").AsChatClient();

        var calls = Enumerable.Range(1, 5).Select(i => client.GetResponseAsync([User("q" + i)], new ChatOptions { ModelId = "haiku" })).ToList();
        var responses = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(1, 5).Select(i => "re: q" + i), responses.Select(r => r.Text));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => "q" + i), script.ReceivedPrompts);
    }

    [Fact]
    public async Task The_model_option_switches_the_session_model_and_the_metadata_follows()
    {
        var script = new StubScript();
        var session = StubSession.Start(Sys, script, "model");
        var client = session.AsChatClient();

        var response = await client.GetResponseAsync([User("hi")], new ChatOptions { ModelId = "haiku" });

        Assert.Equal("haiku", (await session.GetInfoAsync()).Model);
        // The stub's assistant messages name their own model: the response tells what answered.
        Assert.Equal(ClaudeMessages.DefaultModel, response.ModelId);
        Assert.Equal(response.ModelId, client.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.Equal("claude-code", client.GetService<ChatClientMetadata>()!.ProviderName);
        Assert.Same(session, client.GetService<ClaudeSession>());
    }

    [Fact]
    public async Task The_conversation_id_is_the_session_id_and_a_foreign_one_is_refused()
    {
        var script = new StubScript();
        var client = StubSession.Start(Sys, script, "conversation").AsChatClient();

        var first = await client.GetResponseAsync([User("one")]);
        Assert.Equal(script.SessionId, first.ConversationId);
        await client.GetResponseAsync([User("two")], new ChatOptions { ConversationId = first.ConversationId });
        await client.GetResponseAsync([User("three")], new ChatOptions { ConversationId = "conversation" });

        var foreign = new ChatOptions { ConversationId = Guid.NewGuid().ToString() };
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync([User("four")], foreign));
        Assert.Equal(["one", "two", "three"], script.ReceivedPrompts);
    }

    [Fact]
    public async Task Inputs_the_cli_cannot_honour_fail_the_call_before_anything_is_sent()
    {
        var script = new StubScript();
        var client = StubSession.Start(Sys, script, "refusals").AsChatClient();
        var tool = AIFunctionFactory.Create((int a) => a, "identity");

        await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync([User("x")], new ChatOptions { Tools = [tool] }));
        await Assert.ThrowsAsync<NotSupportedException>(() =>
            client.GetResponseAsync([User("x")], new ChatOptions { ResponseFormat = ChatResponseFormat.Json }));
        await Assert.ThrowsAsync<NotSupportedException>(() =>
            client.GetResponseAsync([new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1, 2 }, "image/png")])]));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            client.GetResponseAsync([User("q"), new ChatMessage(ChatRole.Assistant, "a")]));
        Assert.Throws<ArgumentException>(() => client.GetStreamingResponseAsync([]));
        Assert.Empty(script.ReceivedPrompts);

        // Sampling options are the CLI's own: ignored, the call runs.
        var answer = await client.GetResponseAsync([User("sampled")], new ChatOptions { Temperature = 0.1f, MaxOutputTokens = 5 });
        Assert.Equal("Echo: sampled", answer.Text);
    }

    [Fact]
    public async Task A_failed_turn_throws_the_session_exception()
    {
        var script = new StubScript().Fail(FailureKind.ApiError, "overloaded");
        var client = StubSession.Start(Sys, script, "failing").AsChatClient();

        await Assert.ThrowsAsync<ClaudeApiErrorException>(() => client.GetResponseAsync([User("x")]));
        // The client is still usable: the next call is the next turn.
        Assert.Equal("Echo: again", (await client.GetResponseAsync([User("again")])).Text);
    }

    [Fact]
    public async Task A_function_invoking_client_upstream_leaves_the_tools_the_cli_ran_alone()
    {
        var script = new StubScript().ReplyWith(
            ClaudeMessages.ToolUse("Bash", new { command = "echo hi" }, id: "toolu_cli"),
            ClaudeMessages.ToolResult("toolu_cli", "hi"),
            ClaudeMessages.Text("The command printed hi."));
        using var client = new ChatClientBuilder(StubSession.Start(Sys, script, "invoking").AsChatClient()).UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync([User("Run echo hi")]);

        // Were the call not informational, the invoker would answer it ("function not found") and call again.
        Assert.Single(script.ReceivedPrompts);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.True(call.InformationalOnly);
        Assert.Equal("hi", Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>()).Result);
        Assert.EndsWith("The command printed hi.", response.Text);
    }

    [Fact]
    public async Task A_client_by_name_starts_the_session_once_with_the_system_message_and_then_finds_it()
    {
        var sessions = new StubSessions(Sys);
        var client = sessions.GetChatClient("helper", new SessionOptions { AppendSystemPrompt = "Template prompt." });
        Assert.Null(client.GetService<ClaudeSession>());

        await client.GetResponseAsync([new(ChatRole.System, "Answer in French."), User("Bonjour")]);
        await client.GetResponseAsync([User("Encore")], new ChatOptions { Instructions = "ignored: the session runs" });

        var started = Assert.Single(sessions.Started);
        Assert.Equal("helper", started.Name);
        Assert.Equal("Template prompt.\n\nAnswer in French.", started.AppendSystemPrompt);
        Assert.Equal(["Bonjour", "Encore"], sessions.Script("helper").ReceivedPrompts);
        Assert.Equal("helper", client.GetService<ClaudeSession>()!.Name);

        var unknown = sessions.GetChatClient("nobody");
        await Assert.ThrowsAsync<SessionNotFoundException>(() => unknown.GetResponseAsync([User("hello?")]));
    }

    [Fact]
    public async Task A_keyed_client_from_dependency_injection_composes_with_a_chat_client_builder_pipeline()
    {
        var sessions = new StubSessions(Sys);
        var seen = new List<string>();
        var services = new ServiceCollection();
        services.AddSingleton<IClaudeSessions>(sessions);
        services.AddClaudeChatClient("assistant", new SessionOptions())
            .Use((messages, options, next, cancellationToken) =>
            {
                lock (seen) seen.Add(messages.Last().Text);
                return next(messages, options, cancellationToken);
            });
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredKeyedService<IChatClient>("assistant");
        var response = await client.GetResponseAsync([User("through the pipeline")]);

        Assert.Equal("Echo: through the pipeline", response.Text);
        Assert.Equal(["through the pipeline"], seen);
        Assert.Same(client, provider.GetRequiredKeyedService<IChatClient>("assistant"));
        Assert.Equal("claude-code", client.GetService<ChatClientMetadata>()!.ProviderName);
        Assert.Equal("assistant", client.GetService<ClaudeSession>()!.Name);
    }
}
