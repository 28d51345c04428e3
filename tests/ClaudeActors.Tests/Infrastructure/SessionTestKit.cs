using Akka.TestKit.Xunit2;
using ClaudeActors.Client;
using ClaudeActors.Sessions;
using ClaudeActors.Testing;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Infrastructure;

/// <summary>Base for tests that run sessions: an ActorSystem, a fake Messages API and a sandbox per test.</summary>
public abstract class SessionTestKit : TestKit, IAsyncLifetime
{
    private readonly List<CliSandbox> _sandboxes = new();

    protected SessionTestKit(ITestOutputHelper output) : base("akka.loglevel = INFO", output: output)
    {
    }

    protected FakeMessagesApi Api { get; private set; } = null!;

    protected CliSandbox Sandbox { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Api = await FakeMessagesApi.StartAsync();
        Sandbox = NewSandbox();
    }

    protected CliSandbox NewSandbox()
    {
        var sandbox = new CliSandbox(Api.BaseUrl);
        _sandboxes.Add(sandbox);
        return sandbox;
    }

    protected Task<ClaudeSession> StartRealAsync(Func<SessionOptions, SessionOptions>? configure = null) =>
        ClaudeSession.StartAsync(Sys, (configure ?? (o => o))(Sandbox.RealCliOptions()));

    protected Task<ClaudeSession> StartFakeAsync(Func<SessionOptions, SessionOptions>? configure = null) =>
        ClaudeSession.StartAsync(Sys, (configure ?? (o => o))(Sandbox.FakeCliOptions()));

    public async Task DisposeAsync()
    {
        await Sys.Terminate();
        foreach (var sandbox in _sandboxes)
        {
            // Every CLI must be gone once the ActorSystem has stopped: PostStop kills the tree.
            var gone = await ProcessTable.WaitUntilAsync(() => sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(5));
            sandbox.Dispose();
            Assert.True(gone, "A CLI process outlived its ActorSystem.");
        }
        await Api.DisposeAsync();
    }
}
