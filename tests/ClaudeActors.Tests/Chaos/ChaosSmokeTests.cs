using Akka.Actor;
using Akka.Configuration;
using ClaudeActors.Client;
using ClaudeActors.Sessions;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Chaos;

/// <summary>
/// The smoke subset of the chaos campaign (tests/ClaudeActors.Chaos, docs/reliability.md), run with every test run:
/// a few kills, ten hostile inputs beside a healthy session, one host death. Same engines as the campaign.
/// The cases the campaign found broken are here too, skipped until the product is fixed.
/// </summary>
public sealed class ChaosSmokeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ActorSystem _system = null!;
    private readonly List<ChaosSandbox> _sandboxes = [];

    public Task InitializeAsync()
    {
        _system = ActorSystem.Create("chaos-smoke", ConfigurationFactory.ParseString(ChaosListLogger.Hocon("WARNING")));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _system.Terminate();
        foreach (var sandbox in _sandboxes)
        {
            var gone = await ChaosProcesses.WaitUntilAsync(() => sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10));
            sandbox.Dispose();
            Assert.True(gone, "a CLI process outlived the ActorSystem");
        }
    }

    private ChaosSandbox NewSandbox()
    {
        var sandbox = new ChaosSandbox();
        _sandboxes.Add(sandbox);
        return sandbox;
    }

    [Fact]
    public async Task Kills_of_the_cli_are_recovered_with_context_and_leave_no_process()
    {
        var result = await KillStorm.RunAsync(_system, NewSandbox(), new KillStormSettings
        {
            Sessions = 3,
            Kills = 5,
            KillSpan = TimeSpan.FromSeconds(5),
            ThinkTime = TimeSpan.FromMilliseconds(200),
            QueryTimeout = TimeSpan.FromSeconds(30),
        }, output.WriteLine);

        output.WriteLine($"kills {result.Kills}, recovered {result.Recovered}, kill→Ready median {result.ReadyMedianMs:0} ms, max {result.ReadyMaxMs:0} ms, " +
                         $"turns ok {result.TurnsOk}, failed by kill {result.TurnsFailedByKill}");
        foreach (var note in result.Notes) output.WriteLine("note: " + note);
        Assert.Equal(5, result.Kills);
        Assert.Equal(result.Kills, result.Recovered);
        Assert.Equal(0, result.HungCallers);
        Assert.Equal(0, result.LostContext);
        Assert.Equal(0, result.Orphans);
        Assert.Equal(3, result.FinalChecksOk);
        Assert.Equal(0, result.RestartCountMismatches);
        Assert.Empty(result.OtherFailures);
    }

    public static IEnumerable<object[]> SmokeCases() => HostileCatalogue.SmokeIds.Select(id => new object[] { id });

    [Theory]
    [MemberData(nameof(SmokeCases))]
    public async Task A_hostile_input_ends_typed_or_tolerated_and_a_session_beside_it_does_not_notice(string id)
    {
        var outcome = await RunHostileAsync(id);
        Assert.True(outcome.Passed, $"{id} ({outcome.Case.Input}): {outcome.Observed}");
    }

    // ---- found by the campaign and fixed in the product (see docs/reliability.md, "Findings")

    [Theory]
    [InlineData("S17")]
    public async Task Found_and_fixed_a_result_with_unexpected_field_shapes_ends_the_turn(string id) => await AssertHostileAsync(id);

    [Theory]
    [InlineData("C04")]
    public async Task Found_and_fixed_an_oversized_result_line_fails_the_turn_promptly(string id) => await AssertHostileAsync(id);

    [Theory]
    [InlineData("K17")]
    public async Task Found_and_fixed_leaving_a_paused_stream_does_not_wedge_the_session(string id) => await AssertHostileAsync(id);

    [Theory]
    [InlineData("K18")]
    [InlineData("K24")]
    public async Task Found_and_fixed_abandoned_streams_release_their_messages(string id) => await AssertHostileAsync(id);

    [Fact]
    public async Task Found_and_fixed_a_secret_on_stdout_does_not_reach_the_failure()
    {
        const string key = "sk-" + "ant-SMOKEMARK-0123456789"; // a marker, split so it is not mistaken for a real key
        var sandbox = NewSandbox();
        var options = sandbox.FakeCli() with
        {
            Environment = new Dictionary<string, string>(sandbox.Environment(key)),
            CliPath = ScriptCli.Write(sandbox, "smoke-secret", new ScriptSpec { Turn = "sys_init\necho \"Using API key $ANTHROPIC_API_KEY\"\nexit 1" }),
        };
        var session = await ClaudeSession.StartAsync(_system, options);
        var ex = await Assert.ThrowsAsync<CliCrashedException>(() => session.FinalTextAsync("go"));
        Assert.DoesNotContain("SMOKEMARK", ex.ToString());
        Assert.DoesNotContain("SMOKEMARK", (await session.GetInfoAsync()).ToString());
    }

    [Fact]
    public async Task Found_and_fixed_a_secret_cut_by_the_stderr_line_limit_is_still_redacted()
    {
        const string key = "sk-" + "ant-SMOKEMARK-0123456789"; // a marker, split so it is not mistaken for a real key
        var sandbox = NewSandbox();
        var options = sandbox.FakeCli() with
        {
            Environment = new Dictionary<string, string>(sandbox.Environment(key)),
            CliPath = ScriptCli.Write(sandbox, "smoke-cut", new ScriptSpec
            {
                Turn = "sys_init\nprintf '%1987s' '' | tr ' ' 'p' >&2; echo \"$ANTHROPIC_API_KEY\" >&2\nexit 1",
            }),
        };
        var session = await ClaudeSession.StartAsync(_system, options);
        var ex = await Assert.ThrowsAsync<CliCrashedException>(() => session.FinalTextAsync("go"));
        Assert.DoesNotContain("SMOKEMARK", ex.Failure.StderrTail ?? "");
        Assert.DoesNotContain("sk-ant-SMOK", ex.Failure.StderrTail ?? "");
    }

    private async Task AssertHostileAsync(string id)
    {
        var outcome = await RunHostileAsync(id);
        Assert.True(outcome.Passed, $"{id}: {outcome.Observed}");
    }

    private async Task<HostileOutcome> RunHostileAsync(string id)
    {
        await using var healthy = await ChaosHealthyLoop.StartAsync(_system, NewSandbox(), TimeSpan.FromMilliseconds(100));
        var outcome = await HostileCatalogue.RunAsync(HostileCatalogue.Get(id), _system, healthy, TimeSpan.FromSeconds(60));
        output.WriteLine($"{id} {(outcome.Passed ? "pass" : "FAIL")} in {outcome.ElapsedMs:0} ms: {outcome.Observed}; healthy turns beside: {outcome.HealthyTurns}");
        return outcome;
    }

    [Fact]
    public async Task A_sigkilled_host_leaves_no_cli_behind()
    {
        var hostDll = ChaosPaths.HostDll ?? throw new InvalidOperationException("The host was not built.");
        var result = await HostDeath.RunAsync(hostDll, ChaosPaths.FakeCli, NewSandbox(), TimeSpan.FromSeconds(60), slowMs: 500);
        output.WriteLine($"turn running {result.TurnWasRunning}; {result.Notes}; gone {result.GoneAfterMs:0} ms after SIGKILL; left {result.Left}");
        Assert.True(result.TurnWasRunning, "the turn had not started when the host was killed");
        Assert.True(result.CliProcessesBefore > 0);
        Assert.Equal(0, result.Left);
        Assert.True(result.GoneAfterMs < 5000, $"the CLI outlived its host by {result.GoneAfterMs:0} ms");
    }
}
