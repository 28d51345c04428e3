using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote;
using Akka.Remote.Hosting;
using Akka.Remote.Transport;
using ClaudeActors.Client;
using ClaudeActors.Cluster;
using ClaudeActors.Hosting;
using ClaudeActors.Tests.Infrastructure;
using LinqToDB;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClaudeActors.Tests.Cluster;

/// <summary>One in-process cluster node on 127.0.0.1 (random port) with its own HOME/config dir, sharing a journal.</summary>
internal sealed class ClusterNode : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterNode(IHost host, CliSandbox sandbox)
    {
        _host = host;
        Sandbox = sandbox;
    }

    public CliSandbox Sandbox { get; }
    public ActorSystem System => _host.Services.GetRequiredService<ActorSystem>();
    public IClaudeSessions Sessions => _host.Services.GetRequiredService<IClaudeSessions>();
    public ClaudeSessionsClient Client => (ClaudeSessionsClient)Sessions;
    public string Address => Akka.Cluster.Cluster.Get(System).SelfAddress.ToString();

    /// <summary>Starts a node; joins <paramref name="seed"/> (or forms a cluster of one) and waits until it is Up.</summary>
    public static async Task<ClusterNode> StartAsync(CliSandbox sandbox, string journalFile, string cliPath, ClusterNode? seed = null,
        ClaudeClusterOptions? cluster = null, string? workingDirectory = null, string? postgres = null, string? seedAddress = null,
        string systemName = "claude-cluster-test", bool partitionable = false, int warmPool = 0, bool isolated = false,
        IReadOnlyDictionary<string, string?>? configuration = null)
    {
        var sessions = new ClaudeSessionsOptions
        {
            WarmPool = warmPool,
            Defaults = new() { CliPath = cliPath, Environment = sandbox.Environment, WorkingDirectory = workingDirectory ?? sandbox.WorkDir },
            // Isolated: each session's own folders under this node's data directory (the node's defaults no longer choose them).
            Isolation = isolated ? new SessionIsolation { Directory = DataDirectory(sandbox) } : null,
        };
        if (isolated) cluster = (cluster ?? new ClaudeClusterOptions()).WithIsolation();
        seedAddress ??= seed?.Address;
        var host = Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>()))
            .ConfigureServices(services =>
            {
                services.AddAkka(systemName, (builder, _) => builder
                    .WithRemoting("127.0.0.1", 0)
                    .WithClustering(new ClusterOptions
                    {
                        Roles = cluster?.HostSessions == false ? [] : ["sessions"],
                        SeedNodes = seedAddress is null ? [] : [seedAddress],
                        // The same downing policy as the host (src/ClaudeActors.Host); its timing comes from WithClaudeSessionsCluster.
                        SplitBrainResolver = new KeepMajorityOption { Role = "sessions" },
                    })
                    // Akka's throttler transport adapter (addresses become akka.trttl.tcp://...): lets a test blackhole
                    // the traffic between two nodes in both directions while their TCP connections stay open.
                    .AddHocon(partitionable ? "akka.remote.dot-netty.tcp.applied-adapters = [trttl]" : "", HoconAddMode.Prepend)
                    .WithSqlPersistence(postgres ?? $"Data Source={journalFile}", postgres is null ? ProviderName.SQLiteMS : ProviderName.PostgreSQL15, autoInitialize: true)
                    .WithClaudeSessionsCluster(sessions, cluster ?? new ClaudeClusterOptions())
                    .AddStartup(async (system, _) =>
                    {
                        var self = Akka.Cluster.Cluster.Get(system);
                        if (seedAddress is null) await self.JoinAsync(self.SelfAddress);
                    }));
                services.AddClaudeSessionsClient();
            })
            .Build();
        await host.StartAsync();
        var node = new ClusterNode(host, sandbox);
        var up = new TaskCompletionSource();
        Akka.Cluster.Cluster.Get(node.System).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return node;
    }

    public Task StopAsync() => _host.StopAsync();

    /// <summary>Where an isolated node keeps its sessions' folders.</summary>
    public static string DataDirectory(CliSandbox sandbox) => Path.Combine(sandbox.Root, "data");

    /// <summary>
    /// Drops every message between this node and <paramref name="other"/>, both ways, on this node's side (needs
    /// <c>partitionable</c>); the other node's side is cut by calling it there too.
    /// </summary>
    public async Task BlackholeAsync(ClusterNode other)
    {
        var transport = ((IRemoteActorRefProvider)((ExtendedActorSystem)System).Provider).Transport;
        var done = await transport.ManagementCommand(new SetThrottle(Akka.Cluster.Cluster.Get(other.System).SelfAddress,
            ThrottleTransportAdapter.Direction.Both, Blackhole.Instance));
        if (!done) throw new InvalidOperationException("The throttler did not take the blackhole (is the node partitionable?).");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync();
        }
        catch (Exception)
        {
            // Already stopped.
        }
        _host.Dispose();
    }
}

internal static class ClusterOptionsExtensions
{
    public static ClaudeClusterOptions WithIsolation(this ClaudeClusterOptions options)
    {
        options.Isolation = true;
        return options;
    }
}
