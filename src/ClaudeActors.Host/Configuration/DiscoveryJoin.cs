using Akka.Actor;
using Akka.Discovery;
using Akka.Discovery.KubernetesApi;
using Akka.Event;
using Akka.Hosting;

namespace ClaudeActors.Host.Configuration;

/// <summary>
/// A cluster found through Akka.Discovery instead of a seed list: the node looks its service up (config discovery:
/// the <c>--contact-point</c> list; Kubernetes: the pods labelled <c>app.kubernetes.io/name=SERVICE</c>, port <c>akka-remote</c>), and
/// hands the answer, sorted, to Akka's own seed-node join. That join lets only the first address of the list form a
/// new cluster (when no other answers within <c>seed-node-timeout</c>); every other node joins whichever node of the
/// list is in a cluster. So all nodes agree without anyone being named a seed: the lowest address forms the cluster,
/// the same rule as Akka.Management's Cluster Bootstrap — which cannot run on our package feed (docs/dependencies.md).
/// </summary>
internal static class DiscoveryJoin
{
    /// <summary>The Kubernetes container port (name) discovery reports for Akka.Remote.</summary>
    public const string RemotingPortName = "akka-remote";

    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    public static AkkaConfigurationBuilder WithDiscoveryJoin(this AkkaConfigurationBuilder builder, NodeSettings node)
    {
        if (node.Discovery == DiscoveryMethod.Config)
        {
            // Akka.Discovery's built-in config method; the service's endpoints are the nodes' remoting endpoints.
            var endpoints = string.Join(", ", node.EffectiveContactPoints.Select(p => "\"" + p + "\""));
            builder.AddHocon($$"""
                akka.discovery.method = config
                akka.discovery.config.services."{{node.ServiceName}}".endpoints = [{{endpoints}}]
                """, HoconAddMode.Prepend);
        }
        else
        {
            // Pod IPs: the StatefulSet advertises each pod by its IP (deploy/k8s), so a node finds itself in the answer.
            builder.WithKubernetesDiscovery(options =>
            {
                options.PodLabelSelector = "app.kubernetes.io/name={0}";
                options.RawIp = true;
            });
        }
        // Not awaited: the host starts (and serves its health endpoint, not ready yet) while the node looks for its cluster.
        return builder.AddStartup((system, registry) => { _ = JoinAsync(system, node); });
    }

    private static async Task JoinAsync(ActorSystem system, NodeSettings node)
    {
        var log = Akka.Event.Logging.GetLogger(system, "ClaudeActors.Host.Discovery");
        var cluster = Akka.Cluster.Cluster.Get(system);
        var self = cluster.SelfAddress;
        var lookup = new Lookup(node.ServiceName, node.Discovery == DiscoveryMethod.Kubernetes ? RemotingPortName : null, "tcp");
        var required = node.EffectiveRequiredContactPoints;
        var attempt = 0;
        while (!system.WhenTerminated.IsCompleted)
        {
            attempt++;
            try
            {
                var resolved = await Discovery.Get(system).Default.Lookup(lookup, LookupTimeout).ConfigureAwait(false);
                var addresses = resolved.Addresses
                    .Where(t => t.Port is > 0)
                    .Select(t => new Address(self.Protocol, self.System, t.Host, t.Port))
                    .Distinct()
                    .OrderBy(a => a.ToString(), StringComparer.Ordinal)
                    .ToList();
                if (addresses.Count >= required)
                {
                    log.Info("Discovery found {0} node(s) of '{1}': {2}; joining ({3})", addresses.Count, node.ServiceName, string.Join(", ", addresses),
                        addresses[0].Equals(self) ? "this node is the lowest: it forms the cluster if no other node is in one" : "the lowest forms the cluster");
                    cluster.JoinSeedNodes(addresses);
                    return;
                }
                if (attempt % 10 == 1)
                    log.Info("Discovery found {0} of the {1} node(s) required of '{2}'; looking again", addresses.Count, required, node.ServiceName);
            }
            catch (Exception ex)
            {
                if (attempt % 10 == 1) log.Warning("Discovery of '{0}' failed ({1}); looking again", node.ServiceName, ex.Message);
            }
            await Task.Delay(RetryInterval).ConfigureAwait(false);
        }
    }
}
