using ClaudeActors.Client;
using ClaudeActors.Protocol;
using Xunit;

namespace ClaudeActors.Tests.Client;

public sealed class ClaudeStreamTests
{
    private static readonly string[] Lines =
    [
        """{"type":"system","subtype":"init","session_id":"s1"}""",
        """{"type":"stream_event","event":{"type":"content_block_delta","delta":{"type":"thinking_delta","thinking":"hmm"}}}""",
        """{"type":"stream_event","event":{"type":"content_block_delta","delta":{"type":"text_delta","text":"Let me "}}}""",
        """{"type":"assistant","message":{"role":"assistant","content":[{"type":"thinking","thinking":"hmm, files"},{"type":"text","text":"Let me look."},{"type":"tool_use","id":"t1","name":"Read","input":{"file_path":"/a"}},{"type":"tool_use","id":"t2","name":"Bash","input":{"command":"ls"}}]}}""",
        """{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"file a"},{"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"x y"}]}]}}""",
        """{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"Done."}]}}""",
        """{"type":"result","subtype":"success","is_error":false,"result":"Done.","session_id":"s1"}""",
        """{"type":"system","subtype":"status"}""",
    ];

    private static async IAsyncEnumerable<ClaudeMessage> Turn()
    {
        foreach (var line in Lines)
        {
            await Task.Yield();
            yield return MessageParser.Parse(line).Message!;
        }
    }

    private static async Task<List<T>> ToList<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items) list.Add(item);
        return list;
    }

    [Fact]
    public async Task Text_and_thinking_helpers_pick_their_blocks_and_deltas()
    {
        Assert.Equal(["Let me look.", "Done."], await ToList(Turn().TextContent()));
        Assert.Equal(["Let me "], await ToList(Turn().TextDeltas()));
        Assert.Equal(["hmm, files"], await ToList(Turn().ThinkingContent()));
        Assert.Equal(["hmm"], await ToList(Turn().ThinkingDeltas()));
        Assert.Equal("Done.", await Turn().FinalTextAsync());
        Assert.Equal("s1", (await Turn().FinalResultAsync())!.SessionId);
    }

    [Fact]
    public async Task Tool_helpers_pair_results_with_the_tool_names()
    {
        Assert.Equal(["Read", "Bash"], (await ToList(Turn().ToolUses())).Select(t => t.Name));
        var bash = Assert.Single(await ToList(Turn().ToolResults("Bash")));
        Assert.Equal("x y", bash.Result.ContentText);
        Assert.Equal(2, (await ToList(Turn().ToolResults())).Count);
    }

    [Fact]
    public async Task Filter_until_result_and_collect()
    {
        Assert.Equal(2, (await ToList(Turn().OfMessageType<AssistantMessage>())).Count);
        var until = await ToList(Turn().UntilResult());
        Assert.IsType<ResultMessage>(until[^1]);
        Assert.Equal(Lines.Length - 1, until.Count);
        var collected = await Turn().CollectAsync();
        Assert.Equal("Done.", collected.Text);
        Assert.Equal(2, collected.ToolUses.Count);
        Assert.Equal(Lines.Length, collected.Messages.Count);
    }
}
