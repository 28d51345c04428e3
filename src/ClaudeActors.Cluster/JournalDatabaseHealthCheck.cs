using System.Data.Common;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ClaudeActors.Cluster;

/// <summary>
/// Healthy when the journal's database answers <c>SELECT 1</c>. The connection string is never part of the
/// result (it may hold a password); only the provider's name is.
/// </summary>
/// <param name="providerName">A name for the result (e.g. <c>Sqlite</c>, <c>PostgreSql</c>).</param>
/// <param name="openConnection">Creates an unopened connection to the journal's database.</param>
public sealed class JournalDatabaseHealthCheck(string providerName, Func<DbConnection> openConnection) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = openConnection();
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(providerName + " journal reachable");
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"{providerName} journal unreachable ({ex.GetType().Name})");
        }
    }
}
