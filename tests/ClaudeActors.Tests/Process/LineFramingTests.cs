using System.Text;
using ClaudeActors.Process;
using Xunit;

namespace ClaudeActors.Tests.Process;

public sealed class LineFramingTests
{
    private static List<FramedLine> Frame(int max, params string[] chunks)
    {
        var framer = new LineFramer(max);
        var lines = new List<FramedLine>();
        foreach (var chunk in chunks) framer.Append(Encoding.UTF8.GetBytes(chunk), lines);
        framer.Complete(lines);
        return lines;
    }

    [Fact]
    public void Lines_split_across_chunks_are_joined()
    {
        var lines = Frame(1000, "{\"a\":", "1}\n{\"b\"", ":2}\n\n", "tail-without-newline");
        Assert.Equal(["{\"a\":1}", "{\"b\":2}", "tail-without-newline"], lines.Select(l => Encoding.UTF8.GetString(l.Bytes!)));
    }

    [Fact]
    public void An_oversized_line_is_dropped_while_it_arrives_and_later_lines_still_flow()
    {
        var big = new string('x', 5000);
        var lines = Frame(100, "ok1\n" + big[..2000], big[2000..] + "\nok2\n");
        Assert.Equal(3, lines.Count);
        Assert.Equal("ok1", Encoding.UTF8.GetString(lines[0].Bytes!));
        Assert.True(lines[1].IsOversized);
        Assert.Equal(5000, lines[1].OversizedLength);
        Assert.Equal("ok2", Encoding.UTF8.GetString(lines[2].Bytes!));
    }

    [Fact]
    public void An_oversized_last_line_without_a_terminator_is_reported_at_the_end()
    {
        var lines = Frame(10, "ok\n", new string('y', 50));
        Assert.Equal(2, lines.Count);
        Assert.True(lines[1].IsOversized);
        Assert.Equal(50, lines[1].OversizedLength);
    }
}

public sealed class StdoutPumpTests
{
    [Fact]
    public async Task Lines_are_handed_over_in_order_and_a_pause_holds_them_until_resumed()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        var handed = new System.Collections.Concurrent.BlockingCollection<string>();
        var pump = new StdoutPump(pipe.Reader.AsStream(), 1000, line => Encoding.UTF8.GetString(line.Bytes!), o => handed.Add((string)o));
        pump.Pause();
        var run = pump.RunAsync(CancellationToken.None);
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes("one\ntwo\n"));
        Assert.False(handed.TryTake(out _, TimeSpan.FromMilliseconds(300)), "a paused pump handed a line over");
        pump.Resume();
        Assert.True(handed.TryTake(out var first, TimeSpan.FromSeconds(5)));
        Assert.True(handed.TryTake(out var second, TimeSpan.FromSeconds(5)));
        Assert.Equal(("one", "two"), (first, second));
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes("three"));
        await pipe.Writer.CompleteAsync();
        Assert.Null(await run.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("three", handed.Take());
    }

    [Fact]
    public async Task Cancelling_ends_a_paused_pump()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        var pump = new StdoutPump(pipe.Reader.AsStream(), 1000, line => line, _ => { });
        pump.Pause();
        using var cts = new CancellationTokenSource();
        var run = pump.RunAsync(cts.Token);
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes("held\n"));
        cts.CancelAfter(100);
        Assert.Null(await run.WaitAsync(TimeSpan.FromSeconds(5)));
    }
}
