using System.Text.Json.Nodes;
using ClaudeActors.Process;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using Xunit;

namespace ClaudeActors.Tests.Sessions;

/// <summary>What the CLI did, named as the failures callers switch on: captured lines, no process.</summary>
public sealed class FailureClassifierTests
{
    private static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private static ClaudeMessage Parse(string line) => MessageParser.Parse(line).Message!;

    private static string ResultLineOf(string fixture) =>
        File.ReadLines(Path.Combine(FixtureDir, fixture)).Single(l => Parse(l) is ResultMessage);

    private static ResultMessage ResultOf(string fixture) => (ResultMessage)Parse(ResultLineOf(fixture));

    private static SessionFailure FailureOf(object terminal) => Assert.IsType<QueryFailed>(terminal).Failure;

    [Fact]
    public void A_normal_result_completes_the_query()
    {
        var result = ResultOf("simple-turn.jsonl");
        var terminal = Assert.IsType<QueryCompleted>(FailureClassifier.TerminalFor("q", result, interruptRequested: false));
        Assert.Equal("q", terminal.QueryId);
        Assert.Same(result, terminal.Result);
    }

    [Fact]
    public void An_API_error_is_judged_by_is_error_although_its_subtype_says_success()
    {
        var result = ResultOf("api-error-turn.jsonl");
        Assert.Equal("success", result.Subtype);
        var failure = FailureOf(FailureClassifier.TerminalFor("q", result, interruptRequested: false));
        Assert.Equal(FailureKind.ApiError, failure.Kind);
        Assert.Equal("The turn failed: API Error: 400 Fake API error 400 (requested by directive)", failure.Message);
        Assert.Same(result, failure.Result);
    }

    [Fact]
    public void An_aborted_turn_is_an_interruption_whether_or_not_the_host_asked_for_it()
    {
        var result = ResultOf("interrupted-turn.jsonl");
        Assert.Equal(FailureKind.Interrupted, FailureOf(FailureClassifier.TerminalFor("q", result, interruptRequested: false)).Kind);
        var asked = FailureOf(FailureClassifier.TerminalFor("q", ResultOf("api-error-turn.jsonl"), interruptRequested: true));
        Assert.Equal(FailureKind.Interrupted, asked.Kind);
        Assert.Equal("The query was interrupted.", asked.Message);
    }

    [Theory]
    [InlineData("api_error_status", 401, "API Error: 401 invalid x-api-key")]
    [InlineData("api_error_status", null, "Invalid API key · Fix external API key")]
    [InlineData("api_error_status", null, "Not logged in · Please run /login")]
    [InlineData("api_error_status", null, "API Error: 401 {\"type\":\"error\",\"error\":{\"type\":\"authentication_error\"}}")]
    public void Refused_credentials_are_NotAuthenticated(string field, int? status, string text)
    {
        var line = JsonNode.Parse(ResultLineOf("api-error-turn.jsonl"))!.AsObject();
        line[field] = status;
        line["result"] = text;
        var failure = FailureOf(FailureClassifier.TerminalFor("q", (ResultMessage)Parse(line.ToJsonString()), interruptRequested: false));
        Assert.Equal(FailureKind.NotAuthenticated, failure.Kind);
        Assert.Equal("The turn failed: " + text, failure.Message);
    }

    [Fact]
    public void Without_a_result_text_the_errors_tell_what_failed()
    {
        var line = JsonNode.Parse(ResultLineOf("interrupted-turn.jsonl"))!.AsObject();
        line["terminal_reason"] = "max_turns";
        line["subtype"] = "error_max_turns";
        var failure = FailureOf(FailureClassifier.TerminalFor("q", (ResultMessage)Parse(line.ToJsonString()), interruptRequested: false));
        Assert.Equal(FailureKind.ApiError, failure.Kind);
        Assert.Equal("The turn failed: [ede_diagnostic] result_type=user last_content_type=n/a stop_reason=null", failure.Message);
    }

    [Fact]
    public void An_unreadable_result_line_still_ends_the_turn_as_a_protocol_error()
    {
        var unreadable = Parse("""{"type":"result","subtype":"success","is_error":"maybe","session_id":"s-1"}""");
        Assert.IsType<UnknownMessage>(unreadable);
        var result = CliLines.ResultOf(unreadable)!;
        Assert.True(result.IsError);
        Assert.Equal("s-1", result.SessionId);
        var failure = FailureOf(FailureClassifier.TerminalFor("q", result, interruptRequested: false));
        Assert.Equal(FailureKind.ProtocolError, failure.Kind);
        Assert.Null(CliLines.ResultOf(Parse("""{"type":"system","subtype":"status"}""")));
    }

    [Fact]
    public void An_authentication_retry_fails_the_turn_at_once_other_retries_do_not()
    {
        var refused = (SystemMessage)Parse("""{"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,"retry_delay_ms":500,"error_status":401,"error":"authentication_failed","session_id":"s"}""");
        Assert.Equal(FailureKind.NotAuthenticated, FailureClassifier.DuringTurn(refused)!.Kind);
        var overloaded = (SystemMessage)Parse("""{"type":"system","subtype":"api_retry","attempt":1,"error_status":529,"error":"overloaded","session_id":"s"}""");
        Assert.Null(FailureClassifier.DuringTurn(overloaded));
        var init = (SystemMessage)Parse(File.ReadLines(Path.Combine(FixtureDir, "simple-turn.jsonl")).First());
        Assert.Null(FailureClassifier.DuringTurn(init));
    }

    [Fact]
    public void A_CLI_that_exits_before_its_first_handshake_failed_to_start_later_it_crashed()
    {
        const string tail = "Error: Invalid session ID. Must be a valid UUID.";
        var atStart = FailureClassifier.ForCliEnd(new CliExited(1, tail), duringStartUp: true, []);
        Assert.Equal(FailureKind.CliStartFailed, atStart.Kind);
        Assert.Equal("The claude CLI exited during start-up.", atStart.Message);
        Assert.Equal(1, atStart.ExitCode);
        Assert.Equal(tail, atStart.StderrTail);

        var later = FailureClassifier.ForCliEnd(new CliExited(137, "Error parsing streaming input line"), duringStartUp: false, []);
        Assert.Equal(FailureKind.CliCrashed, later.Kind);
        Assert.Equal("The claude CLI process exited unexpectedly.", later.Message);
        Assert.Equal(137, later.ExitCode);
    }

    [Fact]
    public void A_CLI_that_never_started_or_stopped_without_a_word_and_what_it_printed_instead_of_JSON()
    {
        var missing = FailureClassifier.ForCliEnd(new CliStartFailed("The working directory '/nope' does not exist."), duringStartUp: true, []);
        Assert.Equal(FailureKind.CliStartFailed, missing.Kind);
        Assert.Equal("The working directory '/nope' does not exist.", missing.Message);
        Assert.Null(missing.ExitCode);

        var silent = FailureClassifier.ForCliEnd(null, duringStartUp: false, ["No conversation found with session ID: 42", "bye"]);
        Assert.Equal(FailureKind.CliCrashed, silent.Kind);
        Assert.Equal("The claude CLI process actor stopped. The CLI said: No conversation found with session ID: 42 | bye", silent.Message);
    }
}
