using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.CommandLine;

/// <summary>The node's probe endpoint answers from real checks; its telemetry exporter can be switched on by flag.</summary>
public sealed class HealthEndpointTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // The endpoint starts with the host, a moment after the node reports itself Up.
    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                return await http.GetAsync(path);
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    [Fact]
    public async Task Live_and_ready_report_the_cluster_the_journal_and_the_cli()
    {
        var port = FreePort();
        await using var node = NodeProcess.Start(_sandbox,
            ["--port", "0", "--data-dir", Path.Combine(_sandbox.Root, "data"), "--health-port", port.ToString(), "--otel", "console", "--memory-budget", "3GiB"],
            new Dictionary<string, string> { ["ClaudeActors__Defaults__CliPath"] = TestPaths.FakeCli }, output);
        await node.WaitUntilStartedAsync(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        var live = await GetAsync(http, "healthz/live");
        var liveBody = await live.Content.ReadAsStringAsync();
        output.WriteLine("live: " + liveBody);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        // Akka.Hosting's ActorSystem liveness check answers it.
        Assert.Equal("Healthy", JsonDocument.Parse(liveBody).RootElement.GetProperty("checks").GetProperty("akka.actorsystem").GetProperty("status").GetString());
        var ready = await GetAsync(http, "healthz/ready");
        var body = await ready.Content.ReadAsStringAsync();
        output.WriteLine("ready: " + body);
        Assert.True(ready.StatusCode == HttpStatusCode.OK, body);
        using var doc = JsonDocument.Parse(body);
        var checks = doc.RootElement.GetProperty("checks");
        // Akka.Hosting's cluster readiness and the persistence plugins' checks; ours for the journal's database and the CLI.
        foreach (var name in new[] { "akka.cluster.join", "journal", "snapshot-store", "journal-database", "claude-cli" })
            Assert.Equal("Healthy", checks.GetProperty(name).GetProperty("status").GetString());
        // The CLI budget's figures: the budget given, nothing used or waiting on an idle node.
        var budget = checks.GetProperty("cli-budget").GetProperty("data");
        Assert.Equal(3L << 30, budget.GetProperty("budget_bytes").GetInt64());
        Assert.Equal(0, budget.GetProperty("waiting_starts").GetInt32());
        Assert.Equal(0, budget.GetProperty("live_clis").GetInt32());

        Assert.Equal(0, await node.TerminateAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Ready_is_unhealthy_when_the_cli_is_missing()
    {
        var port = FreePort();
        await using var node = NodeProcess.Start(_sandbox,
            ["--port", "0", "--data-dir", Path.Combine(_sandbox.Root, "data"), "--health-port", port.ToString(), "--cli-path", "/nonexistent/claude"],
            new Dictionary<string, string>(), output);
        await node.WaitUntilStartedAsync(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        var ready = await GetAsync(http, "healthz/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("claude-cli", await ready.Content.ReadAsStringAsync());
    }
}
