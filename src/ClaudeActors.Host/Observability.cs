using System.Net;
using System.Text.Json;
using Akka.Actor;
using ClaudeActors.Cluster;
using ClaudeActors.Hosting;
using ClaudeActors.Telemetry;
using Microsoft.Data.Sqlite;
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

    /// <summary>
    /// Health checks (cluster membership Up; the journal's database answers; the claude CLI is found, on nodes that
    /// host sessions) served at <c>/healthz/live</c> and <c>/healthz/ready</c> on <paramref name="host"/>:<paramref name="port"/>.
    /// </summary>
    public static IServiceCollection AddNodeHealth(this IServiceCollection services, string host, int port,
        Configuration.NodeConfiguration config, string? connectionString)
    {
        var checks = services.AddHealthChecks()
            .Add(new HealthCheckRegistration("cluster-member-up", sp => new ClusterMemberUpCheck(sp.GetRequiredService<ActorSystem>()), HealthStatus.Unhealthy, ["ready"]));
        if (config.Cluster.HostSessions)
            checks.Add(new HealthCheckRegistration("claude-cli", _ => new ClaudeCliHealthCheck(config.Sessions.Defaults.CliPath), HealthStatus.Unhealthy, ["ready"]));
        if (connectionString is not null && config.Persistence is { } persistence)
        {
            var postgres = persistence.Provider == Configuration.PersistenceProvider.PostgreSql;
            checks.Add(new HealthCheckRegistration("journal",
                _ => new JournalDatabaseHealthCheck(persistence.Provider.ToString(),
                    () => postgres ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString)),
                HealthStatus.Unhealthy, ["ready"]));
        }
        services.AddHostedService(sp => new HealthEndpoint(host, port, sp.GetRequiredService<HealthCheckService>(),
            sp.GetRequiredService<ActorSystem>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("ClaudeActors.Host.Health")));
        return services;
    }

    private sealed class ClusterMemberUpCheck(ActorSystem system) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var status = Akka.Cluster.Cluster.Get(system).SelfMember.Status;
            return Task.FromResult(status == Akka.Cluster.MemberStatus.Up
                ? HealthCheckResult.Healthy("cluster member Up")
                : HealthCheckResult.Unhealthy("cluster member " + status));
        }
    }

    /// <summary>A tiny HTTP endpoint (HttpListener: no web stack needed) for Kubernetes probes.</summary>
    private sealed class HealthEndpoint(string host, int port, HealthCheckService checks, ActorSystem system, ILogger logger) : BackgroundService
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
                if (path.EndsWith("/live", StringComparison.Ordinal))
                {
                    var alive = !system.WhenTerminated.IsCompleted;
                    response.StatusCode = alive ? 200 : 503;
                    body = new { status = alive ? "Healthy" : "Unhealthy" };
                }
                else if (path.EndsWith("/ready", StringComparison.Ordinal))
                {
                    var report = await checks.CheckHealthAsync(r => r.Tags.Contains("ready"), cancellationToken).ConfigureAwait(false);
                    response.StatusCode = report.Status == HealthStatus.Healthy ? 200 : 503;
                    body = new
                    {
                        status = report.Status.ToString(),
                        checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
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
