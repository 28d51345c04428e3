using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Cluster;
using ClaudeActors.Examples;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using ClaudeActors.Testing;
using ClaudeActors.Tests.Client;
using ClaudeActors.Tests.Infrastructure;
using Xunit;

namespace ClaudeActors.Tests.Cluster;

/// <summary>
/// One addressing model: a cluster session's <see cref="ClaudeSession.Actor"/> takes the plain session protocol, as
/// a local session's does. A user's actor on node B Tells and Asks a session hosted on node A with plain
/// <see cref="Query"/> messages (the README's actor samples, unchanged), and an unknown name answers typed.
/// </summary>
public sealed class SessionAddressTests : IAsyncLifetime
{
    private static readonly TimeSpan Turn = TimeSpan.FromSeconds(60);
    private ClusterNodes _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ClusterNodes.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private Task<ClusterNode> Node(ClusterNode? seed = null, ClaudeClusterOptions? options = null) =>
        _cluster.Node(TestPaths.RealCli, seed, options, seed?.Sandbox.WorkDir);

    [Fact]
    public async Task A_users_actor_tells_and_asks_a_session_on_another_node_with_plain_queries()
    {
        var a = await Node();
        // B hosts no sessions: the session is on A, and B reaches it through its region proxy.
        var b = await Node(seed: a, options: new ClaudeClusterOptions { HostSessions = false });
        await a.Sessions.StartAsync(new SessionOptions { Name = "helper" });

        var session = await b.Sessions.GetAsync("helper");
        var user = b.System.ActorOf(SessionUserActor.Props(session.Actor));
        var answered = await user.Ask<SessionUserActor.Answered>(new SessionUserActor.Ask("My name is Ann"), Turn);
        Assert.Equal("Nice to meet you, Ann.", answered.Text);
        Assert.True(answered.StreamedMessages >= 2, $"{answered.StreamedMessages} messages streamed"); // init, assistant, result

        // Ask: only the terminal message; the context is the session's, held on node A.
        var asking = b.System.ActorOf(SessionAskingActor.Props(session.Actor));
        Assert.Equal("fine", await asking.Ask<string>(new SessionAskingActor.Summarize("fine"), Turn));
        var reply = await session.Actor.Ask<object>(new Query("What is my name?") { StreamMessages = false }, Turn);
        Assert.Equal("Your name is Ann!", Assert.IsType<QueryCompleted>(reply).Result.Result);

        // The streamed protocol is the local one: each message, then exactly one terminal message, to the sender.
        var probe = new Akka.TestKit.Xunit2.TestKit(b.System).CreateTestProbe();
        session.Actor.Tell(new Query("Say exactly: streamed"), probe.Ref);
        var received = new List<object>();
        while (received.LastOrDefault() is not (QueryCompleted or QueryFailed))
            received.Add(await probe.ReceiveOneAsync(Turn));
        Assert.IsType<QueryCompleted>(received[^1]);
        Assert.All(received[..^1], m => Assert.IsType<QueryMessage>(m));
        Assert.IsType<ResultMessage>(((QueryMessage)received[^2]).Message);
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        Assert.IsType<SessionIdReply>(await session.Actor.Ask<object>(GetSessionId.Instance, Turn));
    }

    [Fact]
    public async Task An_unknown_name_answers_every_question_typed_never_silence()
    {
        var a = await Node();
        var handle = ((ClusterSessions)SessionsBackend.Get(a.System).Current).Handle("nobody-here");

        // A plain Query told to the address of a session that does not exist comes back as a typed failure.
        var reply = await handle.Actor.Ask<object>(new Query("hello?") { StreamMessages = false }, TimeSpan.FromSeconds(10));
        Assert.Equal(FailureKind.SessionNotFound, Assert.IsType<QueryFailed>(reply).Failure.Kind);
        await TypedFailureTests.AssertEveryMemberFailsTyped(handle, FailureKind.SessionNotFound);
        await Assert.ThrowsAsync<SessionNotFoundException>(() => a.Sessions.GetAsync("nobody-here"));
    }
}
