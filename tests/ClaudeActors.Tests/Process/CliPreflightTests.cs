using ClaudeActors.Process;
using Xunit;

namespace ClaudeActors.Tests.Process;

/// <summary>What is known before any CLI process starts, said the same way by the supervisor, the session and the CLI actor.</summary>
public sealed class CliPreflightTests
{
    [Fact]
    public void Broken_option_rules_come_first_then_the_executable_then_the_working_directory()
    {
        var invalid = CliPreflight.Check(new SessionOptions { MaxTurns = 0, CliPath = "/nonexistent/claude" }, out var path);
        Assert.Equal(FailureKind.InvalidRequest, invalid!.Kind);
        Assert.Equal("Invalid session options: max_turns must be positive.", invalid.Message);
        Assert.Null(path);

        var missing = CliPreflight.Check(new SessionOptions { CliPath = "/nonexistent/claude", WorkingDirectory = "/nonexistent/dir" }, out _);
        Assert.Equal(FailureKind.CliNotFound, missing!.Kind);
    }

    [Fact]
    public void A_missing_working_directory_fails_the_start_and_an_existing_one_passes()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "fake-claude-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(cli, "#!/bin/sh\n");
        try
        {
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(cli, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var gone = Path.Combine(Path.GetTempPath(), "gone-" + Guid.NewGuid().ToString("N"));
            var failure = CliPreflight.Check(new SessionOptions { CliPath = cli, WorkingDirectory = gone }, out var resolved);
            Assert.Equal(FailureKind.CliStartFailed, failure!.Kind);
            Assert.Equal($"The working directory '{gone}' does not exist.", failure.Message);
            Assert.Equal(failure.Message, CliPreflight.MissingWorkingDirectory(gone));
            Assert.Equal(cli, resolved);

            Assert.Null(CliPreflight.Check(new SessionOptions { CliPath = cli, WorkingDirectory = Path.GetTempPath() }, out resolved));
            Assert.Equal(cli, resolved);
            Assert.Null(CliPreflight.MissingWorkingDirectory(null)); // the host's own directory
        }
        finally
        {
            File.Delete(cli);
        }
    }
}
