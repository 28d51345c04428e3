using ClaudeActors.Client;
using ClaudeActors.Protocol;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Client;

/// <summary>
/// A session's history is found where its own CLI writes it: a session whose <c>CLAUDE_CONFIG_DIR</c> is set in its
/// environment (not in this process's) is read through <see cref="IClaudeSessions.ReadConversationAsync"/>, which a
/// lookup of this process's config dir alone would miss.
/// </summary>
public sealed class ReadConversationTests(ITestOutputHelper output) : SessionTestKit(output)
{
    [Fact]
    public async Task A_sessions_conversation_is_read_from_its_own_config_dir()
    {
        var elsewhere = Path.Combine(Sandbox.Root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        await using var session = await StartFakeAsync(o => o with
        {
            Name = "own-config",
            Environment = new Dictionary<string, string>(o.Environment) { ["CLAUDE_CONFIG_DIR"] = elsewhere },
        });
        Assert.Equal("Nice to meet you, Ann.", await session.FinalTextAsync("My name is Ann"));
        var id = (await session.GetSessionIdAsync())!;

        var sessions = new ClaudeSessionsClient(Sys);
        var conversation = await sessions.ReadConversationAsync(id);
        Assert.Equal(id, conversation.SessionId);
        Assert.StartsWith(elsewhere, conversation.FilePath);
        Assert.Contains(conversation.Messages, m => m is AssistantMessage a && a.Message.Content.OfType<TextBlock>().Any(t => t.Text.Contains("Ann")));

        // This process's config dir does not hold it: only the session knew where to look.
        await Assert.ThrowsAnyAsync<ClaudeSessionException>(() => ClaudeSession.ReadConversationAsync(id));
        await Assert.ThrowsAsync<InvalidSessionRequestException>(() => sessions.ReadConversationAsync("../../etc/passwd"));
    }
}
