using ClaudeActors.Cluster;
using ClaudeActors.Hosting;
using ClaudeActors.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace ClaudeActors.Tests.Hosting;

public sealed class HealthCheckTests
{
    private static Task<HealthCheckResult> Check(IHealthCheck check) => check.CheckHealthAsync(new HealthCheckContext());

    [Fact]
    public async Task The_cli_check_reports_a_found_and_a_missing_cli()
    {
        Assert.Equal(HealthStatus.Healthy, (await Check(new ClaudeCliHealthCheck(TestPaths.RealCli))).Status);
        var missing = await Check(new ClaudeCliHealthCheck("/nonexistent/claude"));
        Assert.Equal(HealthStatus.Unhealthy, missing.Status);
        Assert.Contains("not found", missing.Description);
    }

    [Fact]
    public async Task The_journal_check_answers_without_showing_the_connection_string()
    {
        var file = Path.Combine(Path.GetTempPath(), "ca-health-" + Guid.NewGuid().ToString("N") + ".db");
        try
        {
            Assert.Equal(HealthStatus.Healthy, (await Check(new JournalDatabaseHealthCheck("Sqlite", () => new SqliteConnection($"Data Source={file}")))).Status);
            var broken = await Check(new JournalDatabaseHealthCheck("Sqlite", () => new SqliteConnection("Data Source=/nonexistent-dir/x.db;Mode=ReadOnly;Password=hunter2")));
            Assert.Equal(HealthStatus.Unhealthy, broken.Status);
            Assert.DoesNotContain("hunter2", broken.Description);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
    }
}

public sealed class ClaudeSessionsOptionsTests
{
    [Fact]
    public void Defaults_fill_every_option_a_declared_session_leaves_unset()
    {
        var options = new ClaudeSessionsOptions
        {
            Defaults = new()
            {
                Model = "sonnet", Effort = "high", FallbackModel = "haiku", Betas = ["b1"], MaxBudgetUsd = 3m,
                Environment = new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" },
            },
        };
        var resolved = options.Resolve(new SessionOptions
        {
            Name = "x", Model = "opus", Environment = new Dictionary<string, string> { ["B"] = "3" },
        });
        Assert.Equal("opus", resolved.Model);
        Assert.Equal("high", resolved.Effort);
        Assert.Equal("haiku", resolved.FallbackModel);
        Assert.Equal(["b1"], resolved.Betas);
        Assert.Equal(3m, resolved.MaxBudgetUsd);
        Assert.Equal("1", resolved.Environment["A"]);
        Assert.Equal("3", resolved.Environment["B"]);
    }
}
