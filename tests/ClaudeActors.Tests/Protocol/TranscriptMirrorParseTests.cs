using ClaudeActors.Cluster;
using ClaudeActors.Protocol;
using Xunit;

namespace ClaudeActors.Tests.Protocol;

public sealed class TranscriptMirrorParseTests
{
    [Fact]
    public void Entries_are_kept_as_the_exact_json_text_wherever_type_is()
    {
        // Unicode, escapes and key order as written: nothing is re-serialized.
        const string a = """{"type":"user","message":{"content":"é \u00e9 \"q\""},"n":1.50}""";
        const string b = """{"z":[1,{"y":null}],"type":"attachment"}""";
        var line = $$"""{"filePath":"/c/projects/-w/11111111-2222-3333-4444-555555555555.jsonl","entries":[{{a}},{{b}}],"type":"transcript_mirror"}""";

        var frame = Assert.IsType<TranscriptMirrorMessage>(MessageParser.Parse(line).Message);

        Assert.Equal("/c/projects/-w/11111111-2222-3333-4444-555555555555.jsonl", frame.FilePath);
        Assert.Equal([a, b], frame.Entries);
        Assert.Equal(a + "\n" + b + "\n", frame.ToTranscriptText());
        Assert.Equal("11111111-2222-3333-4444-555555555555", TranscriptMirrorBuffer.SessionIdOf(frame));
    }

    [Fact]
    public void A_subagent_file_is_not_a_conversation_transcript()
    {
        var frame = new TranscriptMirrorMessage { FilePath = "/c/projects/-w/11111111-2222-3333-4444-555555555555/subagents/agent-a1.jsonl", Entries = ["{}"] };
        Assert.Null(TranscriptMirrorBuffer.SessionIdOf(frame));
    }

    [Fact]
    public void The_buffer_is_full_at_500_entries_and_take_empties_it()
    {
        var buffer = new TranscriptMirrorBuffer();
        var frame = new TranscriptMirrorMessage { FilePath = "/x.jsonl", Entries = Enumerable.Repeat("{}", 499).ToList() };
        buffer.Add("s", frame);
        Assert.False(buffer.IsFull);
        buffer.Add("s", new TranscriptMirrorMessage { FilePath = "/x.jsonl", Entries = ["{}"] });
        Assert.True(buffer.IsFull);
        var (id, text) = buffer.Take();
        Assert.Equal("s", id);
        Assert.Equal(1500, text.Length);
        Assert.True(buffer.IsEmpty);
        Assert.Null(buffer.SessionId);
    }

    [Fact]
    public void A_malformed_frame_is_surfaced_raw_not_thrown()
    {
        var result = MessageParser.Parse("""{"type":"transcript_mirror","filePath":1,"entries":[]}""");
        Assert.IsType<UnknownMessage>(result.Message);
    }
}
