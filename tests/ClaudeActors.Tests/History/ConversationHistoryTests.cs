using ClaudeActors.History;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using Xunit;

namespace ClaudeActors.Tests.History;

public sealed class ConversationHistoryTests : IDisposable
{
    private readonly string _config = Directory.CreateTempSubdirectory("ca-history-").FullName;

    [Fact]
    public async Task A_captured_transcript_reads_as_typed_user_and_assistant_messages()
    {
        var id = SessionIds.New();
        var project = Directory.CreateDirectory(Path.Combine(_config, "projects", ConversationHistory.EncodeProjectPath("/tmp/some where")));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "transcript-two-turns.jsonl"), Path.Combine(project.FullName, id + ".jsonl"));

        var conversation = await ConversationHistory.ReadAsync(id, _config);
        Assert.Empty(conversation.Problems);
        Assert.All(conversation.Messages, m => Assert.True(m is UserMessage or AssistantMessage));
        Assert.Contains(conversation.Messages, m => m is AssistantMessage);
        Assert.IsType<UserMessage>(conversation.Messages[0]);
    }

    [Fact]
    public async Task Malformed_lines_are_reported_and_the_rest_is_kept()
    {
        var id = SessionIds.New();
        var project = Directory.CreateDirectory(Path.Combine(_config, "projects", "-work"));
        await File.WriteAllLinesAsync(Path.Combine(project.FullName, id + ".jsonl"),
        [
            """{"type":"user","message":{"role":"user","content":"hello"},"uuid":"1"}""",
            "this is not json",
            """{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"hi"}]},"uuid":"2"}""",
            """{"type":"assistant","isSidechain":true,"message":{"role":"assistant","content":[{"type":"text","text":"side"}]}}""",
            """{"type":"last-prompt","leafUuid":"2"}""",
        ]);
        var conversation = await ConversationHistory.ReadAsync(id, _config);
        Assert.Equal(2, conversation.Messages.Count);
        Assert.Equal(2, Assert.Single(conversation.Problems).LineNumber);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("abc123-def456")]
    [InlineData("00000000-0000-0000-0000-000000000000/../x")]
    [InlineData("")]
    public async Task Ids_that_are_not_uuids_are_rejected_before_touching_the_disk(string id)
    {
        var ex = await Assert.ThrowsAsync<InvalidSessionRequestException>(() => ConversationHistory.ReadAsync(id, _config));
        Assert.Equal(FailureKind.InvalidRequest, ex.Failure.Kind);
    }

    [Fact]
    public async Task An_unknown_session_is_a_typed_not_found()
    {
        Directory.CreateDirectory(Path.Combine(_config, "projects"));
        var ex = await Assert.ThrowsAsync<SessionNotFoundException>(() => ConversationHistory.ReadAsync(SessionIds.New(), _config));
        Assert.Equal(FailureKind.SessionNotFound, ex.Failure.Kind);
    }

    [Fact]
    public void Project_paths_are_encoded_like_the_cli_does() =>
        Assert.Equal("-tmp-my-project-v2", ConversationHistory.EncodeProjectPath("/tmp/my project.v2"));

    [Fact]
    public async Task Stored_sessions_and_projects_are_listed_newest_first_with_directory_summary_and_first_prompt()
    {
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "transcript-two-turns.jsonl");
        var alice = Directory.CreateDirectory(Path.Combine(_config, "projects", ConversationHistory.EncodeProjectPath("/tmp/fixture-cwd")));
        var (older, newer) = (SessionIds.New(), SessionIds.New());
        File.Copy(fixture, Path.Combine(alice.FullName, older + ".jsonl"));
        File.WriteAllText(Path.Combine(alice.FullName, newer + ".jsonl"),
            "{\"type\":\"summary\",\"summary\":\"Naming Alice\",\"leafUuid\":\"x\"}\n" +
            "not json at all\n" +
            "{\"type\":\"user\",\"isMeta\":true,\"message\":{\"role\":\"user\",\"content\":\"meta line\"},\"cwd\":\"/tmp/fixture-cwd\"}\n" +
            "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Second chat\"}]},\"cwd\":\"/tmp/fixture-cwd\"}\n");
        File.WriteAllText(Path.Combine(alice.FullName, "not-a-session.jsonl"), "{}\n");
        var other = Directory.CreateDirectory(Path.Combine(_config, "projects", "-srv-app"));
        var third = SessionIds.New();
        File.WriteAllText(Path.Combine(other.FullName, third + ".jsonl"), "");
        File.SetLastWriteTimeUtc(Path.Combine(alice.FullName, older + ".jsonl"), DateTime.UtcNow.AddHours(-3));
        File.SetLastWriteTimeUtc(Path.Combine(alice.FullName, newer + ".jsonl"), DateTime.UtcNow.AddHours(-1));
        File.SetLastWriteTimeUtc(Path.Combine(other.FullName, third + ".jsonl"), DateTime.UtcNow.AddHours(-2));

        var all = await StoredSessions.ListAsync(_config);
        Assert.Equal([newer, third, older], all.Select(s => s.SessionId));
        Assert.Equal("Naming Alice", all[0].Summary);
        Assert.Equal("Second chat", all[0].FirstPrompt);
        Assert.Equal("My name is Alice", all[2].FirstPrompt);
        Assert.Equal("/tmp/fixture-cwd", all[2].WorkingDirectory);
        Assert.Null(all[1].WorkingDirectory); // an empty transcript says nothing
        Assert.Equal([newer, older], (await StoredSessions.ListAsync(_config, "/tmp/fixture-cwd")).Select(s => s.SessionId));

        var projects = await StoredSessions.ListProjectsAsync(_config);
        Assert.Equal([alice.Name, "-srv-app"], projects.Select(p => p.Name));
        Assert.Equal(2, projects[0].SessionCount);
        Assert.Equal("/tmp/fixture-cwd", projects[0].WorkingDirectory);
        Assert.Equal("/srv/app", StoredSessions.DecodeProjectPath("-srv-app"));
        Assert.Empty(await StoredSessions.ListAsync(Path.Combine(_config, "missing")));
    }

    public void Dispose() => Directory.Delete(_config, recursive: true);
}
