using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Examples;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Examples;

/// <summary>The README's samples run for real: the plain .NET one through the real CLI, the actor ones through the fake CLI.</summary>
public sealed class ExamplesTests(ITestOutputHelper output) : SessionTestKit(output)
{
    [Fact]
    public async Task The_plain_dotnet_quick_start_holds_a_two_turn_conversation()
    {
        var answer = await PlainDotNet.RunAsync(Sys, Sandbox.RealCliOptions());
        Assert.Equal("Your name is Alice!", answer);
    }

    [Fact]
    public async Task An_actor_tells_a_session_and_handles_the_streamed_replies()
    {
        await using var session = await StartFakeAsync();
        var user = Sys.ActorOf(SessionUserActor.Props(session.Actor));
        await user.Ask<SessionUserActor.Answered>(new SessionUserActor.Ask("My name is Kai"), TimeSpan.FromSeconds(30));
        var answered = await user.Ask<SessionUserActor.Answered>(new SessionUserActor.Ask("What is my name?"), TimeSpan.FromSeconds(30));
        Assert.Equal("Your name is Kai!", answered.Text);
        Assert.True(answered.StreamedMessages >= 3); // init, assistant, result at least
    }

    [Fact]
    public async Task An_actor_asks_a_session_for_the_terminal_message_only()
    {
        await using var session = await StartFakeAsync();
        var asking = Sys.ActorOf(SessionAskingActor.Props(session.Actor));
        var text = await asking.Ask<string>(new SessionAskingActor.Summarize("short and sweet"), TimeSpan.FromSeconds(30));
        Assert.Equal("short and sweet", text);
    }
}
