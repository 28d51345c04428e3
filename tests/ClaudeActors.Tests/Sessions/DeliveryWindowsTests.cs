using System.Text.Json;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using Xunit;

namespace ClaudeActors.Tests.Sessions;

/// <summary>Flow control of one session's streams: plain objects, no actor system.</summary>
public sealed class DeliveryWindowsTests
{
    private readonly List<(bool Paused, int Largest)> _pauses = [];
    private readonly List<object> _sent = [];

    private DeliveryWindows Windows(int highWater = 10_000, int lowWater = 1_000) =>
        new(highWater, lowWater, (paused, largest) => _pauses.Add((paused, largest)));

    private static QueryMessage Line(string queryId, int n) =>
        new(queryId, new UnknownMessage("line", JsonDocument.Parse($$"""{"type":"line","n":{{n}}}""").RootElement));

    private static int N(object message) => ((UnknownMessage)((QueryMessage)message).Message).Raw.GetProperty("n").GetInt32();

    [Fact]
    public void A_window_of_256_sends_256_holds_the_rest_and_an_ack_releases_as_many_in_order()
    {
        var windows = Windows();
        windows.Open("q", _sent.Add, window: 256);
        for (var i = 0; i < 300; i++) windows.Deliver("q", Line("q", i));
        Assert.Equal(Enumerable.Range(0, 256), _sent.Select(N));

        windows.Ack("q", 20);
        Assert.Equal(Enumerable.Range(0, 276), _sent.Select(N));
        windows.Ack("q", 1000);
        Assert.Equal(Enumerable.Range(0, 300), _sent.Select(N));
        Assert.Empty(_pauses);
    }

    [Fact]
    public void The_terminal_message_waits_behind_held_messages_regardless_of_the_window_and_closes_the_stream()
    {
        var windows = Windows();
        windows.Open("q", _sent.Add, window: 2);
        for (var i = 0; i < 4; i++) windows.Deliver("q", Line("q", i));
        var done = new QueryCompleted("q", new ResultMessage());
        Assert.True(windows.Finish("q", done));
        Assert.Equal(2, _sent.Count);

        windows.Ack("q", 1); // one more line fits; the terminal still waits behind the fourth line
        Assert.Equal(3, _sent.Count);
        Assert.True(windows.IsOpen("q"));
        windows.Ack("q", 1);
        Assert.Equal([0, 1, 2, 3], _sent.Take(4).Select(N));
        Assert.Same(done, _sent[4]);
        Assert.False(windows.IsOpen("q"));
    }

    [Fact]
    public void Without_a_window_everything_goes_at_once_and_the_terminal_closes_the_stream()
    {
        var windows = Windows();
        windows.Open("q", _sent.Add, window: null);
        for (var i = 0; i < 1000; i++) windows.Deliver("q", Line("q", i));
        var failed = new QueryFailed("q", new SessionFailure(FailureKind.ApiError, "no"));
        Assert.True(windows.Finish("q", failed));
        Assert.Equal(1001, _sent.Count);
        Assert.Same(failed, _sent[^1]);
        Assert.False(windows.IsOpen("q"));
    }

    [Fact]
    public void A_closed_or_unknown_stream_takes_nothing_and_leaves_the_terminal_to_the_caller()
    {
        var windows = Windows();
        windows.Deliver("nobody", Line("nobody", 0));
        windows.Ack("nobody", 5);
        Assert.False(windows.Finish("nobody", new QueryCompleted("nobody", new ResultMessage())));

        windows.Open("q", _sent.Add, window: 1);
        windows.Deliver("q", Line("q", 0));
        windows.Deliver("q", Line("q", 1));
        windows.Close("q");
        windows.Ack("q", 10);
        Assert.Single(_sent);
        Assert.False(windows.Finish("q", new QueryCompleted("q", new ResultMessage())));
    }

    [Fact]
    public void Output_pauses_above_the_high_water_mark_once_and_resumes_at_the_low_water_mark()
    {
        var windows = Windows(highWater: 10, lowWater: 3);
        windows.Open("slow", _sent.Add, window: 1);
        windows.Open("fast", _sent.Add, window: null);
        for (var i = 0; i < 12; i++) windows.Deliver("slow", Line("slow", i)); // 1 sent, 11 held
        windows.Deliver("fast", Line("fast", 0));
        Assert.Equal([(true, 11)], _pauses);

        windows.Ack("slow", 7); // 4 held: still above the low water mark
        Assert.Single(_pauses);
        Assert.True(windows.Paused);
        windows.Ack("slow", 1); // 3 held
        Assert.Equal([(true, 11), (false, 3)], _pauses);
        Assert.False(windows.Paused);
    }

    [Fact]
    public void Closing_the_slow_stream_resumes_output()
    {
        var windows = Windows(highWater: 5, lowWater: 1);
        windows.Open("slow", _sent.Add, window: 1);
        for (var i = 0; i < 10; i++) windows.Deliver("slow", Line("slow", i));
        windows.Close("slow");
        Assert.Equal([(true, 6), (false, 0)], _pauses);
    }

    [Fact]
    public void A_negative_ack_gives_no_credit()
    {
        var windows = Windows();
        windows.Open("q", _sent.Add, window: 1);
        windows.Deliver("q", Line("q", 0));
        windows.Deliver("q", Line("q", 1));
        windows.Ack("q", -5);
        Assert.Single(_sent);
        windows.Ack("q", 1);
        Assert.Equal(2, _sent.Count);
    }
}
