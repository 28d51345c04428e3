using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClaudeActors.Process;
using ClaudeActors.Protocol;
using ClaudeActors.Tests.Infrastructure;
using Xunit;

namespace ClaudeActors.Tests.Process;

public sealed class CliProcessActorTests : TestKit
{
    [Fact]
    public async Task A_paused_cli_actor_hands_over_nothing_until_resumed_and_then_every_line_in_order()
    {
        var config = Directory.CreateTempSubdirectory("ca-cliactor-");
        try
        {
            var spec = new CliLaunchSpec(TestPaths.FakeCli,
                ["--output-format", "stream-json", "--input-format", "stream-json", "--verbose", "--include-partial-messages"],
                new Dictionary<string, string> { ["CLAUDE_CONFIG_DIR"] = config.FullName, ["HOME"] = config.FullName },
                config.FullName);
            var cli = ChildActorOf(CliProcessActor.Props(spec, "paused", null));
            cli.Tell(new PauseCliOutput(true));
            var started = ExpectMsg<CliStarted>(TimeSpan.FromSeconds(20));
            cli.Tell(new SendFrame(OutboundFrames.UserText("[flood:5000] go")));
            // The CLI writes 5,000 deltas and its result; none may come while paused: they wait in the pipe and the CLI.
            ExpectNoMsg(TimeSpan.FromSeconds(1.5));

            cli.Tell(new PauseCliOutput(false));
            var deltas = new List<string>();
            ResultMessage? result = null;
            while (result is null)
            {
                var output = ExpectMsg<CliOutput>(TimeSpan.FromSeconds(20));
                if (output.Message is StreamEventMessage { TextDelta: { } delta }) deltas.Add(delta);
                result = output.Message as ResultMessage;
            }
            Assert.Equal(Enumerable.Range(0, 5000).Select(i => $"flood {i} "), deltas);

            Watch(cli);
            cli.Tell(new ShutdownCli(TimeSpan.FromSeconds(2)));
            ExpectTerminated(cli, TimeSpan.FromSeconds(10));
            await Task.Delay(200);
            Assert.False(ProcessAlive(started.ProcessId), "the CLI outlived its actor");
        }
        finally
        {
            config.Delete(recursive: true);
        }
    }

    private static bool ProcessAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        try
        {
            return !File.ReadAllText(stat).Split(')')[1].TrimStart().StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
