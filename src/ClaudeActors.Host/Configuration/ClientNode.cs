using Akka.Actor;
using ClaudeActors.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClaudeActors.Host.Configuration;

/// <summary>The seed nodes did not let this node in within the time allowed.</summary>
internal sealed class ClusterUnreachableException(string message) : Exception(message);

/// <summary>
/// A short-lived member of a running cluster, for the operator commands and <c>chat --join</c>: random port, no
/// roles (the session region is a proxy, no CLI runs here), joined through the seed nodes. Disposing it leaves
/// the cluster gracefully (coordinated shutdown) and stops its ActorSystem.
/// </summary>
internal sealed class ClientNode : IAsyncDisposable
{
    /// <summary>How long joining may take before the cluster is reported unreachable.</summary>
    public static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(10);

    private readonly IHost _host;

    private ClientNode(IHost host)
    {
        _host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
        Sessions = new ClaudeSessionsClient(System);
    }

    public ActorSystem System { get; }

    /// <summary>The cluster's sessions, by name.</summary>
    public ClaudeSessionsClient Sessions { get; }

    /// <summary>
    /// Starts the client node and waits until it is Up in the cluster. Throws <see cref="ClusterUnreachableException"/>
    /// after <see cref="JoinTimeout"/> (the node is stopped first).
    /// </summary>
    /// <param name="builder">A builder from <see cref="HostBuilderExtensions.CreateNodeBuilder"/>.</param>
    /// <param name="config">From <see cref="NodeConfiguration.ForClient"/>.</param>
    /// <param name="akkaLogLevel">Akka's level; <see cref="LogLevel.None"/> keeps its connection errors out of the command's output.</param>
    /// <param name="cancellationToken">Abandons the join (Ctrl-C).</param>
    public static async Task<ClientNode> JoinAsync(HostApplicationBuilder builder, NodeConfiguration config, LogLevel akkaLogLevel, CancellationToken cancellationToken)
    {
        builder.Services.AddClaudeActorsNode(akkaLogLevel, akka => akka.WithClaudeActorsCluster(config, connectionString: null));
        var host = builder.Build();
        var node = new ClientNode(host);
        try
        {
            await host.StartAsync(cancellationToken);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Akka.Cluster.Cluster.Get(node.System).RegisterOnMemberUp(() => up.TrySetResult());
            try
            {
                await up.Task.WaitAsync(JoinTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new ClusterUnreachableException(
                    $"no cluster answered at {string.Join(", ", config.Node.EffectiveSeedNodes)} within {JoinTimeout.TotalSeconds:0} s " +
                    "(is a node running there, and can it reach this machine back?).");
            }
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Leaves the cluster (Leaving → Exiting → Removed) before the ActorSystem stops, so the cluster never
            // has to detect this node as unreachable and down it.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _host.StopAsync(timeout.Token);
        }
        catch (Exception)
        {
            // Leaving is best effort: the command's result is already decided.
        }
        _host.Dispose();
    }
}
