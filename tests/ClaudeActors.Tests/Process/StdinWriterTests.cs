using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using ClaudeActors.Process;
using Xunit;

namespace ClaudeActors.Tests.Process;

public sealed class StdinWriterTests
{
    private static async Task<string> ReadAllAsync(PipeReader reader)
    {
        using var memory = new MemoryStream();
        await reader.AsStream().CopyToAsync(memory).WaitAsync(TimeSpan.FromSeconds(10));
        return Encoding.UTF8.GetString(memory.ToArray());
    }

    [Fact]
    public async Task Frames_sent_before_the_process_are_written_in_order_once_it_is_there_and_close_follows_them()
    {
        var pipe = new Pipe();
        var writer = new StdinWriter(_ => throw new InvalidOperationException("no write should have to wait"));
        Assert.True(writer.Write("a\n"u8.ToArray(), out var e1));
        Assert.True(writer.Write("b\n"u8.ToArray(), out var e2));
        Assert.Null(e1 ?? e2);
        Assert.Null(writer.Attach(pipe.Writer.AsStream()));
        Assert.True(writer.Write("c\n"u8.ToArray(), out _));
        writer.Close();
        Assert.False(writer.Write("late\n"u8.ToArray(), out _));
        Assert.Equal("a\nb\nc\n", await ReadAllAsync(pipe.Reader));
    }

    [Fact]
    public async Task A_write_that_must_wait_holds_later_frames_behind_it_and_the_order_stays()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512));
        var done = new BlockingCollection<StdinWriter.WriteDone>();
        var writer = new StdinWriter(done.Add);
        Assert.Null(writer.Attach(pipe.Writer.AsStream()));
        var big = Encoding.UTF8.GetBytes(new string('x', 4096) + "\n");
        Assert.True(writer.Write(big, out _)); // over the pipe's threshold: finishes in the background
        Assert.True(writer.Write("after\n"u8.ToArray(), out _));
        writer.Close();
        var read = ReadAllAsync(pipe.Reader);
        // The actor's part: each background completion comes back as a message and the queue goes on.
        while (!read.IsCompleted)
            if (done.TryTake(out var d, TimeSpan.FromMilliseconds(50))) Assert.Null(writer.OnWriteDone(d));
        Assert.Equal(new string('x', 4096) + "\nafter\n", await read);
    }

    [Fact]
    public void A_broken_stdin_is_reported_once_and_later_frames_are_refused()
    {
        var stream = new MemoryStream();
        stream.Dispose();
        var writer = new StdinWriter(_ => { });
        Assert.Null(writer.Attach(stream));
        Assert.True(writer.Write("x\n"u8.ToArray(), out var error));
        Assert.IsType<ObjectDisposedException>(error);
        Assert.False(writer.Write("y\n"u8.ToArray(), out _));
    }
}
