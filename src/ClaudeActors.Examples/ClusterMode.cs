using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote.Hosting;
using ClaudeActors.Client;
using ClaudeActors.Cluster;
using ClaudeActors.Core;
using ClaudeActors.Hosting;
using LinqToDB;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeActors.Examples;

/// <summary>The README's cluster mode: packages ClaudeActors and ClaudeActors.Cluster (which brings Akka.Cluster.Hosting and Akka.Persistence.Sql.Hosting).</summary>
public static class ClusterMode
{
    public static IServiceCollection AddClusterSessions(IServiceCollection services, ClaudeSessionsOptions sessionsOptions,
        string hostname = "127.0.0.1", int port = 4053, string journal = "Data Source=claude-actors.db")
    {
        var self = $"akka.tcp://claude-actors@{hostname}:{port}";
        services.AddAkka("claude-actors", (akka, sp) => akka
            .WithRemoting(hostname, port)
            .WithClustering(new ClusterOptions { Roles = ["sessions"], SeedNodes = port == 0 ? [] : [self] })
            .WithSqlPersistence(journal, ProviderName.SQLiteMS)   // or ProviderName.PostgreSQL15 and its connection string
            .WithClaudeSessionsCluster(sessionsOptions, new ClaudeClusterOptions { PassivateIdleAfter = TimeSpan.FromMinutes(15), MaxLiveCliProcesses = 100 })
            // A node on a random port (port 0) has no address to list as seed: it forms a cluster of one.
            .AddStartup((system, _) => { if (port == 0) Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress); }));
        return services.AddClaudeSessionsClient();   // IClaudeSessions: the same calls as local mode, cluster-wide
    }

    public static async Task<string> UseAsync(IClaudeSessions sessions)
    {
        var assistant = await sessions.StartAsync(new SessionOptions { Name = "assistant" }, returnExisting: true);   // on any node
        await assistant.FinalTextAsync("My name is Alice");
        var same = await sessions.GetAsync("assistant");                                                            // from any other node
        return await same.FinalTextAsync("What is my name?");
    }
}
