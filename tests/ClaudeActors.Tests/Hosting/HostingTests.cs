using ClaudeActors.Supervision;
using Akka.Actor;
using Akka.Hosting;
using ClaudeActors.Client;
using ClaudeActors.Hosting;
using ClaudeActors.Sessions;
using ClaudeActors.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace ClaudeActors.Tests.Hosting;

/// <summary>ClaudeActors embedded in an Akka.Hosting application: declared sessions, DI facade, shutdown.</summary>
public sealed class HostingTests : FakeApiTestBase
{
    private IHost BuildHost(string cliPath, Dictionary<string, string?> settings)
    {
        var config = new Dictionary<string, string?>
        {
            ["ClaudeActors:Defaults:CliPath"] = cliPath,
            ["ClaudeActors:Defaults:WorkingDirectory"] = Sandbox.WorkDir,
        };
        foreach (var (key, value) in Sandbox.Environment) config["ClaudeActors:Defaults:Environment:" + key] = value;
        foreach (var (key, value) in settings) config[key] = value;

        return Host.CreateDefaultBuilder()
            .ConfigureAppConfiguration(c => c.Sources.Clear())
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(config))
            .ConfigureServices((context, services) =>
            {
                services.AddAkka("hosting-test", (builder, sp) =>
                    builder.WithClaudeSessions(context.Configuration.GetSection(ClaudeSessionsOptions.SectionName)));
                services.AddClaudeSessionsClient();
            })
            .Build();
    }

    [Fact]
    public async Task The_memory_budget_and_the_cli_limit_bind_from_configuration()
    {
        using var host = BuildHost(TestPaths.FakeCli, new()
        {
            ["ClaudeActors:MemoryBudget"] = "2GiB",
            ["ClaudeActors:StartWaitTimeout"] = "00:00:05",
            ["ClaudeActors:Defaults:CliMemoryLimit"] = "512MiB",
            ["ClaudeActors:Sessions:0:Name"] = "limited",
        });
        await host.StartAsync();
        var sessions = host.Services.GetRequiredService<IClaudeSessions>();
        var limited = await WaitForAsync(() => sessions.GetAsync("limited"));
        await limited.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ByteSize.Parse("512MiB"), (await limited.GetInfoAsync()).CliMemoryLimit);
        var supervisor = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<ClaudeSessions>();
        var budget = await supervisor.Ask<ClaudeActors.Process.CliBudgetActor.Status>(ClaudeActors.Process.CliBudgetActor.GetStatus.Instance, TimeSpan.FromSeconds(5));
        Assert.Equal(2L << 30, budget.Budget);
        Assert.Equal(1, budget.Live);
        await host.StopAsync();
    }

    [Fact]
    public async Task Declared_sessions_start_with_the_host_and_the_host_stop_ends_every_cli()
    {
        using var host = BuildHost(TestPaths.FakeCli, new()
        {
            ["ClaudeActors:Sessions:0:Name"] = "assistant",
            ["ClaudeActors:Sessions:0:SystemPrompt"] = "General helper",
            ["ClaudeActors:Sessions:1:Name"] = "code-reviewer",
            ["ClaudeActors:Sessions:1:SystemPrompt"] = "You review C# code",
            ["ClaudeActors:Sessions:1:Model"] = "haiku",
        });
        await host.StartAsync();
        var sessions = host.Services.GetRequiredService<IClaudeSessions>();

        var reviewer = await WaitForAsync(() => sessions.GetAsync("code-reviewer"));
        await reviewer.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("My system prompt is: You review C# code", await reviewer.FinalTextAsync("What is your system prompt?"));

        var registry = host.Services.GetRequiredService<ActorRegistry>();
        var supervisor = await registry.GetAsync<ClaudeSessions>();
        Assert.Equal("/user/claude-sessions", supervisor.Path.ToStringWithoutAddress());

        var list = await WaitForAsync(async () =>
        {
            var all = await sessions.ListAsync();
            return all.Count == 2 && all.All(s => s.Status == SessionStatus.Ready) ? all : throw new InvalidOperationException("not ready");
        });
        Assert.Equal(["assistant", "code-reviewer"], list.Select(s => s.Name));
        Assert.All(list, s => Assert.True(SessionIds.IsValid(s.SessionId)));

        // The directory is on the interface too, and the concrete client is the same instance in DI.
        Assert.Same(sessions, host.Services.GetRequiredService<ClaudeSessionsClient>());
        var directory = await sessions.ListDirectoryAsync();
        Assert.Equal(["assistant", "code-reviewer"], directory.Select(e => e.Name));
        Assert.All(directory, e => Assert.False(e.Passivated));
        Assert.Equal(list.Select(s => s.SessionId), directory.Select(e => e.SessionId));
        Assert.Contains("haiku", list[1].Model);
        Assert.Equal(2, Sandbox.LiveProcesses().Count);

        await host.StopAsync();
        Assert.Empty(Sandbox.LiveProcesses());
    }

    [Fact]
    public async Task Sessions_are_started_listed_and_terminated_at_runtime_by_name()
    {
        using var host = BuildHost(TestPaths.FakeCli, new());
        await host.StartAsync();
        var sessions = host.Services.GetRequiredService<IClaudeSessions>();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var defaults = Sandbox.FakeCliOptions();

        var temp = await sessions.StartAsync(defaults with { Name = "temp_session", SystemPrompt = "Temporary helper" });
        Assert.Equal("Nice to meet you, Ida.", await temp.FinalTextAsync("My name is Ida"));
        await Assert.ThrowsAsync<SessionAlreadyExistsException>(() => sessions.StartAsync(defaults with { Name = "temp_session" }));
        var same = await sessions.StartAsync(defaults with { Name = "temp_session" }, returnExisting: true);
        Assert.Equal(temp.Actor, same.Actor);
        Assert.Equal("Your name is Ida!", await (await sessions.GetAsync("temp_session")).FinalTextAsync("What is my name?"));

        var info = Assert.Single(await sessions.ListAsync());
        Assert.Equal("temp_session", info.Name);
        Assert.Equal(SessionStatus.Ready, info.Status);
        Assert.True(info.StartedAt > DateTimeOffset.UtcNow.AddMinutes(-5));
        var pid = info.CliProcessId!.Value;

        await sessions.TerminateAsync("temp_session");
        Assert.False(ProcessTable.IsAlive(pid));
        Assert.Empty(await sessions.ListAsync());
        await Assert.ThrowsAsync<SessionNotFoundException>(() => sessions.TerminateAsync("temp_session"));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => sessions.GetAsync("nobody"));
        await Assert.ThrowsAsync<InvalidSessionOptionsException>(() => sessions.StartAsync(defaults with { Name = "bad/name" }));
        Assert.NotNull(system);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_declared_session_whose_cli_is_killed_comes_back_ready_with_its_name_and_conversation()
    {
        using var host = BuildHost(TestPaths.RealCli, new() { ["ClaudeActors:Sessions:0:Name"] = "assistant" });
        await host.StartAsync();
        var sessions = host.Services.GetRequiredService<IClaudeSessions>();
        var assistant = await WaitForAsync(() => sessions.GetAsync("assistant"));
        await assistant.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("Nice to meet you, Jo.", await assistant.FinalTextAsync("My name is Jo"));
        var before = await assistant.GetInfoAsync();

        System.Diagnostics.Process.GetProcessById(before.CliProcessId!.Value).Kill();
        await WaitForAsync(async () =>
        {
            var info = await assistant.GetInfoAsync();
            return info is { Status: SessionStatus.Ready, RestartCount: 1 } ? info : throw new InvalidOperationException(info.Status.ToString());
        }, TimeSpan.FromSeconds(60));

        var again = await sessions.GetAsync("assistant");
        Assert.Equal(assistant.Actor, again.Actor);
        Assert.Equal("Your name is Jo!", await again.FinalTextAsync("What is my name?"));
        Assert.Equal(before.SessionId, await again.GetSessionIdAsync());
        await host.StopAsync();
        Assert.Empty(Sandbox.LiveProcesses());
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> attempt, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
