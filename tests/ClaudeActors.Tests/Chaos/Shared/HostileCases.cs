using System.Diagnostics;
using System.Text;
using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Protocol;
using ClaudeActors.Sessions;
using ClaudeActors.Supervision;

namespace ClaudeActors.Tests.Chaos;

/// <summary>A case did not end as the product promises; the message says what happened instead.</summary>
public sealed class HostileFailure(string message) : Exception(message);

/// <summary>One hostile input: where it comes from, what it is, what must happen, and the code that tries it.</summary>
/// <param name="Id">Stable id (C = from the CLI, S = scripted CLI, K = from callers, G = configuration).</param>
/// <param name="Source">cli / script / caller / config.</param>
/// <param name="Input">What is done.</param>
/// <param name="Expected">What the product promises.</param>
/// <param name="Run">Runs the case; returns what was observed; throws <see cref="HostileFailure"/> when the promise is broken.</param>
public sealed record HostileCase(string Id, string Source, string Input, string Expected, Func<HostileContext, Task<string>> Run);

/// <summary>The result of one case, with what the healthy session beside it saw meanwhile.</summary>
public sealed record HostileOutcome(HostileCase Case, bool Passed, string Observed, double ElapsedMs, int HealthyTurns,
    IReadOnlyList<string> HealthyProblems, int LeftoverProcesses);

/// <summary>Per-case sandbox and helpers; stops every session it started and checks no process is left.</summary>
public sealed class HostileContext : IAsyncDisposable
{
    private readonly List<ClaudeSession> _started = [];

    public HostileContext(ActorSystem system)
    {
        System = system;
        Sandbox = new ChaosSandbox(prefix: "ca-hostile-");
    }

    public ActorSystem System { get; }
    public ChaosSandbox Sandbox { get; }

    public SessionOptions Fake(string? name = null) => Sandbox.FakeCli(name);

    public SessionOptions Script(string name, ScriptSpec spec) => Sandbox.FakeCli() with { CliPath = ScriptCli.Write(Sandbox, name, spec) };

    public SessionOptions WithEnv(SessionOptions options, string key, string value) =>
        options with { Environment = new Dictionary<string, string>(options.Environment) { [key] = value } };

    public async Task<ClaudeSession> StartAsync(SessionOptions options)
    {
        var session = await ClaudeSession.StartAsync(System, options).ConfigureAwait(false);
        lock (_started) _started.Add(session);
        return session;
    }

    public static void Check(bool condition, string whatHappened)
    {
        if (!condition) throw new HostileFailure(whatHappened);
    }

    /// <summary>Awaits <paramref name="action"/> and returns the exception it must throw.</summary>
    public static async Task<T> Throws<T>(Func<Task> action, TimeSpan? within = null) where T : Exception
    {
        var task = action();
        var limit = within ?? TimeSpan.FromSeconds(60);
        if (await Task.WhenAny(task, Task.Delay(limit)).ConfigureAwait(false) != task)
            throw new HostileFailure($"no answer within {limit.TotalSeconds:0} s (expected {typeof(T).Name})");
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (T expected)
        {
            return expected;
        }
        catch (Exception other)
        {
            throw new HostileFailure($"expected {typeof(T).Name}, got {other.GetType().Name}: {OneLine(other.Message)}");
        }
        throw new HostileFailure($"expected {typeof(T).Name}, but it succeeded");
    }

    public static async Task<T> Within<T>(Task<T> task, TimeSpan limit, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(limit)).ConfigureAwait(false) != task)
            throw new HostileFailure($"{what}: no answer within {limit.TotalSeconds:0} s");
        return await task.ConfigureAwait(false);
    }

    public static string OneLine(string text, int max = 160)
    {
        var line = text.Replace('\n', ' ').Replace('\r', ' ');
        return line.Length > max ? line[..max] + "…" : line;
    }

    /// <summary>Stops every session this case started and returns how many of its processes are still alive 10 s later.</summary>
    public async Task<int> StopAllAsync()
    {
        List<ClaudeSession> sessions;
        lock (_started) sessions = _started.ToList();
        await Task.WhenAll(sessions.Select(async s =>
        {
            try
            {
                await s.StopAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Already gone.
            }
        })).ConfigureAwait(false);
        await ChaosProcesses.WaitUntilAsync(() => Sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return Sandbox.LiveProcesses().Count;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAllAsync().ConfigureAwait(false);
        Sandbox.Dispose();
    }
}

/// <summary>The hostile inputs of the campaign (docs/reliability.md has the table).</summary>
public static class HostileCatalogue
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(10);

    /// <summary>K07's names: path separators.</summary>
    public static readonly string[] PathSeparatorNames = ["a/b", "..\\x", "../../etc"];

    /// <summary>K08's names: control characters.</summary>
    public static readonly string[] ControlCharacterNames = ["bell\u0007", "line\nbreak", "nul\0x", "tab\tx"];

    /// <summary>K10's names: Akka-reserved, surrounding blanks, empty.</summary>
    public static readonly string[] ReservedNames = ["$x", " lead", "trail ", ""];

    /// <summary>K09's accepted odd name starts so: unicode, <c>%2F</c>, spaces and dots.</summary>
    public const string OddName = "ünï cødé %2F.. 名前 ";

    /// <summary>Every hostile session name of the table (K07-K10), for other tests to reuse (the isolation layout's).</summary>
    public static IEnumerable<string> HostileSessionNames =>
        PathSeparatorNames.Concat(ControlCharacterNames).Concat(ReservedNames)
            .Append(new string('n', 5000)).Append(OddName.PadRight(200, '.'));

    private static void Check(bool condition, string whatHappened) => HostileContext.Check(condition, whatHappened);

    private static string Ms(Stopwatch watch) => $"{watch.Elapsed.TotalMilliseconds:0} ms";

    /// <summary>Runs one case beside the healthy loop, bounded by <paramref name="limit"/>.</summary>
    public static async Task<HostileOutcome> RunAsync(HostileCase c, ActorSystem system, ChaosHealthyLoop? healthy, TimeSpan limit)
    {
        healthy?.TakeWindow();
        var watch = Stopwatch.StartNew();
        bool passed;
        string observed;
        int leftover;
        await using (var context = new HostileContext(system))
        {
            try
            {
                var run = c.Run(context);
                if (await Task.WhenAny(run, Task.Delay(limit)).ConfigureAwait(false) != run)
                    throw new HostileFailure($"the case did not finish within {limit.TotalSeconds:0} s");
                observed = await run.ConfigureAwait(false);
                passed = true;
            }
            catch (HostileFailure failure)
            {
                observed = failure.Message;
                passed = false;
            }
            catch (Exception ex)
            {
                observed = $"unexpected {ex.GetType().Name}: {HostileContext.OneLine(ex.Message)}";
                passed = false;
            }
            leftover = await context.StopAllAsync().ConfigureAwait(false);
        }
        var window = healthy?.TakeWindow() ?? (0, [], 0);
        if (leftover > 0)
        {
            passed = false;
            observed += $"; {leftover} process(es) left after stop";
        }
        if (window.Problems.Count > 0)
        {
            passed = false;
            observed += "; healthy session: " + string.Join(" / ", window.Problems.Take(2));
        }
        return new HostileOutcome(c, passed, observed, watch.Elapsed.TotalMilliseconds, window.Turns, window.Problems, leftover);
    }

    /// <summary>Ids of the cases the smoke test runs (fast, and passing on a correct product).</summary>
    public static readonly string[] SmokeIds = ["C01", "C07", "C09", "S05", "S07", "S11", "K01", "K04", "K11", "G01"];

    public static IReadOnlyList<HostileCase> All { get; } = Build();

    public static HostileCase Get(string id) => All.Single(c => c.Id == id);

    private static List<HostileCase> Build() =>
    [
        // ---------------------------------------------------------------- from the CLI (fake CLI directives)
        new("C01", "cli", "`[garbage]`: a non-JSON line and a truncated JSON line on stdout before the turn",
            "lines skipped and reported; the turn completes; no restart", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                var text = await s.FinalTextAsync("[garbage] Say exactly: fine");
                Check(text == "fine", $"answer '{text}'");
                var info = await s.GetInfoAsync();
                Check(info.RestartCount == 0, $"{info.RestartCount} restarts");
                return "turn completed ('fine'), 0 restarts";
            }),
        new("C02", "cli", "`[unknown]`: an unknown message type, an unknown system subtype, an unknown content block with `type` last",
            "surfaced raw (UnknownMessage / UnknownBlock); the turn completes", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                var messages = new List<ClaudeMessage>();
                await foreach (var m in s.StreamAsync("[unknown] Say exactly: still fine")) messages.Add(m);
                Check(messages.Any(m => m is UnknownMessage { Type: "future_thing" }), "no UnknownMessage future_thing");
                Check(messages[^1] is ResultMessage { Result: "still fine" }, "no result 'still fine'");
                return $"{messages.Count} messages, UnknownMessage 'future_thing' surfaced, result ok";
            }),
        new("C03", "cli", "`[bigline:10000000]`: a 10 MB assistant line and a 10 MB result line",
            "delivered whole (limit 32 MiB)", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                var watch = Stopwatch.StartNew();
                var result = await s.QueryAsync("[bigline:10000000] big");
                Check(result.Result?.Length == 10_000_000, $"result of {result.Result?.Length} chars");
                return $"10 000 000-char result in {Ms(watch)}";
            }),
        new("C04", "cli", "`[bigline:34000000]`: assistant and result lines of 34 MB (over the 32 MiB line limit); query timeout 10 s",
            "lines dropped while they arrive (memory bounded) and reported; the caller gets a typed failure promptly (< 5 s, not only at its timeout); the session recovers", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake() with { Timeout = TimeSpan.FromSeconds(10) });
                var watch = Stopwatch.StartNew();
                var ex = await HostileContext.Throws<ClaudeSessionException>(() => s.QueryAsync("[bigline:34000000] huge"), TimeSpan.FromSeconds(40));
                var failedAfter = watch.Elapsed;
                watch.Restart();
                var after = await HostileContext.Within(s.FinalTextAsync("Say exactly: after", new QueryOptions { Timeout = TimeSpan.FromSeconds(60) }), TimeSpan.FromSeconds(60), "next query");
                var observed = $"{ex.Failure.Kind} after {failedAfter.TotalMilliseconds:0} ms; next query ok after {Ms(watch)}";
                Check(after == "after", $"next answer '{after}'");
                Check(failedAfter < TimeSpan.FromSeconds(5), observed + " (the dropped result line leaves the turn open until the query timeout)");
                return observed;
            }),
        new("C05", "cli", "`[stderr:1000000]`: 1 MB on stderr during a turn",
            "stderr drained continuously (no pipe stall); the turn completes", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                var watch = Stopwatch.StartNew();
                var text = await HostileContext.Within(s.FinalTextAsync("[stderr:1000000] Say exactly: loud"), Short, "turn");
                Check(text == "loud", $"answer '{text}'");
                return $"turn completed in {Ms(watch)}";
            }),
        new("C06", "cli", "`[flood:20000]`: 20 000 stream events as fast as possible, consumer reading",
            "every message delivered, in order", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake() with { IncludePartialMessages = true });
                var deltas = 0;
                ClaudeMessage? last = null;
                await foreach (var m in s.StreamAsync("[flood:20000] go"))
                {
                    if (m is StreamEventMessage { EventType: "content_block_delta" }) deltas++;
                    last = m;
                }
                Check(deltas == 20_000, $"{deltas} deltas");
                Check(last is ResultMessage, "last message is not the result");
                return "20 000 deltas + result";
            }),
        new("C07", "cli", "`[crash]`: the CLI exits (code 3) mid-turn, after `My name is Crash`",
            "the caller gets CliCrashed at once; the CLI restarts with --resume; the next turn remembers the name", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                await s.FinalTextAsync("My name is Crash");
                var watch = Stopwatch.StartNew();
                var ex = await HostileContext.Throws<CliCrashedException>(() => s.FinalTextAsync("[crash] die"), Short);
                var failedAfter = Ms(watch);
                var answer = await HostileContext.Within(s.FinalTextAsync("What is my name?"), Short, "question after the crash");
                Check(answer == "Your name is Crash!", $"after the crash: '{answer}'");
                Check(ex.Failure.ExitCode == 3, $"exit code {ex.Failure.ExitCode}");
                return $"CliCrashed (exit 3) after {failedAfter}; context kept after restart";
            }),
        new("C08", "cli", "`[exit:0]`: the CLI exits with code 0 mid-turn (no result)",
            "an unasked exit is a crash even with code 0: CliCrashed, restart", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                var ex = await HostileContext.Throws<CliCrashedException>(() => s.FinalTextAsync("[exit:0] bye"), Short);
                Check(ex.Failure.ExitCode == 0, $"exit code {ex.Failure.ExitCode}");
                var next = await HostileContext.Within(s.FinalTextAsync("Say exactly: back"), Short, "next");
                Check(next == "back", $"next '{next}'");
                return "CliCrashed (exit 0), next turn ok";
            }),
        new("C09", "cli", "`[hang]`: the CLI goes silent mid-turn; query timeout 2 s",
            "Timeout at 2 s; the turn is interrupted; the next query runs", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                var watch = Stopwatch.StartNew();
                await HostileContext.Throws<QueryTimeoutException>(() => s.FinalTextAsync("[hang] wait", new QueryOptions { Timeout = TimeSpan.FromSeconds(2) }), Short);
                var failedAfter = Ms(watch);
                watch.Restart();
                var next = await HostileContext.Within(s.FinalTextAsync("Say exactly: after"), Short, "next");
                Check(next == "after", $"next '{next}'");
                return $"Timeout after {failedAfter}; next query ok after {Ms(watch)}";
            }),
        new("C10", "cli", "`[hang]` + FAKE_CLAUDE_IGNORE_STDIN_EOF=1, then StopAsync",
            "the caller gets SessionStopped; stdin close → SIGTERM → SIGKILL; no process left (≤ ~8 s)", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.WithEnv(ctx.Fake(), "FAKE_CLAUDE_IGNORE_STDIN_EOF", "1"));
                var turn = s.FinalTextAsync("[hang] wait");
                await Task.Delay(300);
                var watch = Stopwatch.StartNew();
                await s.StopAsync();
                await HostileContext.Throws<SessionStoppedException>(() => turn, Short);
                var gone = await ChaosProcesses.WaitUntilAsync(() => ctx.Sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(15));
                Check(gone, "the CLI was still alive 15 s after StopAsync");
                return $"SessionStopped; CLI gone {Ms(watch)} after StopAsync";
            }),
        new("C11", "cli", "FAKE_CLAUDE_EXIT_ON_START=7: the CLI dies before the handshake",
            "StartAsync throws CliStartFailed with exit code 7 and the stderr tail", async ctx =>
            {
                var ex = await HostileContext.Throws<CliStartFailedException>(() => ctx.StartAsync(ctx.WithEnv(ctx.Fake(), "FAKE_CLAUDE_EXIT_ON_START", "7")));
                Check(ex.Failure.ExitCode == 7, $"exit code {ex.Failure.ExitCode}");
                Check(!string.IsNullOrWhiteSpace(ex.Failure.StderrTail), "no stderr tail");
                return "CliStartFailed, exit code 7, stderr tail present";
            }),
        new("C12", "cli", "FAKE_CLAUDE_INIT_DELAY_MS=5000 with ControlTimeout 1 s: the handshake never answers in time",
            "StartAsync throws CliStartFailed after ~1 s; the process is killed", async ctx =>
            {
                var watch = Stopwatch.StartNew();
                var options = ctx.WithEnv(ctx.Fake(), "FAKE_CLAUDE_INIT_DELAY_MS", "5000") with { ControlTimeout = TimeSpan.FromSeconds(1) };
                await HostileContext.Throws<CliStartFailedException>(() => ctx.StartAsync(options));
                return $"CliStartFailed after {Ms(watch)}";
            }),
        new("C13", "cli", "InterruptAsync during a streaming `[slow:200]` turn",
            "the stream keeps what arrived and ends with QueryInterrupted; the CLI is not killed; next turn ok", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake() with { IncludePartialMessages = true });
                var pid = (await s.GetInfoAsync()).CliProcessId;
                var deltas = 0;
                var ex = await HostileContext.Throws<QueryInterruptedException>(async () =>
                {
                    await foreach (var m in s.StreamAsync("[slow:200] one two three four five six seven eight nine ten"))
                        if (m is StreamEventMessage { TextDelta: not null } && ++deltas == 2)
                            _ = s.InterruptAsync();
                }, Short);
                var next = await s.FinalTextAsync("Say exactly: after");
                Check(next == "after", $"next '{next}'");
                Check((await s.GetInfoAsync()).CliProcessId == pid, "the CLI process changed");
                Check(deltas < 10, $"{deltas} deltas: not interrupted mid-turn");
                return $"QueryInterrupted after {deltas} deltas; same CLI process; next turn ok";
            }),

        // ---------------------------------------------------------------- scripted CLIs (bash)
        new("S01", "script", "after the handshake: a non-JSON line, raw control bytes, a truncated object, `[1,2,3]`, a JSON string, `null`, then a valid result",
            "each non-object line skipped and reported; the turn completes", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("garbage", new ScriptSpec
                {
                    Turn = """
                           sys_init
                           printf 'not json at all\n'
                           printf '\001\002\003 binary\n'
                           printf '{"type":"assistant","message":{"content":[{"type":"text","text":"trunc\n'
                           printf '[1,2,3]\n"just a string"\nnull\n'
                           result "survived"
                           """,
                }));
                var result = await HostileContext.Within(s.QueryAsync("go"), Short, "turn");
                Check(result.Result == "survived", $"result '{result.Result}'");
                return "6 bad lines skipped, turn completed";
            }),
        new("S02", "script", "a CLI that ignores SIGTERM, keeps a `sleep` child, and never exits after stdin closes; StopAsync",
            "stdin closed, SIGTERM after 3 s, SIGKILL to the process group after 2 s more: CLI and child gone", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("unkillable", new ScriptSpec
                {
                    Start = "trap '' TERM\nsleep 1000 &",
                    End = "while true; do sleep 1; done",
                }));
                await s.FinalTextAsync("hi");
                var before = ctx.Sandbox.LiveProcesses().Count;
                var watch = Stopwatch.StartNew();
                await s.StopAsync();
                var gone = await ChaosProcesses.WaitUntilAsync(() => ctx.Sandbox.LiveProcesses().Count == 0, TimeSpan.FromSeconds(15));
                Check(gone, $"{ctx.Sandbox.LiveProcesses().Count} process(es) alive 15 s after StopAsync");
                return $"{before} processes (script + sleep) gone {Ms(watch)} after StopAsync";
            }),
        new("S03", "script", "1 MB on stderr (10 000 lines) before answering initialize",
            "stderr drained; the handshake and a turn complete", async ctx =>
            {
                var watch = Stopwatch.StartNew();
                var s = await ctx.StartAsync(ctx.Script("stderr-start", new ScriptSpec
                {
                    Start = "for i in $(seq 1 10000); do echo \"stderr line $i padding padding padding padding padding padding padding padding pad\" >&2; done",
                }));
                var text = await HostileContext.Within(s.FinalTextAsync("go"), Short, "turn");
                Check(text == "scripted", $"answer '{text}'");
                return $"started and answered in {Ms(watch)}";
            }),
        new("S04", "script", "a single 10 MB assistant line (10 485 760 chars of text)",
            "delivered whole", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("bigline", new ScriptSpec
                {
                    Turn = "sys_init\nbig=$(head -c 10485760 /dev/zero | tr '\\0' 'x')\nassistant \"$big\"\nresult \"big-done\"",
                }));
                var texts = new List<int>();
                string? final = null;
                await foreach (var m in s.StreamAsync("go"))
                {
                    if (m is AssistantMessage a) texts.Add(a.Message.Content.OfType<TextBlock>().Sum(b => b.Text.Length));
                    if (m is ResultMessage r) final = r.Result;
                }
                Check(final == "big-done", $"result '{final}'");
                Check(texts.Contains(10_485_760), $"assistant text lengths {string.Join(",", texts)}");
                return "10 MB assistant line delivered, turn completed";
            }),
        new("S05", "script", "an assistant line with invalid UTF-8 bytes (0xFF 0xFE) inside a JSON string",
            "skipped or surfaced, never fatal; the turn completes", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("utf8", new ScriptSpec
                {
                    Turn = """
                           sys_init
                           printf '{"type":"assistant","message":{"id":"m","role":"assistant","content":[{"type":"text","text":"bad \377\376 utf8"}]},"session_id":"%s"}\n' "$sid"
                           result "utf8-done"
                           """,
                }));
                var messages = new List<ClaudeMessage>();
                await foreach (var m in s.StreamAsync("go")) messages.Add(m);
                Check(messages[^1] is ResultMessage { Result: "utf8-done" }, "no result");
                var assistant = messages.OfType<AssistantMessage>().FirstOrDefault();
                return assistant is null ? "line skipped as malformed; turn completed"
                    : $"surfaced as '{assistant.Message.Content.OfType<TextBlock>().FirstOrDefault()?.Text}'; turn completed";
            }),
        new("S06", "script", "`type` as the LAST key of the initialize response, system, assistant (and its content block) and result lines",
            "parsed as their types; the turn completes", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("typelast", new ScriptSpec
                {
                    Initialize = """printf '{"response":{"request_id":"%s","response":{"commands":[]},"subtype":"success"},"type":"control_response"}\n' "$rid" """,
                    Turn = """
                           printf '{"subtype":"init","session_id":"%s","model":"m","type":"system"}\n' "$sid"
                           printf '{"message":{"id":"m","role":"assistant","content":[{"text":"last","type":"text"}]},"session_id":"%s","type":"assistant"}\n' "$sid"
                           printf '{"subtype":"success","is_error":false,"result":"last","session_id":"%s","type":"result"}\n' "$sid"
                           """,
                }));
                var messages = new List<ClaudeMessage>();
                await foreach (var m in s.StreamAsync("go")) messages.Add(m);
                Check(messages.OfType<SystemMessage>().Any(m => m.IsInit), "no system/init");
                Check(messages.OfType<AssistantMessage>().Any(a => a.Message.Content.OfType<TextBlock>().Any(b => b.Text == "last")), "no assistant text block");
                Check(messages[^1] is ResultMessage { Result: "last" }, "no result");
                return "all four lines typed correctly";
            }),
        new("S07", "script", "duplicate control_response for initialize, a response for an unknown request_id, and every control request answered twice",
            "extra and unknown responses ignored; turns and SetModel work", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("dupcontrol", new ScriptSpec
                {
                    Initialize = "init_ok\ninit_ok\nrid=req_does_not_exist; control_ok",
                    Control = "control_ok\ncontrol_ok",
                    Turn = "printf '{\"type\":\"control_response\",\"response\":{\"subtype\":\"success\",\"request_id\":\"nope\",\"response\":{}}}\\n'\nok_turn dup-ok",
                }));
                var first = await HostileContext.Within(s.FinalTextAsync("go"), Short, "turn");
                await HostileContext.Within(s.SetModelAsync("whatever-model"), Short, "set_model");
                var second = await HostileContext.Within(s.FinalTextAsync("again"), Short, "turn 2");
                Check(first == "dup-ok" && second == "dup-ok", $"answers '{first}', '{second}'");
                Check((await s.GetInfoAsync()).RestartCount == 0, "restarted");
                return "duplicates and unknown ids ignored; 2 turns + set_model ok";
            }),
        new("S08", "script", "mid-turn the CLI sends a control_request with an unknown subtype and waits for the answer",
            "the host answers at once with an error response; the turn completes", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("unknownreq", new ScriptSpec
                {
                    Turn = """
                           sys_init
                           printf '{"type":"control_request","request_id":"cli_req_1","request":{"subtype":"future_request","x":1}}\n'
                           if IFS= read -r -t 10 answer; then
                             case "$answer" in *'"subtype":"error"'*cli_req_1*|*cli_req_1*'"subtype":"error"'*) result "answered-with-error";; *) result "unexpected-answer";; esac
                           else result "no-answer"; fi
                           """,
                }));
                var text = await HostileContext.Within(s.FinalTextAsync("go"), TimeSpan.FromSeconds(20), "turn");
                Check(text == "answered-with-error", $"the CLI saw: {text}");
                return "error response received by the CLI; turn completed";
            }),
        new("S09", "script", "a control_cancel_request for a request id that does not exist",
            "ignored; the turn completes", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("cancelunknown", new ScriptSpec
                {
                    Turn = "sys_init\nprintf '{\"type\":\"control_cancel_request\",\"request_id\":\"nope\"}\\n'\nresult cancel-ok",
                }));
                var text = await HostileContext.Within(s.FinalTextAsync("go"), Short, "turn");
                Check(text == "cancel-ok", $"answer '{text}'");
                return "ignored; turn completed";
            }),
        new("S10", "script", "a result line with no session_id (and no other fields but type/subtype/is_error/result)",
            "the turn completes; the session id is unchanged", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("nosid", new ScriptSpec
                {
                    Turn = "printf '{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"no-sid\"}\\n'",
                }));
                var before = await s.GetSessionIdAsync();
                var text = await HostileContext.Within(s.FinalTextAsync("go"), Short, "turn");
                var after = await s.GetSessionIdAsync();
                Check(text == "no-sid", $"answer '{text}'");
                Check(before == after && after is not null, $"session id {before} → {after}");
                return "turn completed; session id kept";
            }),
        new("S11", "script", "the CLI writes half a JSON line and exits 1 mid-turn (once)",
            "the partial line is reported; the caller gets CliCrashed; restart; next turn ok", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("midline", new ScriptSpec
                {
                    Turn = """
                           if [ ! -e "$0.once" ]; then touch "$0.once"; sys_init; printf '{"type":"assistant","message":{"content":[{"ty'; exit 1; fi
                           ok_turn after-crash
                           """,
                }));
                var ex = await HostileContext.Throws<CliCrashedException>(() => s.FinalTextAsync("go"), Short);
                var next = await HostileContext.Within(s.FinalTextAsync("again"), Short, "next");
                Check(next == "after-crash", $"next '{next}'");
                return $"CliCrashed (exit {ex.Failure.ExitCode}); next turn ok after restart";
            }),
        new("S12", "script", "the CLI answers initialize with an error response",
            "StartAsync throws CliStartFailed naming the refusal; no process left", async ctx =>
            {
                var ex = await HostileContext.Throws<CliStartFailedException>(() => ctx.StartAsync(ctx.Script("initrefused", new ScriptSpec
                {
                    Initialize = """printf '{"type":"control_response","response":{"subtype":"error","request_id":"%s","error":"nope, not today"}}\n' "$rid" """,
                })));
                Check(ex.Message.Contains("nope, not today", StringComparison.Ordinal), "refusal text missing: " + HostileContext.OneLine(ex.Message));
                return "CliStartFailed: " + HostileContext.OneLine(ex.Failure.Message, 90);
            }),
        new("S13", "script", "the CLI never answers initialize (ControlTimeout 1 s)",
            "StartAsync throws CliStartFailed after ~1 s; the script is killed", async ctx =>
            {
                var watch = Stopwatch.StartNew();
                await HostileContext.Throws<CliStartFailedException>(() => ctx.StartAsync(ctx.Script("initsilent", new ScriptSpec { Initialize = ":" })
                    with { ControlTimeout = TimeSpan.FromSeconds(1) }));
                return $"CliStartFailed after {Ms(watch)}";
            }),
        new("S14", "script", "a line of 300 nested JSON objects (over the parser's depth limit)",
            "skipped as malformed; the turn completes", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("deep", new ScriptSpec
                {
                    Turn = "sys_init\nprintf '{\"a\":%.0s' $(seq 1 300); printf '1'; printf '}%.0s' $(seq 1 300); printf '\\n'\nresult deep-ok",
                }));
                var text = await HostileContext.Within(s.FinalTextAsync("go"), Short, "turn");
                Check(text == "deep-ok", $"answer '{text}'");
                return "deep line skipped; turn completed";
            }),
        new("S15", "script", "every stdout line ends with CRLF",
            "the CR is trimmed; handshake and turn complete", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("crlf", new ScriptSpec
                {
                    Initialize = "init_ok | sed 's/$/\\r/'",
                    Turn = "ok_turn crlf-ok | sed 's/$/\\r/'",
                }));
                var text = await HostileContext.Within(s.FinalTextAsync("go"), Short, "turn");
                Check(text == "crlf-ok", $"answer '{text}'");
                return "turn completed";
            }),
        new("S16", "script", "mid-turn the CLI closes its stdout but stays alive (once)",
            "EOF + 5 s without exit: the process is killed, CliCrashed, restart, next turn ok", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("stdoutclosed", new ScriptSpec
                {
                    Turn = "if [ ! -e \"$0.once\" ]; then touch \"$0.once\"; sys_init; exec 1>&-; sleep 60; fi\nok_turn reopened",
                }));
                var watch = Stopwatch.StartNew();
                await HostileContext.Throws<CliCrashedException>(() => s.FinalTextAsync("go"), TimeSpan.FromSeconds(20));
                var failedAfter = Ms(watch);
                var next = await HostileContext.Within(s.FinalTextAsync("again"), Short, "next");
                Check(next == "reopened", $"next '{next}'");
                return $"CliCrashed after {failedAfter}; next turn ok";
            }),
        new("S17", "script", "a result line whose known fields have unexpected shapes (`\"num_turns\":null`, `\"duration_ms\":1.5`); query timeout 10 s",
            "the turn still ends (completed or a typed protocol error) when the result line arrives", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("badshape", new ScriptSpec
                {
                    Turn = """
                           sys_init
                           assistant "shape"
                           printf '{"type":"result","subtype":"success","is_error":false,"num_turns":null,"duration_ms":1.5,"result":"shape","session_id":"%s"}\n' "$sid"
                           """,
                }) with { Timeout = TimeSpan.FromSeconds(10) });
                var watch = Stopwatch.StartNew();
                var messages = new List<ClaudeMessage>();
                try
                {
                    await foreach (var m in s.StreamAsync("go")) messages.Add(m);
                }
                catch (ClaudeSessionException ex)
                {
                    var unknownResult = messages.OfType<UnknownMessage>().Any(m => m.Type == "result");
                    Check(ex.Failure.Kind != FailureKind.Timeout,
                        $"the result line was surfaced as UnknownMessage(result)={unknownResult} and the turn never ended: {ex.Failure.Kind} after {Ms(watch)}");
                    return $"{ex.Failure.Kind} after {Ms(watch)}";
                }
                return $"turn completed in {Ms(watch)}";
            }),
        new("S18", "script", "a stray result and assistant line before the handshake answer (outside any turn)",
            "ignored; the first query gets its own answer", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("stray", new ScriptSpec
                {
                    Initialize = "result stray\nassistant stray\ninit_ok",
                    Turn = "ok_turn mine",
                }));
                var text = await HostileContext.Within(s.FinalTextAsync("go"), Short, "turn");
                Check(text == "mine", $"answer '{text}'");
                return "stray lines ignored";
            }),
        new("S19", "script", "the CLI exits with code 0 right after the handshake (once), while idle",
            "restart with --resume; the next query runs on the new CLI", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("idleexit", new ScriptSpec
                {
                    Initialize = "init_ok\nif [ ! -e \"$0.once\" ]; then touch \"$0.once\"; exit 0; fi",
                    Turn = "ok_turn second-life",
                }));
                await Task.Delay(1500);
                var text = await HostileContext.Within(s.FinalTextAsync("go"), Short, "turn");
                var info = await s.GetInfoAsync();
                Check(text == "second-life", $"answer '{text}'");
                Check(info.RestartCount == 1, $"{info.RestartCount} restarts");
                return "1 restart; query answered";
            }),
        new("S20", "script", "a result with `is_error: true`, subtype error_during_execution, result `boom`",
            "ClaudeApiError with the result attached", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("iserror", new ScriptSpec
                {
                    Turn = """printf '{"type":"result","subtype":"error_during_execution","is_error":true,"result":"boom","session_id":"%s"}\n' "$sid" """,
                }));
                var ex = await HostileContext.Throws<ClaudeApiErrorException>(() => s.FinalTextAsync("go"), Short);
                Check(ex.Failure.Result?.Result == "boom", "result not attached");
                return "ClaudeApiError: " + HostileContext.OneLine(ex.Failure.Message, 60);
            }),
        new("S21", "script", "mid-turn the CLI asks `can_use_tool` and no permission handler is configured",
            "answered at once with an error (the CLI never waits on the host); the turn completes", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Script("canuse", new ScriptSpec
                {
                    Turn = """
                           sys_init
                           printf '{"type":"control_request","request_id":"perm_1","request":{"subtype":"can_use_tool","tool_name":"Write","input":{"file_path":"/tmp/x"}}}\n'
                           if IFS= read -r -t 10 answer; then
                             case "$answer" in *perm_1*) result "answered";; *) result "unexpected-answer";; esac
                           else result "no-answer"; fi
                           """,
                }));
                var watch = Stopwatch.StartNew();
                var text = await HostileContext.Within(s.FinalTextAsync("go"), TimeSpan.FromSeconds(20), "turn");
                Check(text == "answered", $"the CLI saw: {text}");
                return $"answered in {Ms(watch)}";
            }),
        new("S22", "script", "the CLI asks `can_use_tool` (a slow handler is configured), then withdraws it with control_cancel_request",
            "the handler's token is cancelled; no answer is written for the withdrawn request", async ctx =>
            {
                var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                var handler = CallbackHandler.Delegate<ToolPermissionRequest, PermissionDecision>(async (_, ct) =>
                {
                    try
                    {
                        await Task.Delay(Timeout.Infinite, ct);
                    }
                    catch (OperationCanceledException)
                    {
                        cancelled.TrySetResult(true);
                        throw;
                    }
                    return PermissionDecision.Allow();
                });
                var s = await ctx.StartAsync(ctx.Script("cancelperm", new ScriptSpec
                {
                    Turn = """
                           sys_init
                           printf '{"type":"control_request","request_id":"perm_2","request":{"subtype":"can_use_tool","tool_name":"Write","input":{}}}\n'
                           sleep 0.5
                           printf '{"type":"control_cancel_request","request_id":"perm_2"}\n'
                           if IFS= read -r -t 2 answer; then result "answered-anyway"; else result "no-answer"; fi
                           """,
                }) with { Callbacks = new() { Permissions = handler, Timeout = TimeSpan.FromSeconds(30) } });
                var text = await HostileContext.Within(s.FinalTextAsync("go"), TimeSpan.FromSeconds(20), "turn");
                var wasCancelled = await Task.WhenAny(cancelled.Task, Task.Delay(3000)) == cancelled.Task;
                Check(wasCancelled, "the handler's token was not cancelled");
                Check(text == "no-answer", $"the CLI saw: {text}");
                return "handler cancelled; nothing written for the withdrawn request";
            }),

        // ---------------------------------------------------------------- from callers
        new("K01", "caller", "an empty prompt \"\"",
            "InvalidRequest; nothing sent to the CLI", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                await HostileContext.Throws<InvalidSessionRequestException>(() => s.FinalTextAsync(""), Short);
                var next = await s.FinalTextAsync("Say exactly: ok");
                Check(next == "ok", $"next '{next}'");
                return "InvalidSessionRequestException; session fine";
            }),
        new("K02", "caller", "a whitespace-only prompt (spaces, tab, newline)",
            "InvalidRequest", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                await HostileContext.Throws<InvalidSessionRequestException>(() => s.FinalTextAsync("  \t\n  "), Short);
                return "InvalidSessionRequestException";
            }),
        new("K03", "caller", "a 1 MB prompt",
            "sent as one JSON line; answered (echo of 1 048 576+ chars)", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                var prompt = "big " + new string('y', 1_048_576);
                var watch = Stopwatch.StartNew();
                var text = await HostileContext.Within(s.FinalTextAsync(prompt), TimeSpan.FromSeconds(30), "turn");
                Check(text == "Echo: " + prompt, $"echo of {text.Length} chars");
                return $"echoed whole in {Ms(watch)}";
            }),
        new("K04", "caller", "a prompt with quotes, backslashes, newlines, NUL, tab, emoji and an RTL override",
            "sent as JSON-escaped text; echoed byte for byte", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                var prompt = "quotes \" and \\ backslashes\nnew lines\0 NUL\ttab émoji 🚀 rtl \u202E end";
                var text = await s.FinalTextAsync(prompt);
                Check(text == "Echo: " + prompt, $"echo differs: '{HostileContext.OneLine(text)}'");
                return "echoed exactly";
            }),
        new("K05", "caller", "a prompt with a lone UTF-16 surrogate (\"\\uD800\") queued between two valid queries",
            "a typed InvalidRequest for that query (or tolerated); the queries around it complete", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                var first = s.FinalTextAsync("[slow:50] Say exactly: first");
                await Task.Delay(50);
                var bad = s.FinalTextAsync("lone \uD800 surrogate");
                await Task.Delay(50);
                var third = s.FinalTextAsync("Say exactly: third");
                string Outcome(Task<string> t) => t.IsCompletedSuccessfully ? "ok:" + HostileContext.OneLine(t.Result, 30)
                    : t.Exception?.GetBaseException() is ClaudeSessionException e ? e.Failure.Kind.ToString() : t.Exception?.GetBaseException().GetType().Name ?? "?";
                try
                {
                    await Task.WhenAll(first, bad, third).WaitAsync(TimeSpan.FromSeconds(30));
                }
                catch (Exception)
                {
                    // inspected below
                }
                var report = $"first={Outcome(first)}, bad={Outcome(bad)}, third={Outcome(third)}, restarts={(await s.GetInfoAsync()).RestartCount}";
                Check(first.IsCompletedSuccessfully && third.IsCompletedSuccessfully, report);
                Check(bad.IsCompletedSuccessfully || (bad.Exception?.GetBaseException() as ClaudeSessionException)?.Failure.Kind == FailureKind.InvalidRequest, report);
                return report;
            }),
        new("K06", "caller", "a prompt that looks like a protocol frame: `{\"type\":\"control_request\",...\"subtype\":\"interrupt\"}`",
            "sent as text, never as a frame; echoed", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                var prompt = "{\"type\":\"control_request\",\"request_id\":\"x\",\"request\":{\"subtype\":\"interrupt\"}}\n{\"type\":\"user\"}";
                var text = await s.FinalTextAsync(prompt);
                Check(text == "Echo: " + prompt, $"echo differs: '{HostileContext.OneLine(text)}'");
                return "echoed as text";
            }),
        new("K07", "caller", "session names with path separators: `a/b`, `..\\x`, `../../etc`",
            "InvalidSessionOptions before any process starts", async ctx =>
            {
                foreach (var name in PathSeparatorNames)
                    await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.Fake(name)));
                Check(ctx.Sandbox.LiveProcesses().Count == 0, "a process started");
                return "3× InvalidSessionOptions, no process";
            }),
        new("K08", "caller", "session names with control characters: BEL, newline, NUL, tab",
            "InvalidSessionOptions", async ctx =>
            {
                foreach (var name in ControlCharacterNames)
                    await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.Fake(name)));
                return "4× InvalidSessionOptions";
            }),
        new("K09", "caller", "a 5000-char name; then a 200-char name of unicode, `%`, spaces and dots",
            "5000 rejected; the 200-char name works and is found by name", async ctx =>
            {
                await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.Fake(new string('n', 5000))));
                var odd = (OddName + Guid.NewGuid().ToString("N")).PadRight(200, '.');
                var s = await ctx.StartAsync(ctx.Fake(odd));
                var found = await new ClaudeSessionsClient(ctx.System).GetAsync(odd);
                var text = await found.FinalTextAsync("Say exactly: odd");
                Check(text == "odd" && s.Name == odd, $"answer '{text}'");
                return "5000 rejected; odd 200-char name works and is found";
            }),
        new("K10", "caller", "names `$x` (Akka-reserved), ` lead`, `trail `, empty",
            "InvalidSessionOptions", async ctx =>
            {
                foreach (var name in ReservedNames)
                    await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.Fake(name)));
                return "4× InvalidSessionOptions";
            }),
        new("K11", "caller", "SessionId `../../etc/passwd`, Resume `not-a-uuid`, Resume `../0000`, SessionId `{uuid-in-braces}`",
            "InvalidSessionOptions before any process starts", async ctx =>
            {
                var braces = "{" + Guid.NewGuid() + "}";
                await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.Fake() with { SessionId = "../../etc/passwd" }));
                await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.Fake() with { Resume = "not-a-uuid" }));
                await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.Fake() with { Resume = "../0000" }));
                await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.Fake() with { SessionId = braces }));
                Check(ctx.Sandbox.LiveProcesses().Count == 0, "a process started");
                return "4× InvalidSessionOptions, no process";
            }),
        new("K12", "caller", "ReadConversationAsync(`../../etc/passwd`), (`{uuid}`) and (an unknown UUID)",
            "InvalidRequest for the first two (no file touched); SessionNotFound for the third", async ctx =>
            {
                await HostileContext.Throws<InvalidSessionRequestException>(() => ClaudeSession.ReadConversationAsync("../../etc/passwd", ctx.Sandbox.ConfigDir));
                await HostileContext.Throws<InvalidSessionRequestException>(() => ClaudeSession.ReadConversationAsync("{" + Guid.NewGuid() + "}", ctx.Sandbox.ConfigDir));
                await HostileContext.Throws<SessionNotFoundException>(() => ClaudeSession.ReadConversationAsync(Guid.NewGuid().ToString(), ctx.Sandbox.ConfigDir));
                return "2× InvalidRequest, 1× SessionNotFound";
            }),
        new("K13", "caller", "Resume = a valid UUID with no transcript",
            "StartAsync throws a typed start failure; no process left", async ctx =>
            {
                var ex = await HostileContext.Throws<ClaudeSessionException>(() => ctx.StartAsync(ctx.Fake() with { Resume = Guid.NewGuid().ToString() }));
                Check(ex.Failure.Kind is FailureKind.CliStartFailed or FailureKind.SessionNotFound, $"kind {ex.Failure.Kind}");
                return $"{ex.Failure.Kind}: {HostileContext.OneLine(ex.Failure.Message, 80)}";
            }),
        new("K14", "caller", "starting a second session with a name already taken",
            "SessionAlreadyExists; the first session keeps working", async ctx =>
            {
                var name = "dup-" + Guid.NewGuid().ToString("N")[..6];
                var s = await ctx.StartAsync(ctx.Fake(name));
                await HostileContext.Throws<SessionAlreadyExistsException>(() => ctx.StartAsync(ctx.Fake(name)));
                var text = await s.FinalTextAsync("Say exactly: still");
                Check(text == "still", $"answer '{text}'");
                return "SessionAlreadyExists; first still answers";
            }),
        new("K15", "caller", "two queries with the same QueryId sent at once (Ask)",
            "the second gets InvalidRequest; the first completes", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                var a = s.Actor.Ask<object>(new Query("[slow:50] Say exactly: one") { QueryId = "dup", StreamMessages = false }, Short);
                var b = s.Actor.Ask<object>(new Query("Say exactly: two") { QueryId = "dup", StreamMessages = false }, Short);
                var first = await a;
                var second = await b;
                Check(first is QueryCompleted { Result.Result: "one" }, $"first {first}");
                Check(second is QueryFailed { Failure.Kind: FailureKind.InvalidRequest }, $"second {second}");
                return "first completed, second InvalidRequest";
            }),
        new("K16", "caller", "a query with a 1 ms timeout",
            "Timeout; the turn is interrupted; the next query runs", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                await HostileContext.Throws<QueryTimeoutException>(() => s.FinalTextAsync("[slow:100] slow", new QueryOptions { Timeout = TimeSpan.FromMilliseconds(1) }), Short);
                var watch = Stopwatch.StartNew();
                var next = await HostileContext.Within(s.FinalTextAsync("Say exactly: after"), TimeSpan.FromSeconds(20), "next");
                Check(next == "after", $"next '{next}'");
                return $"Timeout; next ok after {Ms(watch)}";
            }),
        new("K17", "caller", "the consumer reads one message of a `[flood:30000]` stream, stalls 2 s (stdout paused by backpressure), leaves (break), then asks again (session timeout 30 s)",
            "the turn is interrupted and the next query is answered promptly (< 10 s)", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake() with { IncludePartialMessages = true, Timeout = TimeSpan.FromSeconds(30) });
                await foreach (var _ in s.StreamAsync("[flood:30000] go"))
                {
                    await Task.Delay(2000); // the session's outbox passes its high-water mark and pauses the CLI's stdout
                    break;
                }
                var watch = Stopwatch.StartNew();
                try
                {
                    var next = await s.FinalTextAsync("Say exactly: next", new QueryOptions { Timeout = TimeSpan.FromSeconds(60) });
                    Check(watch.Elapsed < TimeSpan.FromSeconds(10), $"next query answered only after {Ms(watch)} (session wedged behind the abandoned stream's backpressure)");
                    Check(next == "next", $"next '{next}'");
                }
                catch (ClaudeSessionException ex)
                {
                    throw new HostileFailure($"next query failed with {ex.Failure.Kind} after {Ms(watch)}");
                }
                return $"next query answered after {Ms(watch)}";
            }),
        new("K18", "caller", "20 consumers each read one message of a `[flood:5000]` stream, stall 300 ms (the turn ends meanwhile) and leave",
            "each abandoned delivery is released: retained heap after a full GC grows < 20 MB; next query ok", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake() with { IncludePartialMessages = true });
                await s.FinalTextAsync("Say exactly: warm");
                var before = HeapAfterFullGc();
                for (var i = 0; i < 20; i++)
                {
                    await foreach (var _ in s.StreamAsync("[flood:5000] go"))
                    {
                        await Task.Delay(300); // the turn ends meanwhile: its undelivered messages wait in the session
                        break;
                    }
                }
                var next = await HostileContext.Within(s.FinalTextAsync("Say exactly: after"), TimeSpan.FromSeconds(30), "next");
                await Task.Delay(500);
                var growth = HeapAfterFullGc() - before;
                Check(next == "after", $"next '{next}'");
                Check(growth < 20L * 1024 * 1024, $"retained heap grew {ChaosStats.Mb(growth)} after 20 abandoned streams (undelivered messages kept)");
                return $"retained heap growth {ChaosStats.Mb(growth)}";
            }),
        new("K19", "caller", "cancelling the token of a `[slow:500]` stream 100 ms in",
            "OperationCanceled for that caller; the turn is interrupted; the next query runs", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
                await HostileContext.Throws<OperationCanceledException>(() => s.FinalTextAsync("[slow:500] slow", cancellationToken: cts.Token), Short);
                var watch = Stopwatch.StartNew();
                var next = await HostileContext.Within(s.FinalTextAsync("Say exactly: after"), Short, "next");
                Check(next == "after", $"next '{next}'");
                return $"cancelled; next ok after {Ms(watch)}";
            }),
        new("K20", "caller", "StopAsync while a query runs and two more are queued",
            "all three callers get SessionStopped; no process left", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                var turns = new[] { s.FinalTextAsync("[slow:500] a"), s.FinalTextAsync("b"), s.FinalTextAsync("c") };
                await Task.Delay(300);
                await s.StopAsync();
                foreach (var t in turns) await HostileContext.Throws<SessionStoppedException>(() => t, Short);
                return "3× SessionStopped";
            }),
        new("K21", "caller", "a query to a session that was stopped",
            "SessionStopped at once (the facade watches the actor)", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                await s.StopAsync();
                await Task.Delay(200);
                var watch = Stopwatch.StartNew();
                await HostileContext.Throws<SessionStoppedException>(() => s.FinalTextAsync("hello?"), TimeSpan.FromSeconds(5));
                return $"SessionStopped after {Ms(watch)}";
            }),
        new("K22", "caller", "InterruptAsync while idle; a QueryAck and an Interrupt for unknown query ids",
            "InterruptAsync says false (nothing ran); InvalidRequest for an unknown id; the ack is ignored; turns unaffected", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                Check(!await s.InterruptAsync().WaitAsync(Short), "InterruptAsync while idle said it interrupted");
                s.Actor.Tell(new QueryAck("nope", 1000));
                var reply = await s.Actor.Ask<ControlResult>(new Interrupt("nope"), Short);
                Check(reply.Failure?.Kind == FailureKind.InvalidRequest, $"interrupt reply {reply}");
                var text = await s.FinalTextAsync("Say exactly: fine");
                Check(text == "fine", $"answer '{text}'");
                return "false; InvalidRequest; ack ignored; turn ok";
            }),
        new("K23", "caller", "Environment with a variable named `A=B` and one named empty",
            "InvalidSessionOptions", async ctx =>
            {
                await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.WithEnv(ctx.Fake(), "A=B", "x")));
                await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.WithEnv(ctx.Fake(), "", "x")));
                return "2× InvalidSessionOptions";
            }),

        new("K24", "caller", "one consumer leaves a `[flood:5000]` stream after 300 ms (its messages stay behind); later another consumer of the same session stalls 2 s on `[flood:30000]`, then drains (session timeout 20 s)",
            "the second, legitimate consumer gets all 30 000 events and its result", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake() with { IncludePartialMessages = true, Timeout = TimeSpan.FromSeconds(20) });
                await foreach (var _ in s.StreamAsync("[flood:5000] go"))
                {
                    await Task.Delay(300);
                    break;
                }
                await Task.Delay(500);
                var deltas = 0;
                var watch = Stopwatch.StartNew();
                try
                {
                    var first = true;
                    await foreach (var m in s.StreamAsync("[flood:30000] go"))
                    {
                        if (first)
                        {
                            first = false;
                            await Task.Delay(2000);
                        }
                        if (m is StreamEventMessage { EventType: "content_block_delta" }) deltas++;
                    }
                }
                catch (ClaudeSessionException ex)
                {
                    throw new HostileFailure($"the second consumer got {deltas} of 30 000 events, then {ex.Failure.Kind} after {Ms(watch)} (stdout stayed paused: the stale outbox keeps the backpressure from releasing)");
                }
                Check(deltas == 30_000, $"{deltas} events");
                return $"30 000 events in {Ms(watch)}";
            }),

        // ---------------------------------------------------------------- configuration
        new("G01", "config", "CliPath `/nonexistent/claude`",
            "CliNotFound, naming what was tried", async ctx =>
            {
                var ex = await HostileContext.Throws<CliNotFoundException>(() => ctx.StartAsync(ctx.Fake() with { CliPath = "/nonexistent/claude" }));
                Check(ex.Message.Contains("/nonexistent/claude", StringComparison.Ordinal), "path not named");
                return "CliNotFound";
            }),
        new("G02", "config", "CliPath = a file without the execute bit",
            "CliNotFound", async ctx =>
            {
                var path = Path.Combine(ctx.Sandbox.Scripts, "not-executable");
                await File.WriteAllTextAsync(path, "#!/bin/sh\necho hi\n");
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                await HostileContext.Throws<CliNotFoundException>(() => ctx.StartAsync(ctx.Fake() with { CliPath = path }));
                return "CliNotFound";
            }),
        new("G03", "config", "CliPath = a directory",
            "CliNotFound", async ctx =>
            {
                await HostileContext.Throws<CliNotFoundException>(() => ctx.StartAsync(ctx.Fake() with { CliPath = ctx.Sandbox.WorkDir }));
                return "CliNotFound";
            }),
        new("G04", "config", "CliPath = an executable text file that is not a program",
            "CliStartFailed with exit code and stderr; no process left", async ctx =>
            {
                var path = Path.Combine(ctx.Sandbox.Scripts, "chaos-script-notaprogram");
                await File.WriteAllTextAsync(path, "this is not a program (((\n");
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                var ex = await HostileContext.Throws<CliStartFailedException>(() => ctx.StartAsync(ctx.Fake() with { CliPath = path }));
                return $"CliStartFailed (exit {ex.Failure.ExitCode}): {HostileContext.OneLine(ex.Failure.StderrTail ?? "", 60)}";
            }),
        new("G05", "config", "WorkingDirectory that does not exist",
            "InvalidSessionOptions 'WorkingDirectory … does not exist' before any process starts", async ctx =>
            {
                var ex = await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.Fake() with { WorkingDirectory = Path.Combine(ctx.Sandbox.Root, "missing") }));
                Check(ex.Message.Contains("WorkingDirectory", StringComparison.Ordinal) && ex.Message.Contains("does not exist", StringComparison.Ordinal), HostileContext.OneLine(ex.Message));
                return "InvalidSessionOptions: does not exist";
            }),
        new("G06", "config", "SetModelAsync(`no-such-model`), SetModelAsync(``), then SetModelAsync(`haiku`)",
            "InvalidRequest for the unknown and the empty model (checked against the CLI's list); haiku accepted; turns unaffected", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake());
                await HostileContext.Throws<InvalidSessionRequestException>(() => s.SetModelAsync("no-such-model"), Short);
                await HostileContext.Throws<InvalidSessionRequestException>(() => s.SetModelAsync(""), Short);
                await s.SetModelAsync("haiku");
                var text = await s.FinalTextAsync("Say exactly: model");
                Check(text == "model", $"answer '{text}'");
                return "2× InvalidRequest; haiku ok; turn ok";
            }),
        new("G07", "config", "RestartPolicy MaxRestarts = 0 and a crash",
            "CliCrashed for the caller; the session is Failed, published and removed; later queries get a typed failure", async ctx =>
            {
                var s = await ctx.StartAsync(ctx.Fake() with { Restart = new RestartPolicy { MaxRestarts = 0 } });
                await HostileContext.Throws<CliCrashedException>(() => s.FinalTextAsync("[crash] die"), Short);
                await Task.Delay(300);
                var ex = await HostileContext.Throws<ClaudeSessionException>(() => s.FinalTextAsync("hello?"), TimeSpan.FromSeconds(5));
                return $"CliCrashed, then {ex.Failure.Kind}";
            }),
        new("G08", "config", "Timeout = 0, ControlTimeout = -1 s, MaxTurns = 0",
            "InvalidSessionOptions", async ctx =>
            {
                await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.Fake() with { Timeout = TimeSpan.Zero }));
                await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.Fake() with { ControlTimeout = TimeSpan.FromSeconds(-1) }));
                await HostileContext.Throws<InvalidSessionOptionsException>(() => ctx.StartAsync(ctx.Fake() with { MaxTurns = 0 }));
                return "3× InvalidSessionOptions";
            }),
        new("G09", "config", "CliPath = a bare name not on PATH (`definitely-not-claude-xyz`)",
            "CliNotFound", async ctx =>
            {
                await HostileContext.Throws<CliNotFoundException>(() => ctx.StartAsync(ctx.Fake() with { CliPath = "definitely-not-claude-xyz" }));
                return "CliNotFound";
            }),
    ];

    private static long HeapAfterFullGc()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Renders outcomes as the markdown table of docs/reliability.md.</summary>
    public static string Table(IEnumerable<HostileOutcome> outcomes)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| id | source | input | expected | observed | healthy turns beside | result |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var o in outcomes)
            sb.AppendLine($"| {o.Case.Id} | {o.Case.Source} | {Cell(o.Case.Input)} | {Cell(o.Case.Expected)} | {Cell(o.Observed)} | {o.HealthyTurns} | {(o.Passed ? "pass" : "**FAIL**")} |");
        return sb.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
}
