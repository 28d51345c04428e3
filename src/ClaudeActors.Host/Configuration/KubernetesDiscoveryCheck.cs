using System.Reflection;
using System.Runtime.CompilerServices;
using Akka.Discovery.KubernetesApi;

namespace ClaudeActors.Host.Configuration;

/// <summary>
/// Whether Akka.Discovery.KubernetesApi can call the KubernetesClient this build carries. It was compiled against
/// KubernetesClient 17.0.14, which our package feed lacks; the nearest there (19.0.2) dropped overloads it calls, so
/// every pod lookup would fail with <see cref="MissingMethodException"/> and the node would wait for a cluster forever.
/// Compiling its lookup methods up front (no call is made) finds that at start-up instead.
/// </summary>
internal static class KubernetesDiscoveryCheck
{
    /// <summary>Null when the lookups bind; else why not, as one sentence.</summary>
    public static string? Problem()
    {
        const BindingFlags all = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        var discovery = typeof(KubernetesApiServiceDiscovery);
        // The lookups are async: their bodies live in the compiler's nested state machines.
        foreach (var type in discovery.GetNestedTypes(BindingFlags.NonPublic | BindingFlags.Public).Prepend(discovery))
        {
            if (type.ContainsGenericParameters) continue;
            foreach (var method in type.GetMethods(all))
            {
                if (method.IsAbstract || method.ContainsGenericParameters) continue;
                try
                {
                    RuntimeHelpers.PrepareMethod(method.MethodHandle);
                }
                catch (MissingMethodException ex)
                {
                    var client = typeof(k8s.Kubernetes).Assembly.GetName().Version;
                    return $"Akka.Discovery.KubernetesApi {discovery.Assembly.GetName().Version} cannot call KubernetesClient {client} ({ex.Message}); " +
                           "it needs KubernetesClient 17.0.x. Use --discovery config with the pods' DNS names meanwhile (deploy/README.md).";
                }
            }
        }
        return null;
    }
}
