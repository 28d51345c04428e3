using Xunit;

namespace ClaudeActors.Tests.Infrastructure;

/// <summary>
/// A test that needs PostgreSQL: it runs when <c>CLAUDE_ACTORS_TEST_PG</c> holds a connection string (.ci/run sets it
/// after starting a loopback server with .ci/postgres.sh) and is skipped otherwise.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public const string Variable = "CLAUDE_ACTORS_TEST_PG";

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    public PostgresFactAttribute()
    {
        if (ConnectionString is null) Skip = $"Set {Variable} to a PostgreSQL connection string (see .ci/postgres.sh).";
    }
}
