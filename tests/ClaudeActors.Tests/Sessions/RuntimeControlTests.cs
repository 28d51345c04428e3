using System.Text.Json;
using ClaudeActors.Client;
using ClaudeActors.Sessions;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Sessions;

/// <summary>
/// The CLI's other runtime controls and the typed server info, against the real CLI; restart on request and counting,
/// through the session and the supervisor.
/// </summary>
public sealed class RuntimeControlTests : SessionTestKit
{
    private readonly ITestOutputHelper _output;

    public RuntimeControlTests(ITestOutputHelper output) : base(output) => _output = output;

    [Fact]
    public async Task Server_details_are_typed_from_the_initialize_response_of_the_real_cli()
    {
        var session = await StartRealAsync();

        var details = await session.GetServerDetailsAsync();
        Assert.Matches(@"^\d+\.\d+\.\d+", details.CliVersion);
        Assert.Contains(details.Models, m => m.Value == "sonnet" || m.ResolvedModel?.StartsWith("claude-sonnet", StringComparison.Ordinal) == true);
        Assert.NotEmpty(details.Commands);
        Assert.All(details.Commands, c => Assert.False(string.IsNullOrWhiteSpace(c.Name)));
        Assert.Equal("ANTHROPIC_API_KEY", (await session.GetAccountInfoAsync())?.ApiKeySource);
        Assert.Equal(details.Agents, await session.GetSupportedAgentsAsync());
        Assert.Equal("default", details.PermissionMode);
        Assert.True(await session.IsAliveAsync());

        await session.StopAsync();
        Assert.False(await session.IsAliveAsync());
    }

    [Fact]
    public async Task Mcp_context_thinking_and_raw_controls_reach_the_real_cli()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement;
        var server = new SdkMcpServer("clock", [new SdkTool("now", "The time", schema,
            CallbackHandler.Delegate<ToolCall, ToolCallResult>((_, _) => Task.FromResult(new ToolCallResult("noon"))))]);
        var session = await StartRealAsync(o => o with { Callbacks = new() { McpServers = [server] } });

        await session.ToggleMcpServerAsync("clock", enabled: false);
        Assert.Equal("disabled", ServerStatus((await session.GetMcpStatusAsync())!.Value, "clock"));
        await session.ToggleMcpServerAsync("clock", enabled: true);
        Assert.Equal("connected", ServerStatus((await session.GetMcpStatusAsync())!.Value, "clock"));

        var set = await session.SetMcpServersAsync(new Dictionary<string, JsonElement>
        {
            ["broken"] = JsonDocument.Parse("""{"type":"stdio","command":"/bin/false"}""").RootElement,
        });
        Assert.Equal(["broken"], set!.Value.GetProperty("added").EnumerateArray().Select(e => e.GetString()));
        Assert.True(set.Value.GetProperty("errors").TryGetProperty("broken", out _), set.Value.ToString()); // /bin/false is no MCP server
        var afterSet = (await session.GetMcpStatusAsync())!.Value;
        Assert.Equal("failed", ServerStatus(afterSet, "broken"));
        Assert.Equal("connected", ServerStatus(afterSet, "clock")); // the session's in-process server was kept

        var reconnect = await Assert.ThrowsAsync<ControlRequestFailedException>(() => session.ReconnectMcpServerAsync("no-such-server"));
        Assert.Contains("no-such-server", reconnect.Message);
        await Assert.ThrowsAsync<InvalidSessionRequestException>(() => session.ReconnectMcpServerAsync(" "));

        var usage = (await session.GetContextUsageAsync())!.Value;
        Assert.True(usage.GetProperty("totalTokens").GetInt32() > 0);
        Assert.True(usage.GetProperty("maxTokens").GetInt32() >= usage.GetProperty("totalTokens").GetInt32());
        Assert.Contains(usage.GetProperty("categories").EnumerateArray(), c => c.GetProperty("id").GetString() == "system_prompt");

        await session.SetMaxThinkingTokensAsync(2048);
        await session.SetMaxThinkingTokensAsync(null);
        await Assert.ThrowsAsync<InvalidSessionRequestException>(() => session.SetMaxThinkingTokensAsync(-1));
        await session.StopTaskAsync("no-such-task"); // the CLI accepts a task that has already ended

        // Raw requests: the CLI's own error for a subtype it does not know; the session's refusal for one it manages.
        var unknown = await Assert.ThrowsAsync<ControlRequestFailedException>(() => session.SendControlRequestAsync("no_such_request"));
        Assert.Contains("no_such_request", unknown.Message);
        await Assert.ThrowsAsync<InvalidSessionRequestException>(() => session.SendControlRequestAsync("set_model"));
        var viaRaw = (await session.SendControlRequestAsync("get_context_usage", JsonDocument.Parse("""{"detail":"summary"}""").RootElement))!.Value;
        Assert.True(viaRaw.GetProperty("totalTokens").GetInt32() > 0);

        // None of it restarted the CLI, and the session still answers.
        Assert.Equal(0, (await session.GetInfoAsync()).RestartCount);
        Assert.Equal("Echo: hi", await session.FinalTextAsync("hi"));
    }

    [Fact]
    public async Task Restart_on_request_resumes_the_conversation_on_a_new_real_cli()
    {
        var session = await StartRealAsync();
        Assert.Equal("OK, I will remember the code.", await session.FinalTextAsync("Remember: the code is 4711"));
        var before = await session.GetInfoAsync();

        var after = await session.RestartAsync();

        Assert.Equal(SessionStatus.Ready, after.Status);
        Assert.Equal(before.SessionId, after.SessionId);
        Assert.Equal(1, after.RestartCount);
        Assert.NotEqual(before.CliProcessId, after.CliProcessId);
        Assert.False(ProcessTable.IsAlive(before.CliProcessId!.Value), "the old CLI is still running");
        Assert.Equal("The code is 4711.", await session.FinalTextAsync("What was the code?"));
    }

    [Fact]
    public async Task Restart_fails_a_running_turn_as_interrupted_runs_the_queued_one_and_the_supervisor_counts_and_restarts_by_name()
    {
        var session = await StartFakeAsync(o => o with { Name = "restartable" });
        await StartFakeAsync(o => o with { Name = "bystander" });
        var sessions = new ClaudeSessionsClient(Sys);
        var count = await sessions.CountAsync();
        Assert.Equal(2, count.Total);
        Assert.Equal(2, count.ByStatus[SessionStatus.Ready]);

        var running = session.FinalTextAsync("[slow:500] Say exactly: too late");
        await AwaitAssertAsync(async () => Assert.Equal(SessionStatus.Busy, (await session.GetInfoAsync()).Status));
        Assert.Equal(1, (await sessions.CountAsync()).ByStatus[SessionStatus.Busy]);
        var queued = session.FinalTextAsync("My name is Kim");
        var restarted = await session.RestartAsync();

        await Assert.ThrowsAsync<QueryInterruptedException>(() => running);
        Assert.Equal("Nice to meet you, Kim.", await queued);
        Assert.Equal(1, restarted.RestartCount);

        var byName = await sessions.RestartAsync("bystander");
        Assert.Equal(1, byName.RestartCount);
        Assert.Equal(SessionStatus.Ready, byName.Status);
        await Assert.ThrowsAsync<SessionNotFoundException>(() => sessions.RestartAsync("nobody"));
        Assert.Equal(2, Sandbox.LiveProcesses().Count);
    }

    private static string? ServerStatus(JsonElement mcpStatus, string name) =>
        mcpStatus.GetProperty("mcpServers").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name).GetProperty("status").GetString();
}
