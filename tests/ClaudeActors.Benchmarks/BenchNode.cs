using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote.Hosting;
using ClaudeActors.Client;
using ClaudeActors.Cluster;
using ClaudeActors.Hosting;
using LinqToDB;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClaudeActors.Benchmarks;

/// <summary>
/// One in-process cluster node on 127.0.0.1 (random port), composed like tests/ClaudeActors.Tests/Cluster/ClusterNode.cs:
/// remoting, clustering, a SQLite journal file (shared by the nodes of one benchmark) and
/// <c>WithClaudeSessionsCluster</c>. Its sessions run the fake CLI with the sandbox's HOME and CLAUDE_CONFIG_DIR.
/// </summary>
internal sealed class BenchNode : IAsyncDisposable
{
    public const string SystemName = "claude-bench";

    /// <summary>The fake CLI never calls an API; the sandbox still wants a base URL for its environment.</summary>
    public static readonly Uri NoApi = new("http://127.0.0.1:9/");

    private readonly IHost _host;
    private bool _disposed;

    private BenchNode(IHost host, BenchSandbox sandbox)
    {
        _host = host;
        Sandbox = sandbox;
        System = host.Services.GetRequiredService<ActorSystem>();
        Address = Akka.Cluster.Cluster.Get(System).SelfAddress;
    }

    public BenchSandbox Sandbox { get; }
    public ActorSystem System { get; }
    public Address Address { get; }
    public IClaudeSessions Sessions => _host.Services.GetRequiredService<IClaudeSessions>();
    public ClaudeSessionsClient Client => (ClaudeSessionsClient)Sessions;
    public IActorRef Region => ActorRegistry.For(System).Get<ClaudeSessionRegion>();

    /// <summary>
    /// Starts a node and waits until it is Up. Nodes with <see cref="ClaudeClusterOptions.HostSessions"/> get the
    /// sessions role; the others get none and reach sessions through a shard region proxy.
    /// <paramref name="hardStoppable"/>: <c>ActorSystem.Terminate()</c> does not run coordinated shutdown, so the node
    /// vanishes without leaving the cluster (see <see cref="HardStopAsync"/>).
    /// </summary>
    public static async Task<BenchNode> StartAsync(string journalFile, BenchSandbox sandbox, ClaudeClusterOptions cluster,
        BenchNode? seed = null, string? workingDirectory = null, bool hardStoppable = false, string? extraHocon = null, bool quiet = false,
        string? cliPath = null)
    {
        var sessions = new ClaudeSessionsOptions
        {
            Defaults = new() { CliPath = cliPath ?? BenchPaths.FakeCli, Environment = sandbox.Environment, WorkingDirectory = workingDirectory ?? sandbox.WorkDir },
        };
        var seedAddress = seed?.Address.ToString();
        var level = quiet ? "OFF" : "ERROR";
        // Diagnostic: sharding debug log of the node that will be stopped (the seeded one) in the node-loss benchmark.
        if (seed is not null && cluster.HostSessions && Environment.GetEnvironmentVariable("CA_BENCH_DEBUG_LOST") == "1") level = "DEBUG";
        var hocon = $"akka.loglevel = {level}\nakka.stdout-loglevel = {level}\nakka.log-dead-letters = off\n" +
                    (hardStoppable ? "akka.coordinated-shutdown.run-by-actor-system-terminate = off\n" : "") + extraHocon;
        var host = Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureServices(services =>
            {
                services.AddAkka(SystemName, (builder, _) => builder
                    .AddHocon(hocon, HoconAddMode.Prepend)
                    .WithRemoting("127.0.0.1", 0)
                    .WithClustering(new ClusterOptions
                    {
                        Roles = cluster.HostSessions ? [cluster.Role] : [],
                        SeedNodes = seedAddress is null ? [] : [seedAddress],
                    })
                    .WithSqlPersistence($"Data Source={journalFile}", ProviderName.SQLiteMS, autoInitialize: true)
                    .WithClaudeSessionsCluster(sessions, cluster)
                    .AddStartup(async (system, _) =>
                    {
                        var self = Akka.Cluster.Cluster.Get(system);
                        if (seedAddress is null) await self.JoinAsync(self.SelfAddress);
                    }));
                services.AddClaudeSessionsClient();
            })
            .Build();
        await host.StartAsync();
        var node = new BenchNode(host, sandbox);
        if (Environment.GetEnvironmentVariable("CA_BENCH_TRACE_SHUTDOWN") == "1")
        {
            // Diagnostic: when each coordinated-shutdown phase begins on this node.
            var shutdown = CoordinatedShutdown.Get(node.System);
            foreach (var phase in new[]
                     {
                         CoordinatedShutdown.PhaseBeforeServiceUnbind, CoordinatedShutdown.PhaseServiceUnbind, CoordinatedShutdown.PhaseServiceRequestsDone,
                         CoordinatedShutdown.PhaseServiceStop, CoordinatedShutdown.PhaseBeforeClusterShutdown, CoordinatedShutdown.PhaseClusterShardingShutdownRegion,
                         CoordinatedShutdown.PhaseClusterLeave, CoordinatedShutdown.PhaseClusterExiting, CoordinatedShutdown.PhaseClusterExitingDone,
                         CoordinatedShutdown.PhaseClusterShutdown, CoordinatedShutdown.PhaseBeforeActorSystemTerminate, CoordinatedShutdown.PhaseActorSystemTerminate,
                     })
                shutdown.AddTask(phase, "bench-trace", () =>
                {
                    Console.WriteLine($"    [{node.Address.Port}] {DateTime.UtcNow:HH:mm:ss.fff} phase {phase}");
                    return Task.FromResult(Akka.Done.Instance);
                });
        }
        var up = new TaskCompletionSource();
        Akka.Cluster.Cluster.Get(node.System).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return node;
    }

    /// <summary>Graceful: the host stops, coordinated shutdown leaves the cluster and hands its shards off.</summary>
    public Task StopAsync() => _host.StopAsync();

    /// <summary>
    /// Hard: the ActorSystem terminates without coordinated shutdown (start the node with hardStoppable), so it never
    /// leaves; the other nodes see it vanish. Its actors still stop, so its CLIs are closed (unlike a killed process).
    /// </summary>
    public Task HardStopAsync() => System.Terminate();

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            await _host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception)
        {
            // Stopped already (or hard-stopped).
        }
        try
        {
            await System.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception)
        {
        }
        _host.Dispose();
    }

    /// <summary>A fresh journal file in the temp folder.</summary>
    public static string NewJournal() => Path.Combine(Path.GetTempPath(), "ca-bench-journal-" + Guid.NewGuid().ToString("N")[..10] + ".db");

    public static void DeleteJournal(string journalFile)
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(journalFile)!, Path.GetFileName(journalFile) + "*"))
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Rows of one persistence id in the journal (read with a separate connection).</summary>
    public static long JournalRows(string journalFile, string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={journalFile};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM journal WHERE persistence_id = $p";
        command.Parameters.AddWithValue("$p", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>All rows of the journal and the snapshot store (informational).</summary>
    public static (long Journal, long Snapshots) TableRows(string journalFile)
    {
        using var connection = new SqliteConnection($"Data Source={journalFile};Mode=ReadOnly;Pooling=False");
        connection.Open();
        long Count(string table)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM " + table;
            try
            {
                return (long)command.ExecuteScalar()!;
            }
            catch (SqliteException)
            {
                return -1;
            }
        }
        return (Count("journal"), Count("snapshot"));
    }
}
