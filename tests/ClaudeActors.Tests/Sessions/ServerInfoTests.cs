using System.Text.Json;
using ClaudeActors.Sessions;
using Xunit;

namespace ClaudeActors.Tests.Sessions;

/// <summary>The typed view of the initialize answer, on the answer captured from the real CLI and on odd shapes.</summary>
public sealed class ServerInfoTests
{
    [Fact]
    public void The_captured_initialize_answer_reads_as_commands_models_agents_and_account()
    {
        var line = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "initialize-response.jsonl")).First();
        using var doc = JsonDocument.Parse(line);
        var info = ServerInfo.Parse(doc.RootElement.GetProperty("response").GetProperty("response"));

        Assert.Equal("2.1.332", info.CliVersion);
        Assert.Equal("default", info.PermissionMode);
        Assert.Equal("default", info.OutputStyle);
        Assert.Equal(48, info.Commands.Count);
        Assert.Contains(info.Commands, c => c.Name == "design" && c.ArgumentHint == "consent | revoke");
        Assert.Equal(5, info.Models.Count);
        Assert.Contains(info.Models, m => m is { Value: "default", ResolvedModel: "claude-opus-5-5" });
        Assert.Equal(5, info.Agents.Count);
        Assert.Equal(new AccountInfo(null, null, null, "none", "ANTHROPIC_API_KEY", "firstParty"), info.Account);
        Assert.Equal(JsonValueKind.Object, info.Raw.ValueKind);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"commands":"not a list","models":[1,null,{"displayName":"no value"}],"agents":[{}],"account":[]}""")]
    [InlineData("[]")]
    public void Missing_or_oddly_shaped_fields_read_as_empty(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var info = ServerInfo.Parse(doc.RootElement);
        Assert.Empty(info.Commands);
        Assert.Empty(info.Models);
        Assert.Empty(info.Agents);
        Assert.Null(info.Account);
        Assert.Null(info.CliVersion);
    }

    [Fact]
    public void An_absent_answer_reads_as_empty() => Assert.Empty(ServerInfo.Parse(default).Commands);
}
