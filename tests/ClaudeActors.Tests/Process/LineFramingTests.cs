using System.Text;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit.Xunit2;
using ClaudeActors.Process;
using Xunit;

namespace ClaudeActors.Tests.Process;

public sealed class LineFramingTests : TestKit
{
    private async Task<List<FramedLine>> Frame(int max, params string[] chunks)
    {
        var source = Source.From(chunks.Select(c => ByteString.FromBytes(Encoding.UTF8.GetBytes(c))));
        return (await source.Via(new LineFraming(max)).RunWith(Sink.Seq<FramedLine>(), Sys.Materializer())).ToList();
    }

    [Fact]
    public async Task Lines_split_across_chunks_are_joined()
    {
        var lines = await Frame(1000, "{\"a\":", "1}\n{\"b\"", ":2}\n\n", "tail-without-newline");
        Assert.Equal(["{\"a\":1}", "{\"b\":2}", "tail-without-newline"], lines.Select(l => Encoding.UTF8.GetString(l.Bytes!)));
    }

    [Fact]
    public async Task An_oversized_line_is_dropped_while_it_arrives_and_later_lines_still_flow()
    {
        var big = new string('x', 5000);
        var lines = await Frame(100, "ok1\n" + big[..2000], big[2000..] + "\nok2\n");
        Assert.Equal(3, lines.Count);
        Assert.Equal("ok1", Encoding.UTF8.GetString(lines[0].Bytes!));
        Assert.True(lines[1].IsOversized);
        Assert.Equal(5000, lines[1].OversizedLength);
        Assert.Equal("ok2", Encoding.UTF8.GetString(lines[2].Bytes!));
    }
}
