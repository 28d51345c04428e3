using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeActors.Protocol;
using ClaudeActors.Testing;
using Xunit;

namespace ClaudeActors.Tests.Testing;

/// <summary>The test kit's message factories build messages the library's own parser reads back unchanged.</summary>
public sealed class ClaudeMessagesTests
{
    private static readonly Dictionary<string, Func<ClaudeMessage>> Built = new()
    {
        ["Text"] = () => ClaudeMessages.Text("Hello \"world\"\n", sessionId: "s-1"),
        ["Assistant"] = () => ClaudeMessages.Assistant(new TextBlock { Text = "a" }, new ToolUseBlock { Id = "t", Name = "Read", Input = JsonDocument.Parse("{}").RootElement }),
        ["ToolUse(object)"] = () => ClaudeMessages.ToolUse("Bash", new { command = "echo hi", timeout = 5 }, id: "toolu_1"),
        ["ToolUse(JsonNode)"] = () => ClaudeMessages.ToolUse("mcp__db__query", JsonNode.Parse("""{"sql":"select 1"}""")!),
        ["ToolResult"] = () => ClaudeMessages.ToolResult("toolu_1", "hi\n"),
        ["ToolResult(error)"] = () => ClaudeMessages.ToolResult("toolu_1", "denied", isError: true),
        ["UserText"] = () => ClaudeMessages.UserText("a prompt"),
        ["Thinking"] = () => ClaudeMessages.Thinking("hmm"),
        ["Result"] = () => ClaudeMessages.Result("done"),
        ["Result(error)"] = () => ClaudeMessages.Result("API Error: 500", isError: true, subtype: "success", sessionId: "s-2", numTurns: 3, totalCostUsd: 0.5m, durationMs: 1234),
        ["SystemInit"] = () => ClaudeMessages.SystemInit("s-3", model: "claude-opus-5-5"),
        ["TextDelta"] = () => ClaudeMessages.TextDelta("fragment", index: 2),
    };

    public static TheoryData<string> Factories() => new(Built.Keys);

    [Theory]
    [MemberData(nameof(Factories))]
    public void A_factory_message_round_trips_through_the_parser(string name)
    {
        var message = Built[name]();
        var line = ClaudeMessages.ToJsonLine(message);

        var parsed = MessageParser.Parse(line);

        Assert.True(parsed.IsSuccess, $"{name}: {parsed.Error}");
        Assert.IsType(message.GetType(), parsed.Message);
        // Every field written is one the model names (the parser keeps only the wire type aside).
        Assert.Equal(["type"], parsed.Message!.ExtensionData?.Keys.ToArray() ?? ["type"]);
        Assert.Equal(line, ClaudeMessages.ToJsonLine(parsed.Message));
    }

    [Fact]
    public void Factories_fill_the_fields_code_under_test_reads()
    {
        var text = ClaudeMessages.Text("hi", "s");
        Assert.Equal(("assistant", "s", "hi"), (text.Message.Role, text.SessionId, Assert.IsType<TextBlock>(Assert.Single(text.Message.Content)).Text));

        var toolUse = ClaudeMessages.ToolUse("Bash", new { command = "ls" });
        var block = Assert.IsType<ToolUseBlock>(Assert.Single(toolUse.Message.Content));
        Assert.StartsWith("toolu_", block.Id);
        Assert.Equal("tool_use", toolUse.Message.StopReason);
        Assert.Equal("ls", block.Input.GetProperty("command").GetString());

        var toolResult = Assert.IsType<ToolResultBlock>(Assert.Single(ClaudeMessages.ToolResult(block.Id, "out", isError: true).Message.Content));
        Assert.Equal((block.Id, "out", (bool?)true), (toolResult.ToolUseId, toolResult.ContentText, toolResult.IsError));

        var result = ClaudeMessages.Result("done");
        Assert.Equal(("success", false, "done", "completed"), (result.Subtype, result.IsError, result.Result, result.TerminalReason));
        Assert.True(result.Usage!.OutputTokens > 0 && result.TotalCostUsd > 0 && result.DurationMs > 0 && result.NumTurns == 1);
        Assert.True(ClaudeMessages.Result("x", isError: true).IsError);

        var init = ClaudeMessages.SystemInit("sid");
        Assert.Equal((true, "sid", ClaudeMessages.DefaultModel), (init.IsInit, init.SessionId, init.Model));

        var delta = ClaudeMessages.TextDelta("abc");
        Assert.Equal(("content_block_delta", "abc"), (delta.EventType, delta.TextDelta));

        var thinking = Assert.IsType<ThinkingBlock>(Assert.Single(ClaudeMessages.Thinking("why").Message.Content));
        Assert.Equal("why", thinking.Thinking);
    }
}
