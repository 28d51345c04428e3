using System.Net;
using System.Text.Json;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using ClaudeActors.Cluster;
using ClaudeActors.Hosting;
using Microsoft.Data.Sqlite;
using ClaudeActors.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ClaudeActors.Host;

/// <summary>The node's telemetry export (by flag) and its health endpoint for probes.</summary>
internal static class Observability
{
    /// <summary>Exports the ClaudeActors meter and activity source: <c>console</c>, or <c>otlp</c> (endpoint from <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>).</summary>
    public static IServiceCollection AddNodeTelemetry(this IServiceCollection services, string? exporter)
    {
        if (string.IsNullOrWhiteSpace(exporter) || exporter == "none") return services;
        var otlp = exporter == "otlp";
        services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ClaudeActorsTelemetry.MeterName);
                if (otlp) metrics.AddOtlpExporter();
                else metrics.AddConsoleExporter();
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(ClaudeActorsTelemetry.ActivitySourceName);
                if (otlp) tracing.AddOtlpExporter();
                else tracing.AddConsoleExporter();
            });
        return services;
    }

    /// <summary>The tag of the checks behind <c>/healthz/live</c>.</summary>
    public const string LiveTag = "live";

    /// <summary>The tag of the checks behind <c>/healthz/ready</c>.</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Akka.Hosting's own checks, registered with the ActorSystem: live while the ActorSystem runs; ready once this
    /// node is an Up member of its cluster. The journal's and snapshot store's checks (the plugin answers) are added
    /// with the persistence itself (<see cref="Configuration.ClusterNodeBuilder"/>).
    /// </summary>
    public static AkkaConfigurationBuilder WithNodeHealthChecks(this AkkaConfigurationBuilder builder) => builder
        .WithActorSystemLivenessCheck(tags: [LiveTag])
        .WithAkkaClusterReadinessCheck(tags: [ReadyTag]);

    /// <summary>
    /// The health endpoint: <c>/healthz/live</c> and <c>/healthz/ready</c> on <paramref name="host"/>:<paramref name="port"/>,
    /// answered from the checks tagged <see cref="LiveTag"/> and <see cref="ReadyTag"/> — Akka.Hosting's (see
    /// <see cref="WithNodeHealthChecks"/>) and, on nodes that host sessions, ours: the claude CLI is found, and the
    /// journal's database answers (Akka.Persistence.Sql.Hosting's own connectivity check does not run on our feed's linq2db).
    /// </summary>
    public static IServiceCollection AddNodeHealth(this IServiceCollection services, string host, int port, Configuration.NodeConfiguration config,
        string? connectionString)
    {
        var checks = services.AddHealthChecks();
        if (config.Cluster.HostSessions)
        {
            checks.Add(new HealthCheckRegistration("claude-cli", _ => new ClaudeCliHealthCheck(config.Sessions.Defaults.CliPath), HealthStatus.Unhealthy, [ReadyTag]));
            // Budget, used, live and waiting starts: figures, never a reason to take the node out of service.
            checks.Add(new HealthCheckRegistration("cli-budget", sp => new CliBudgetHealthCheck(sp.GetRequiredService<Akka.Actor.ActorSystem>()),
                HealthStatus.Healthy, [ReadyTag]));
        }
        if (connectionString is not null && config.Persistence is { } persistence)
        {
            var postgres = persistence.Provider == Configuration.PersistenceProvider.PostgreSql;
            checks.Add(new HealthCheckRegistration("journal-database",
                _ => new JournalDatabaseHealthCheck(persistence.Provider.ToString(),
                    () => postgres ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString)),
                HealthStatus.Unhealthy, [ReadyTag]));
        }
        services.AddHostedService(sp => new HealthEndpoint(host, port, sp.GetRequiredService<HealthCheckService>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("ClaudeActors.Host.Health")));
        return services;
    }

    /// <summary>A tiny HTTP endpoint (HttpListener: no web stack needed) for Kubernetes probes.</summary>
    private sealed class HealthEndpoint(string host, int port, HealthCheckService checks, ILogger logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var listener = new HttpListener();
            var bind = host is "0.0.0.0" or "::" or "*" ? "+" : host;
            listener.Prefixes.Add($"http://{bind}:{port}/healthz/");
            listener.Start();
            logger.LogInformation("health endpoint on http://{Host}:{Port}/healthz/live and /healthz/ready", host, port);
            await using var stopListening = stoppingToken.Register(listener.Stop);
            while (!stoppingToken.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync().ConfigureAwait(false);
                }
                catch (Exception) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (HttpListenerException)
                {
                    return;
                }
                _ = AnswerAsync(context, stoppingToken);
            }
        }

        private async Task AnswerAsync(HttpListenerContext context, CancellationToken cancellationToken)
        {
            var response = context.Response;
            try
            {
                var path = context.Request.Url?.AbsolutePath.TrimEnd('/') ?? "";
                object body;
                var tag = path.EndsWith("/live", StringComparison.Ordinal) ? LiveTag : path.EndsWith("/ready", StringComparison.Ordinal) ? ReadyTag : null;
                if (tag is not null)
                {
                    var report = await checks.CheckHealthAsync(r => r.Tags.Contains(tag), cancellationToken).ConfigureAwait(false);
                    response.StatusCode = report.Status == HealthStatus.Healthy ? 200 : 503;
                    body = new
                    {
                        status = report.Status.ToString(),
                        checks = report.Entries.ToDictionary(e => e.Key, e => new
                        {
                            status = e.Value.Status.ToString(), description = e.Value.Description,
                            data = e.Value.Data.Count > 0 ? e.Value.Data : null,
                        }),
                    };
                }
                else
                {
                    response.StatusCode = 404;
                    body = new { status = "unknown path" };
                }
                response.ContentType = "application/json";
                await JsonSerializer.SerializeAsync(response.OutputStream, body, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The prober went away or the node is stopping.
            }
            finally
            {
                try
                {
                    response.Close();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                }
            }
        }
    }
}
