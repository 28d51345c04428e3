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
        Assert.Equal("Invalid session options: MaxTurns (--max-turns) must be positive.", invalid.Message);
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
            // An option error, like the others: named after the C# property, before any process starts.
            Assert.Equal(FailureKind.InvalidRequest, failure!.Kind);
            Assert.Equal($"Invalid session options: WorkingDirectory '{gone}' does not exist.", failure.Message);
            Assert.Equal($"WorkingDirectory '{gone}' does not exist.", CliPreflight.MissingWorkingDirectory(gone));
            var thrown = Assert.Throws<InvalidSessionOptionsException>(() => CliPreflight.EnsureStartable(new SessionOptions { WorkingDirectory = gone, MaxTurns = 0 }));
            Assert.Equal(2, thrown.Errors.Count); // every problem at once
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
