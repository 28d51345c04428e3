using System.Text.Json;
using Akka.TestKit.Xunit2;
using ClaudeActors.AI;
using ClaudeActors.Client;
using ClaudeActors.Testing;
using Microsoft.Agents.AI;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.AI;

/// <summary>The agent's sessions over scripted sessions (no CLI): what is started, serialized, resumed and terminated.</summary>
public sealed class AgentStubTests(ITestOutputHelper output) : TestKit("akka.loglevel = INFO", output)
{
    private static readonly SessionOptions Template = new() { Name = "helper", Model = "sonnet" };

    [Fact]
    public async Task A_new_agent_session_is_a_started_named_session_and_serializes_to_its_name_and_id()
    {
        var sessions = new StubSessions(Sys);
        var agent = sessions.CreateAIAgent(Template, description: "Helps");
        Assert.Equal("helper", agent.Name);
        Assert.Equal("Helps", agent.Description);

        var session = Assert.IsType<ClaudeAgentSession>(await agent.CreateSessionAsync());
        var started = Assert.Single(sessions.Started);
        Assert.Equal(session.SessionName, started.Name);
        Assert.Matches("^helper-[0-9a-f]{32}$", session.SessionName);
        Assert.Equal("sonnet", started.Model);
        Assert.Equal(sessions.Script(session.SessionName).SessionId, session.SessionId);

        var response = await agent.RunAsync("Hello", session);
        Assert.Equal("Echo: Hello", response.Text);
        Assert.Equal(agent.Id, response.AgentId);

        var state = await agent.SerializeSessionAsync(session);
        Assert.Equal(session.SessionName, state.GetProperty("sessionName").GetString());
        Assert.Equal(session.SessionId, state.GetProperty("sessionId").GetString());
        Assert.True(state.GetProperty("resumable").GetBoolean());
        Assert.DoesNotContain("sonnet", state.GetRawText()); // a reference, not the options
    }

    [Fact]
    public async Task A_deserialized_session_reaches_the_running_session_or_resumes_it_where_none_runs()
    {
        var firstHost = new StubSessions(Sys);
        var agent = firstHost.CreateAIAgent(Template with { Environment = new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "sk-secret" } });
        var session = (ClaudeAgentSession)await agent.CreateSessionAsync("support-42");
        await agent.RunAsync("one", session);
        var state = await agent.SerializeSessionAsync(session);
        Assert.DoesNotContain("sk-secret", state.GetRawText());

        // The same host: the running session takes the run.
        var again = (ClaudeAgentSession)await agent.DeserializeSessionAsync(state);
        await agent.RunAsync("two", again);
        Assert.Equal(["one", "two"], firstHost.Script("support-42").ReceivedPrompts);

        // A host that runs no such session starts it from the template, resuming the stored id.
        var secondHost = new StubSessions(Sys);
        var secondAgent = secondHost.CreateAIAgent(Template);
        var moved = (ClaudeAgentSession)await secondAgent.DeserializeSessionAsync(state);
        Assert.Empty(secondHost.Started); // found or started at the run, not before
        var streamed = new List<AgentResponseUpdate>();
        await foreach (var update in secondAgent.RunStreamingAsync("three", moved)) streamed.Add(update);

        var resumed = Assert.Single(secondHost.Started);
        Assert.Equal("support-42", resumed.Name);
        Assert.Equal(session.SessionId, resumed.Resume);
        Assert.Equal("Echo: three", string.Concat(streamed.Select(u => u.Text)));
        Assert.All(streamed, u => Assert.Equal(secondAgent.Id, u.AgentId));
        Assert.Equal(session.SessionId, moved.SessionId);
    }

    [Fact]
    public async Task A_session_that_never_ran_a_turn_is_started_afresh_not_resumed()
    {
        var firstHost = new StubSessions(Sys);
        var first = firstHost.CreateAIAgent(Template);
        var state = await first.SerializeSessionAsync(await first.CreateSessionAsync("never-ran"));
        Assert.False(state.GetProperty("resumable").GetBoolean());

        var secondHost = new StubSessions(Sys);
        var agent = secondHost.CreateAIAgent(Template);
        await agent.RunAsync("first words", await agent.DeserializeSessionAsync(state));

        Assert.Null(Assert.Single(secondHost.Started).Resume);
    }

    [Fact]
    public async Task A_run_without_a_session_uses_a_session_of_its_own_and_terminates_it()
    {
        var sessions = new StubSessions(Sys);
        var agent = sessions.CreateAIAgent(Template);

        var response = await agent.RunAsync("alone");

        Assert.Equal("Echo: alone", response.Text);
        var name = Assert.Single(sessions.Started).Name!;
        Assert.Equal([name], sessions.Terminated);
    }

    [Fact]
    public async Task Foreign_sessions_and_malformed_state_are_refused()
    {
        var sessions = new StubSessions(Sys);
        var agent = sessions.CreateAIAgent(Template);
        var other = sessions.CreateAIAgent(Template);
        var session = await other.CreateSessionAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => agent.RunAsync("x", session));
        foreach (var json in new[] { "{}", """{"sessionName":""}""", """{"sessionName":"a/b"}""", """{"sessionName":"ok","sessionId":"../etc"}""", "[]" })
            await Assert.ThrowsAsync<ArgumentException>(() => agent.DeserializeSessionAsync(JsonDocument.Parse(json).RootElement).AsTask());
        Assert.Throws<ArgumentException>(() => sessions.CreateAIAgent(Template with { SessionId = SessionIds.New() }));
    }

    [Fact]
    public async Task The_state_bag_of_context_providers_survives_serialization()
    {
        var sessions = new StubSessions(Sys);
        var agent = sessions.CreateAIAgent(Template);
        var session = await agent.CreateSessionAsync();
        session.StateBag.SetValue("memory", "likes tea");

        var restored = await agent.DeserializeSessionAsync(await agent.SerializeSessionAsync(session));

        Assert.Equal("likes tea", restored.StateBag.GetValue<string>("memory"));
        Assert.Equal("claude-code", agent.GetService<AIAgentMetadata>()!.ProviderName);
        Assert.Same(sessions, agent.GetService<IClaudeSessions>());
    }
}
