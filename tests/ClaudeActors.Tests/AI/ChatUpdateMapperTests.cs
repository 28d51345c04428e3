using System.Text.Json;
using ClaudeActors.AI;
using ClaudeActors.Protocol;
using ClaudeActors.Testing;
using Microsoft.Extensions.AI;
using Xunit;

namespace ClaudeActors.Tests.AI;

/// <summary>ClaudeMessage → ChatResponseUpdate, from the Testing factories and recorded CLI output; no session.</summary>
public sealed class ChatUpdateMapperTests
{
    private const string SessionId = "6f1c2a8e-2b7d-4c55-9a61-0c3f5e8d9b10";

    private static List<ChatResponseUpdate> MapAll(IEnumerable<ClaudeMessage> messages)
    {
        var mapper = new ChatUpdateMapper();
        return messages.SelectMany(mapper.Map).ToList();
    }

    private static StreamEventMessage Event(object value) => new() { Event = JsonSerializer.SerializeToElement(value) };

    private static StreamEventMessage MessageStart(string id, string model = "claude-fake-model") =>
        Event(new { type = "message_start", message = new { id, model, role = "assistant" } });

    private static StreamEventMessage ThinkingDelta(string text) =>
        Event(new { type = "content_block_delta", index = 0, delta = new { type = "thinking_delta", thinking = text } });

    private static AssistantMessage WithId(AssistantMessage message, string id) => message with { Message = message.Message with { Id = id } };

    [Fact]
    public void Text_deltas_become_text_updates_and_the_complete_copy_of_the_same_message_adds_no_text()
    {
        var updates = MapAll([
            ClaudeMessages.SystemInit(SessionId),
            MessageStart("msg_1"),
            ClaudeMessages.TextDelta("Hello, "),
            ClaudeMessages.TextDelta("world"),
            WithId(ClaudeMessages.Text("Hello, world"), "msg_1"),
            ClaudeMessages.Result("Hello, world", sessionId: SessionId),
        ]);

        var text = updates.Where(u => u.Text.Length > 0).ToList();
        Assert.Equal(["Hello, ", "world"], text.Select(u => u.Text));
        Assert.All(text, u => Assert.Equal("msg_1", u.MessageId));
        Assert.All(text, u => Assert.Equal(ChatRole.Assistant, u.Role));
        Assert.All(updates, u => Assert.Equal(SessionId, u.ConversationId));
        Assert.Equal("Hello, world", updates.ToChatResponse().Text);
        Assert.Equal("claude-fake-model", text[0].ModelId);
        Assert.IsType<StreamEventMessage>(text[0].RawRepresentation);
    }

    [Fact]
    public void Without_partial_messages_the_complete_assistant_message_gives_the_text()
    {
        var updates = MapAll([ClaudeMessages.SystemInit(SessionId), ClaudeMessages.Text("Whole answer"), ClaudeMessages.Result("Whole answer")]);

        var text = Assert.Single(updates, u => u.Text.Length > 0);
        Assert.Equal("Whole answer", text.Text);
        Assert.IsType<AssistantMessage>(text.RawRepresentation);
        Assert.Equal(ClaudeMessages.DefaultModel, text.ModelId);
    }

    [Fact]
    public void Thinking_becomes_reasoning_content_streamed_or_whole()
    {
        var streamed = MapAll([MessageStart("msg_t"), ThinkingDelta("Let me "), ThinkingDelta("think."), WithId(ClaudeMessages.Thinking("Let me think."), "msg_t")]);
        Assert.Equal(["Let me ", "think."], streamed.SelectMany(u => u.Contents).OfType<TextReasoningContent>().Select(c => c.Text));

        var whole = MapAll([ClaudeMessages.Thinking("Considering options"), ClaudeMessages.Text("Done")]);
        var reasoning = Assert.Single(whole.SelectMany(u => u.Contents).OfType<TextReasoningContent>());
        Assert.Equal("Considering options", reasoning.Text);
        var response = whole.ToChatResponse();
        Assert.Equal("Done", response.Text); // reasoning is not part of the text
    }

    [Fact]
    public void Tool_uses_are_informational_function_calls_and_their_results_tool_messages()
    {
        var updates = MapAll([
            ClaudeMessages.ToolUse("Bash", new { command = "ls", description = "list" }, id: "toolu_1"),
            ClaudeMessages.ToolResult("toolu_1", "a.txt\nb.txt"),
            ClaudeMessages.ToolUse("Write", new { file_path = "/x" }, id: "toolu_2"),
            ClaudeMessages.ToolResult("toolu_2", "denied", isError: true),
            ClaudeMessages.Text("Listed."),
            ClaudeMessages.Result("Listed.", numTurns: 3),
        ]);

        var calls = updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>().ToList();
        Assert.Equal(["Bash", "Write"], calls.Select(c => c.Name));
        Assert.All(calls, c => Assert.True(c.InformationalOnly));
        Assert.Equal("toolu_1", calls[0].CallId);
        Assert.Equal("ls", ((JsonElement)calls[0].Arguments!["command"]!).GetString());

        var resultUpdates = updates.Where(u => u.Contents.OfType<FunctionResultContent>().Any()).ToList();
        Assert.All(resultUpdates, u => Assert.Equal(ChatRole.Tool, u.Role));
        var results = resultUpdates.SelectMany(u => u.Contents).OfType<FunctionResultContent>().ToList();
        Assert.Equal("a.txt\nb.txt", results[0].Result);
        Assert.Null(results[0].AdditionalProperties);
        Assert.Equal(true, results[1].AdditionalProperties![ClaudeChatProperties.IsError]);

        var response = updates.ToChatResponse();
        Assert.Equal(
            [ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant],
            response.Messages.Select(m => m.Role));
        Assert.Equal("Listed.", response.Text);
        Assert.Equal(3, response.AdditionalProperties![ClaudeChatProperties.NumTurns]);
    }

    [Fact]
    public void The_result_carries_usage_with_the_cache_counted_in_finish_reason_cost_and_the_raw_result()
    {
        var result = ClaudeMessages.Result("ok", sessionId: SessionId, totalCostUsd: 0.0125m, durationMs: 900) with
        {
            Usage = new Usage { InputTokens = 10, OutputTokens = 5, CacheCreationInputTokens = 100, CacheReadInputTokens = 1000 },
        };
        var update = Assert.Single(MapAll([result]));

        Assert.Equal(ChatFinishReason.Stop, update.FinishReason);
        Assert.Same(result, update.RawRepresentation);
        Assert.Equal(result.Uuid, update.ResponseId);
        Assert.Null(update.Role);
        Assert.Null(update.MessageId);
        var usage = Assert.IsType<UsageContent>(Assert.Single(update.Contents)).Details;
        Assert.Equal(1110, usage.InputTokenCount);
        Assert.Equal(5, usage.OutputTokenCount);
        Assert.Equal(1115, usage.TotalTokenCount);
        Assert.Equal(1000, usage.CachedInputTokenCount);
        Assert.Equal(100, usage.AdditionalCounts![ClaudeChatProperties.CacheCreationInputTokens]);
        Assert.Equal(0.0125m, update.AdditionalProperties![ClaudeChatProperties.TotalCostUsd]);
        Assert.Equal(900L, update.AdditionalProperties[ClaudeChatProperties.DurationMs]);

        var response = new[] { update }.ToChatResponse();
        Assert.Equal(1110, response.Usage!.InputTokenCount);
        Assert.Equal(SessionId, response.ConversationId);
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("refusal", "content_filter")]
    [InlineData("pause_turn", "pause_turn")]
    public void Stop_reasons_map_to_finish_reasons(string stopReason, string finishReason)
    {
        var update = Assert.Single(MapAll([ClaudeMessages.Result("x") with { StopReason = stopReason }]));
        Assert.Equal(finishReason, update.FinishReason!.Value.Value);
    }

    [Fact]
    public void Sub_agent_traffic_and_replayed_prompts_give_no_update()
    {
        var updates = MapAll([
            ClaudeMessages.TextDelta("sub") with { ParentToolUseId = "toolu_task" },
            ClaudeMessages.Text("from a sub-agent") with { ParentToolUseId = "toolu_task" },
            ClaudeMessages.UserText("echoed prompt") with { IsReplay = true },
            ClaudeMessages.Text("main"),
        ]);
        Assert.Equal("main", Assert.Single(updates).Text);
    }

    [Fact]
    public void A_recorded_streamed_turn_of_the_real_cli_concatenates_to_its_result()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "partial-messages-turn.jsonl"));
        var messages = lines.Select(l => MessageParser.Parse(l).Message!).ToList();
        var result = messages.OfType<ResultMessage>().Single();

        var updates = MapAll(messages);
        Assert.True(updates.Count(u => u.Text.Length > 0) > 1, "the text should arrive in several deltas");
        Assert.Equal(result.Result, string.Concat(updates.Select(u => u.Text)));
        var response = updates.ToChatResponse();
        Assert.Equal(result.Result, response.Text);
        Assert.Equal(result.SessionId, response.ConversationId);
        Assert.Equal("claude-opus-5-5", response.ModelId);
        Assert.Equal(result.TotalCostUsd, response.AdditionalProperties![ClaudeChatProperties.TotalCostUsd]);
        Assert.Equal(result.Usage!.OutputTokens, response.Usage!.OutputTokenCount);
    }
}
