using System.Text;
using ClaudeActors.Protocol;
using Xunit;

namespace ClaudeActors.Tests.Protocol;

public sealed class MessageParserTests
{
    private static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static TheoryData<string> FixtureFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(FixtureDir, "*.jsonl").Order())
            if (!Path.GetFileName(file).StartsWith("transcript", StringComparison.Ordinal)) data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void Every_captured_cli_line_parses_to_its_typed_message(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(FixtureDir, file)).Where(l => l.Length > 0).ToList();
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            var parsed = MessageParser.Parse(line);
            Assert.True(parsed.IsSuccess, $"{file}: {parsed.Error}: {line[..Math.Min(200, line.Length)]}");
            var type = System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("type").GetString();
            Assert.Equal(type, parsed.Message!.Type);
            var expected = type switch
            {
                "system" => typeof(SystemMessage),
                "assistant" => typeof(AssistantMessage),
                "user" => typeof(UserMessage),
                "result" => typeof(ResultMessage),
                "stream_event" => typeof(StreamEventMessage),
                "control_request" => typeof(ControlRequestMessage),
                "control_response" => typeof(ControlResponseMessage),
                "control_cancel_request" => typeof(ControlCancelRequestMessage),
                _ => typeof(UnknownMessage),
            };
            Assert.IsType(expected, parsed.Message);
        }
    }

    [Fact]
    public void A_result_line_with_type_far_from_the_start_is_read_whole()
    {
        const string line = """{"duration_api_ms":12,"duration_ms":30,"is_error":true,"num_turns":1,"result":"API Error: 400 bad","session_id":"7d3c2f6e-1c7e-4b7a-9a56-0a5d2b8c9e10","total_cost_usd":0.0012,"usage":{"input_tokens":5,"output_tokens":7},"subtype":"success","api_error_status":400,"terminal_reason":"api_error","type":"result"}""";
        var result = Assert.IsType<ResultMessage>(MessageParser.Parse(line).Message);
        Assert.True(result.IsError);
        Assert.Equal("success", result.Subtype);
        Assert.Equal(400, result.ApiErrorStatus);
        Assert.Equal(7, result.Usage!.OutputTokens);
        Assert.Equal(0.0012m, result.TotalCostUsd);
    }

    [Fact]
    public void Content_blocks_with_type_last_and_unknown_blocks_are_kept()
    {
        const string line = """{"type":"assistant","session_id":"s","message":{"role":"assistant","content":[{"text":"hi","type":"text"},{"data":"xyz","type":"redacted_thinking"},{"id":"t1","name":"Bash","input":{"command":"ls"},"type":"tool_use"}]}}""";
        var message = Assert.IsType<AssistantMessage>(MessageParser.Parse(line).Message);
        Assert.Collection(message.Message.Content,
            b => Assert.Equal("hi", Assert.IsType<TextBlock>(b).Text),
            b => Assert.Equal("redacted_thinking", Assert.IsType<UnknownBlock>(b).Type),
            b => Assert.Equal("ls", Assert.IsType<ToolUseBlock>(b).Input.GetProperty("command").GetString()));
    }

    [Fact]
    public void Unknown_types_subtypes_and_fields_are_surfaced_not_fatal()
    {
        var unknown = Assert.IsType<UnknownMessage>(MessageParser.Parse("""{"x":1,"type":"rate_limit_event"}""").Message);
        Assert.Equal("rate_limit_event", unknown.Type);
        Assert.Equal(1, unknown.Raw.GetProperty("x").GetInt32());

        var system = Assert.IsType<SystemMessage>(MessageParser.Parse("""{"type":"system","subtype":"brand_new","novel":true}""").Message);
        Assert.Equal("brand_new", system.Subtype);
        Assert.True(system.ExtensionData!["novel"].GetBoolean());

        var typeless = Assert.IsType<UnknownMessage>(MessageParser.Parse("""{"hello":"world"}""").Message);
        Assert.Equal("", typeless.Type);
    }

    [Fact]
    public void A_known_type_with_an_unexpected_shape_is_kept_raw()
    {
        var parsed = MessageParser.Parse("""{"type":"assistant","message":"not an object"}""");
        Assert.Equal("assistant", Assert.IsType<UnknownMessage>(parsed.Message).Type);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{"type":"assistant","message":{"role":""")]
    [InlineData("[1,2,3]")]
    [InlineData("")]
    public void Lines_that_are_not_json_objects_are_reported(string line)
    {
        var parsed = MessageParser.Parse(line);
        Assert.False(parsed.IsSuccess);
        Assert.NotNull(parsed.Error);
    }

    [Fact]
    public void Invalid_utf8_is_tolerated()
    {
        static byte[] WithInvalidUtf8(string json)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            var at = Array.IndexOf(bytes, (byte)'#');
            bytes[at] = 0xC3;
            bytes[at + 1] = 0x28;
            return bytes;
        }

        // A field the typed model reads cannot be decoded: the line is still surfaced, raw.
        var inSubtype = MessageParser.Parse(WithInvalidUtf8("""{"type":"system","subtype":"x#_"}"""));
        Assert.Equal("system", Assert.IsType<UnknownMessage>(inSubtype.Message).Type);

        var inExtra = MessageParser.Parse(WithInvalidUtf8("""{"type":"system","subtype":"init","note":"#_"}"""));
        Assert.Equal("init", Assert.IsType<SystemMessage>(inExtra.Message).Subtype);
    }

    [Fact]
    public void User_content_as_a_string_becomes_one_text_block()
    {
        var user = Assert.IsType<UserMessage>(MessageParser.Parse("""{"type":"user","message":{"role":"user","content":"plain"},"isReplay":true,"uuid":"u1"}""").Message);
        Assert.Equal("plain", Assert.IsType<TextBlock>(Assert.Single(user.Message.Content)).Text);
        Assert.True(user.IsReplay);
        Assert.Equal("u1", user.Uuid);
    }

    [Fact]
    public void Stream_event_text_deltas_are_exposed()
    {
        var ev = Assert.IsType<StreamEventMessage>(MessageParser.Parse("""{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"He"}},"session_id":"s"}""").Message);
        Assert.Equal("He", ev.TextDelta);
        Assert.Null(ev.ThinkingDelta);
    }

    [Fact]
    public void Outbound_user_lines_escape_caller_text_into_one_json_line()
    {
        var frame = OutboundFrames.UserText("line one\nline \"two\"\0 end");
        Assert.Equal((byte)'\n', frame[^1]);
        Assert.Equal(1, frame.Count(b => b == (byte)'\n'));
        using var doc = System.Text.Json.JsonDocument.Parse(frame.AsMemory(0, frame.Length - 1));
        Assert.Equal("user", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal("line one\nline \"two\"\0 end", doc.RootElement.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, doc.RootElement.GetProperty("parent_tool_use_id").ValueKind);
    }
}
