using ClaudeActors.Process;
using ClaudeActors.Sessions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ClaudeActors.Hosting;

/// <summary>Healthy when the <c>claude</c> executable can be found (configured path, <c>CLAUDE_CLI_PATH</c> or PATH).</summary>
/// <param name="cliPath">The configured path, or null.</param>
public sealed class ClaudeCliHealthCheck(string? cliPath) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var path = CliLocator.Resolve(cliPath);
            return Task.FromResult(HealthCheckResult.Healthy("claude CLI found: " + path));
        }
        catch (CliNotFoundException ex)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(ex.Failure.Message));
        }
    }
}
