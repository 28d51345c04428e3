using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using ClaudeActors.Cluster;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using ClaudeActors.Testing;
using Xunit;

namespace ClaudeActors.Tests.Cluster;

/// <summary>
/// The cluster serializer is bound to <see cref="IClaudeActorsMessage"/>: every marked type must have a manifest
/// (else it would fail at the first send, or — without the binding — fall back to another serializer silently), and
/// what it writes must read back equal.
/// </summary>
public sealed class SerializerTests() : TestKit(BindingConfig())
{
    private static Config BindingConfig() => ConfigurationFactory.ParseString($$"""
        akka.actor.serializers.claude-actors = "{{typeof(ClaudeActorsSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "{{typeof(IClaudeActorsMessage).AssemblyQualifiedName}}" = claude-actors }
        akka.actor.serialization-identifiers { "{{typeof(ClaudeActorsSerializer).AssemblyQualifiedName}}" = {{ClaudeActorsSerializer.SerializerId}} }
        """);

    [Fact]
    public void Every_marked_message_has_a_manifest_and_every_manifest_a_marked_message()
    {
        var marked = new[] { typeof(IClaudeActorsMessage).Assembly, typeof(ClaudeActorsSerializer).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IClaudeActorsMessage).IsAssignableFrom(t))
            .ToHashSet();
        var manifested = ClaudeActorsSerializer.Manifests.Values.ToHashSet();
        Assert.Empty(marked.Except(manifested).Select(t => t.Name));
        Assert.Empty(manifested.Except(marked).Select(t => t.Name));
        Assert.True(marked.Count > 40, $"{marked.Count} marked types");
    }

    [Fact]
    public void The_marker_binding_picks_the_claude_actors_serializer_for_every_marked_type()
    {
        foreach (var type in ClaudeActorsSerializer.Manifests.Values)
            Assert.IsType<ClaudeActorsSerializer>(Sys.Serialization.FindSerializerForType(type));
    }

    [Fact]
    public void Messages_that_cross_nodes_or_enter_the_journal_read_back_equal()
    {
        var probe = CreateTestProbe();
        var samples = new object[]
        {
            new Query("hello") { ReplyTo = probe.Ref, AckWindow = 256, Timeout = TimeSpan.FromSeconds(3), StreamMessages = false },
            new QueryFailed("q1", new SessionFailure(FailureKind.ApiError, "overloaded")),
            new SessionInfo("alpha", "11111111-2222-3333-4444-555555555555", SessionStatus.Busy, "sonnet", DateTimeOffset.UnixEpoch, 2, 1, 4242, null),
            new SessionDirectoryEntry("alpha", "akka.tcp://sys@127.0.0.1:4053", SessionStatus.Ready, "id", false, DateTimeOffset.UnixEpoch, "sonnet", 3, 0.25m),
            new SessionIdRecordedEvent("id-1"),
            new TranscriptAppendedEvent("id-1", 42, "{\"type\":\"user\"}\n"),
            new CreateSessionEntity(new SessionOptions { Name = "alpha", Model = "sonnet", AllowedTools = ["Read"] }, ReturnExisting: true),
            GetSessionInfo.Instance,
        };
        foreach (var sample in samples)
        {
            var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(sample);
            var back = serializer.FromBinary(serializer.ToBinary(sample), serializer.Manifest(sample));
            if (sample is CreateSessionEntity create)
            {
                var read = Assert.IsType<CreateSessionEntity>(back);
                Assert.Equal(create.Options.Name, read.Options.Name);
                Assert.Equal(create.Options.AllowedTools, read.Options.AllowedTools);
                Assert.True(read.ReturnExisting);
            }
            else Assert.Equal(sample, back);
        }

        // A protocol message travels as the CLI's own JSON and is parsed again on arrival.
        var message = new QueryMessage("q1", ClaudeMessages.Text("Hi Alice"));
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);
        var arrived = Assert.IsType<QueryMessage>(s.FromBinary(s.ToBinary(message), s.Manifest(message)));
        Assert.Equal("Hi Alice", Assert.IsType<TextBlock>(Assert.IsType<AssistantMessage>(arrived.Message).Message.Content.Single()).Text);
    }
}
