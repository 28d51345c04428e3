using ClaudeActors.Testing;
using Xunit;

namespace ClaudeActors.Tests.Infrastructure;

/// <summary>Base for tests that need one fake Messages API and one CLI sandbox pointed at it, per test.</summary>
public abstract class FakeApiTestBase : IAsyncLifetime
{
    protected FakeMessagesApi Api { get; private set; } = null!;

    protected CliSandbox Sandbox { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Api = await FakeMessagesApi.StartAsync();
        Sandbox = new CliSandbox(Api.BaseUrl);
    }

    public virtual async Task DisposeAsync()
    {
        Sandbox.Dispose();
        await Api.DisposeAsync();
    }
}
