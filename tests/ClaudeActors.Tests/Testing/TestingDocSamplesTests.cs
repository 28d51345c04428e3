using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClaudeActors.Client;
using ClaudeActors.Examples;
using ClaudeActors.Sessions;
using ClaudeActors.Testing;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Testing;

/// <summary>The samples of docs/testing.md, verbatim, so the document cannot drift from the API.</summary>
public sealed class TestingDocSamplesTests(ITestOutputHelper output) : TestKit(output: output)
{
    [Fact]
    public async Task My_actor_answers_with_the_session_text()
    {
        var script = new StubScript().Reply("Paris");                 // init, assistant "Paris", result "Paris"
        var user = Sys.ActorOf(SessionUserActor.Props(Sys.ActorOf(StubSession.Props(script))));
        var answered = await user.Ask<SessionUserActor.Answered>(new SessionUserActor.Ask("Capital of France?"));
        Assert.Equal(("Paris", 3), (answered.Text, answered.StreamedMessages));
        Assert.Equal(["Capital of France?"], script.ReceivedPrompts);
    }

    [Fact]
    public async Task Plain_dotnet_code_uses_the_facade_over_a_stub()
    {
        var script = new StubScript()
            .ReplyWith(ClaudeMessages.ToolUse("Bash", new { command = "ls" }, id: "t1"),
                       ClaudeMessages.ToolResult("t1", "README.md"),
                       ClaudeMessages.Text("There is a README."))             // a success result is appended
            .Fail(FailureKind.ApiError, "overloaded");                        // the next query throws ClaudeApiErrorException
        ClaudeSession session = StubSession.Start(Sys, script);               // actor name "stub": unique per system
        var answer = await session.FinalTextAsync("What is here?");           // "There is a README."
        await Assert.ThrowsAsync<ClaudeApiErrorException>(() => session.FinalTextAsync("again"));

        Assert.Equal("There is a README.", answer);
    }

    [Fact]
    public async Task The_real_cli_against_the_fake_api()
    {
        await using var api = await FakeMessagesApi.StartAsync();
        api.EnqueueReply(FakeReply.Text("scripted answer"));
        var root = Directory.CreateTempSubdirectory("my-test-").FullName;
        try
        {
            await using var session = await ClaudeSession.StartAsync(Sys, new SessionOptions
            {
                WorkingDirectory = Directory.CreateDirectory(Path.Combine(root, "work")).FullName,
                Environment = new Dictionary<string, string>
                {
                    ["ANTHROPIC_BASE_URL"] = api.BaseUrl.ToString().TrimEnd('/'), ["ANTHROPIC_API_KEY"] = "sk-test",
                    ["HOME"] = root, ["CLAUDE_CONFIG_DIR"] = Path.Combine(root, "config"),
                    ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
                },
            });
            Assert.Equal("scripted answer", await session.FinalTextAsync("hello"));
            Assert.Equal("hello", (await api.WaitForRequestAsync(r => r.IsConversation, TimeSpan.FromSeconds(10))).LastUserText);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
