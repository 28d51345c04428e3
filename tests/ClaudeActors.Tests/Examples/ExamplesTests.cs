using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ClaudeActors.Client;
using ClaudeActors.Examples;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Examples;

/// <summary>The README's samples run for real: the plain .NET one and the hosting program through the real CLI, the actor ones through the fake CLI.</summary>
public sealed class ExamplesTests(ITestOutputHelper output) : SessionTestKit(output)
{
    [Fact]
    public async Task The_plain_dotnet_quick_start_holds_a_two_turn_conversation()
    {
        var answer = await PlainDotNet.RunAsync(Sandbox.RealCliOptions());
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

    [Fact]
    public async Task The_cluster_sample_forms_a_node_and_talks_to_a_named_session()
    {
        var journal = Path.Combine(Sandbox.Root, "journal.db");
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var defaults = Sandbox.RealCliOptions() with { Name = null };
        ClusterMode.AddClusterSessions(builder.Services, new ClaudeSessionsOptions { Defaults = defaults }, port: 0, journal: $"Data Source={journal}");
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var up = new TaskCompletionSource();
            Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
            await up.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("Your name is Alice!", await ClusterMode.UseAsync(host.Services.GetRequiredService<IClaudeSessions>()));
        }
        finally
        {
            await host.StopAsync();
        }
        Assert.True(await ProcessTable.WaitUntilAsync(() => Sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task The_hosting_sample_runs_as_a_program_and_leaves_no_cli_behind()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.Combine(TestPaths.RepoRoot, "src", "ClaudeActors.Examples", "bin", configuration, "net10.0", "ClaudeActors.Examples.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Sandbox.WorkDir,
        };
        foreach (var (key, value) in Sandbox.Environment) start.Environment[key] = value;
        start.Environment["ClaudeActors__Defaults__CliPath"] = TestPaths.RealCli;
        start.Environment["ClaudeActors__Defaults__WorkingDirectory"] = Sandbox.WorkDir;
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }

        Assert.True(process.ExitCode == 0, await stderr);
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("Nice to meet you, Alice.", lines);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^Your name is Alice! \(\d+ messages streamed\)$"));
        Assert.Empty(Sandbox.LiveProcesses());
    }
}
