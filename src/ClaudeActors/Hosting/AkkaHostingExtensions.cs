using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using ClaudeActors.Client;
using ClaudeActors.Supervision;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeActors.Hosting;

/// <summary>Akka.Hosting integration: one builder call adds the session supervisor and the declared sessions.</summary>
public static class AkkaHostingExtensions
{
    /// <summary>
    /// Adds ClaudeActors to an Akka.Hosting application: the <see cref="SessionSupervisor"/> at
    /// <c>/user/claude-sessions</c> (registered in the <see cref="IActorRegistry"/> under <see cref="ClaudeSessions"/>),
    /// the sessions declared in <paramref name="options"/> (started with the host), and a CoordinatedShutdown task
    /// that stops every session, so no CLI process outlives the host.
    /// </summary>
    public static AkkaConfigurationBuilder WithClaudeSessions(this AkkaConfigurationBuilder builder, ClaudeSessionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var declared = options.ResolveDeclared();
        var warmProfiles = Process.WarmPoolProfiles.From(options);

        return builder.WithActors((system, registry, resolver) =>
        {
            UseHostConfiguration(system, options, resolver);
            var supervisor = ClaudeSessions.Get(system).Supervisor;
            registry.Register<ClaudeSessions>(supervisor);
            supervisor.Tell(new ConfigureBudget(options));
            // Before the declared sessions: the pool starts filling while they start (they are not warm yet).
            if (warmProfiles.Count > 0) supervisor.Tell(new SessionSupervisor.StartWarmPool(warmProfiles));
            foreach (var session in declared) supervisor.Tell(new StartSession(session, ReturnExisting: true));
        });
    }

    /// <summary>
    /// Gives the sessions of <paramref name="system"/> the host's <c>IConfiguration</c> (for
    /// <see cref="SessionOptions.EnvironmentFromConfiguration"/>) and <paramref name="options"/>' isolation; says once
    /// when sessions ask for the sandbox and the machine has none.
    /// </summary>
    internal static void UseHostConfiguration(ActorSystem system, ClaudeSessionsOptions options, Akka.DependencyInjection.IDependencyResolver resolver)
    {
        var host = Process.SessionConfiguration.Get(system);
        if (resolver.GetService<IConfiguration>() is { } configuration) host.Lookup = key => configuration[key];
        if (options.Isolation is { } isolation) host.Isolation = isolation.Layout;
        var needsSandbox = options.Defaults.Sandbox is { Enabled: true } || options.Sessions.Any(s => s.Sandbox is { Enabled: true });
        if (needsSandbox && Process.SandboxRuntime.MissingReason is { } missing)
            system.Log.Warning("Sessions ask for the command sandbox, but {0} They will fail to start (SandboxUnavailable) rather than run unsandboxed.", missing);
    }

    /// <summary>Same as <see cref="WithClaudeSessions(AkkaConfigurationBuilder, ClaudeSessionsOptions)"/>, with options bound from a configuration section (e.g. <c>ClaudeActors</c>).</summary>
    public static AkkaConfigurationBuilder WithClaudeSessions(this AkkaConfigurationBuilder builder, IConfiguration section, Action<ClaudeSessionsOptions>? configure = null)
    {
        var options = section.Get<ClaudeSessionsOptions>() ?? new ClaudeSessionsOptions();
        configure?.Invoke(options);
        return builder.WithClaudeSessions(options);
    }

    /// <summary>Registers <see cref="IClaudeSessions"/> (start, get by name, terminate, list) for plain .NET code in DI.</summary>
    /// <remarks>
    /// Both <see cref="IClaudeSessions"/> and <see cref="ClaudeSessionsClient"/> resolve to one instance. It works in
    /// both modes: once <c>WithClaudeSessionsCluster</c> runs, the same client reaches the cluster's sessions.
    /// </remarks>
    public static IServiceCollection AddClaudeSessionsClient(this IServiceCollection services)
    {
        services.AddSingleton(sp => new ClaudeSessionsClient(sp.GetRequiredService<ActorSystem>()));
        return services.AddSingleton<IClaudeSessions>(sp => sp.GetRequiredService<ClaudeSessionsClient>());
    }
}
