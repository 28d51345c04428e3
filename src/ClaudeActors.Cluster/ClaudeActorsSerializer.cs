using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using ClaudeActors.History;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;

namespace ClaudeActors.Cluster;

/// <summary>
/// One serializer for every ClaudeActors message that crosses a node or enters the journal: System.Text.Json
/// with short, stable manifests (renaming a C# type never breaks a stored event). Protocol messages travel as
/// the CLI's own JSON and are parsed again on arrival; actor refs travel as their serialised paths.
/// </summary>
internal sealed class ClaudeActorsSerializer : SerializerWithStringManifest
{
    public const int SerializerId = 7311;

    internal static readonly IReadOnlyDictionary<string, Type> Manifests = new Dictionary<string, Type>
    {
        ["q"] = typeof(Query), ["qm"] = typeof(QueryMessage), ["qc"] = typeof(QueryCompleted), ["qf"] = typeof(QueryFailed),
        ["qa"] = typeof(QueryAck), ["qx"] = typeof(CancelQuery), ["int"] = typeof(Interrupt), ["sm"] = typeof(SetModel), ["spm"] = typeof(SetPermissionMode),
        ["mcp"] = typeof(GetMcpStatus), ["rw"] = typeof(RewindFiles), ["cr"] = typeof(ControlResult), ["gsi"] = typeof(GetServerInfo),
        ["gid"] = typeof(GetSessionId), ["sid"] = typeof(SessionIdReply), ["gc"] = typeof(GetConversation), ["cres"] = typeof(ConversationResult),
        ["ginfo"] = typeof(GetSessionInfo), ["ar"] = typeof(AwaitReady), ["ssf"] = typeof(SessionStartFailed), ["clr"] = typeof(ClearSession),
        ["cld"] = typeof(SessionCleared), ["stop"] = typeof(StopSession), ["info"] = typeof(SessionInfo), ["ssc"] = typeof(SessionStatusChanged),
        ["ce"] = typeof(CreateSessionEntity), ["cea"] = typeof(SessionEntityCreated), ["te"] = typeof(TerminateSessionEntity),
        ["tea"] = typeof(SessionEntityTerminated), ["pe"] = typeof(PassivateSessionEntity), ["peu"] = typeof(PassivateIfUnused), ["rej"] = typeof(SessionEntityRejected),
        ["dir"] = typeof(SessionDirectoryEntry),
        ["mcpr"] = typeof(ReconnectMcpServer), ["mcpt"] = typeof(ToggleMcpServer), ["mcps"] = typeof(SetMcpServers),
        ["stt"] = typeof(StopTask), ["ctx"] = typeof(GetContextUsage), ["think"] = typeof(SetMaxThinkingTokens),
        ["ctl"] = typeof(SendControlRequest), ["rs"] = typeof(RestartSession),
        ["ev-created"] = typeof(SessionCreatedEvent), ["ev-id"] = typeof(SessionIdRecordedEvent),
        ["ev-tx"] = typeof(TranscriptAppendedEvent), ["snap"] = typeof(SessionEntitySnapshot),
    };

    private static readonly Dictionary<Type, string> ManifestByType = Manifests.ToDictionary(kv => kv.Value, kv => kv.Key);

    private readonly JsonSerializerOptions _json;

    public ClaudeActorsSerializer(ExtendedActorSystem system) : base(system)
    {
        _json = new JsonSerializerOptions
        {
            Converters = { new ActorRefConverter(system), new ClaudeMessageConverter(), new JsonStringEnumConverter() },
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
    }

    public override int Identifier => SerializerId;

    public override string Manifest(object o) =>
        ManifestByType.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType()} is not a ClaudeActors message.");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _json);

    public override object FromBinary(byte[] bytes, string manifest) =>
        Manifests.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, _json) ?? throw new SerializationException($"Empty payload for {manifest}.")
            : throw new SerializationException($"Unknown ClaudeActors manifest '{manifest}'.");

    private sealed class ActorRefConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override IActorRef? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetString() is { } path ? system.Provider.ResolveActorRef(path) : null;

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Serialization.SerializedActorPath(value));
    }

    private sealed class ClaudeMessageConverter : JsonConverter<ClaudeMessage>
    {
        public override bool CanConvert(Type typeToConvert) => typeof(ClaudeMessage).IsAssignableFrom(typeToConvert);

        public override ClaudeMessage? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var raw = JsonElement.ParseValue(ref reader);
            var parsed = MessageParser.Parse(System.Text.Encoding.UTF8.GetBytes(raw.GetRawText()));
            return parsed.Message ?? new UnknownMessage("", raw);
        }

        public override void Write(Utf8JsonWriter writer, ClaudeMessage value, JsonSerializerOptions options) =>
            MessageJson.ToNode(value).WriteTo(writer);
    }
}
