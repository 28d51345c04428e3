using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace ClaudeActors.FakeCli;

/// <summary>
/// fake-claude: a fast stand-in for `claude --output-format stream-json --input-format stream-json --verbose`.
/// See README.md for flags, reply rules, fault directives and environment variables.
/// </summary>
internal static class Program
{
    public const string Version = "0.0.0-fake";
    public const string DefaultModel = "claude-sonnet-5-5";

    private static readonly object Gate = new();
    private static readonly List<Input> Pending = [];
    private static Turn? current;
    private static bool stdinClosed;

    private static Transcript transcript = null!;
    private static volatile string model = DefaultModel;
    private static volatile string permissionMode = "default";
    private static volatile string? systemPrompt;
    private static bool partialMessages;
    private static bool replayUserMessages;
    private static PosixSignalRegistration? sigterm;

    public static int Main(string[] args)
    {
        var pidFile = Environment.GetEnvironmentVariable("FAKE_CLAUDE_PID_FILE");
        if (!string.IsNullOrEmpty(pidFile))
        {
            try
            {
                File.AppendAllText(pidFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            }
            catch (IOException)
            {
            }
        }

        if (int.TryParse(Environment.GetEnvironmentVariable("FAKE_CLAUDE_EXIT_ON_START"), out var startExit))
        {
            Output.ErrorLine($"fake-claude: FAKE_CLAUDE_EXIT_ON_START={startExit}, exiting");
            return startExit;
        }

        // Flags. Unknown flags are ignored together with a following value that does not start with '-'.
        string? sessionId = null, resume = null, appendSystemPrompt = null;
        bool fork = false, cont = false, noPersist = false, sessionMirror = false;
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string? inline = null;
            var eq = flag.IndexOf('=');
            if (flag.StartsWith("--", StringComparison.Ordinal) && eq > 2)
            {
                inline = flag[(eq + 1)..];
                flag = flag[..eq];
            }

            string? Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                return i + 1 < args.Length ? args[++i] : null;
            }

            switch (flag)
            {
                case "--model": model = ResolveModel(Value(), strict: false); break;
                case "--session-id": sessionId = Value(); break;
                case "--resume" or "-r": resume = Value(); break;
                case "--fork-session": fork = true; break;
                case "--continue" or "-c": cont = true; break;
                case "--no-session-persistence": noPersist = true; break;
                case "--session-mirror": sessionMirror = Environment.GetEnvironmentVariable("FAKE_CLI_NO_MIRROR") != "1"; break;
                case "--permission-mode": permissionMode = Value() ?? "default"; break;
                case "--system-prompt": systemPrompt = Value(); break;
                case "--append-system-prompt": appendSystemPrompt = Value(); break;
                case "--include-partial-messages": partialMessages = true; break;
                case "--replay-user-messages": replayUserMessages = true; break;
                case "--output-format" or "--input-format" or "--permission-prompt-tool" or "--allowedTools"
                    or "--allowed-tools" or "--disallowedTools" or "--disallowed-tools" or "--mcp-config"
                    or "--add-dir" or "--max-turns" or "--max-budget-usd" or "--settings" or "--setting-sources"
                    or "--fallback-model" or "--json-schema" or "--agent" or "--agents" or "--effort"
                    or "--max-thinking-tokens" or "--betas":
                    Value();
                    break;
                default:
                    if (inline is null && flag.StartsWith('-') && i + 1 < args.Length && !args[i + 1].StartsWith('-'))
                    {
                        i++;
                    }

                    break;
            }
        }

        if (appendSystemPrompt is not null)
        {
            systemPrompt = systemPrompt is null ? appendSystemPrompt : systemPrompt + "\n" + appendSystemPrompt;
        }

        if (sessionId is not null && !Guid.TryParseExact(sessionId, "D", out _))
        {
            Output.ErrorLine("Error: Invalid session ID. Must be a valid UUID.");
            return 1;
        }

        transcript = new Transcript(Directory.GetCurrentDirectory(), persist: !noPersist);
        if (sessionMirror)
        {
            transcript.Mirror = EmitMirror;
        }

        if (resume is not null)
        {
            if (!transcript.TryResume(resume, fork, sessionId))
            {
                Output.RawLine($"No conversation found with session ID: {resume}");
                EmitErrorResult(resume, 0, "error_during_execution", null, $"No conversation found with session ID: {resume}");
                return 1;
            }
        }
        else if (cont && transcript.TryContinue(fork, sessionId))
        {
        }
        else if (sessionId is not null)
        {
            transcript.UseSessionId(sessionId);
        }

        sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            Environment.Exit(143);
        });

        var worker = new Thread(WorkerLoop) { IsBackground = true, Name = "turns" };
        worker.Start();

        ReadStdin();

        lock (Gate)
        {
            stdinClosed = true;
            Monitor.PulseAll(Gate);
        }

        worker.Join();
        if (Environment.GetEnvironmentVariable("FAKE_CLAUDE_IGNORE_STDIN_EOF") == "1")
        {
            Thread.Sleep(Timeout.Infinite);
        }

        GC.KeepAlive(sigterm);
        return 0;
    }

    /// <summary>Resolves an alias (default/opus/sonnet/haiku) to a model id.</summary>
    private static string ResolveModel(string? value, bool strict) => value switch
    {
        null or "" => DefaultModel,
        "default" or "opus" => "claude-opus-5-5",
        "sonnet" => "claude-sonnet-5-5",
        "haiku" => "claude-haiku-5-5",
        "claude-opus-5-5" or "claude-sonnet-5-5" or "claude-haiku-5-5" => value,
        _ => strict ? DefaultModel : value,
    };

    private static bool IsKnownModel(string? value) =>
        value is "default" or "opus" or "sonnet" or "haiku" or "claude-opus-5-5" or "claude-sonnet-5-5" or "claude-haiku-5-5";

    // ---------------------------------------------------------------- stdin

    private static void ReadStdin()
    {
        var reader = new LineReader();
        while (reader.TryReadLine(out var line))
        {
            if (line.Span.Trim(" \t"u8).IsEmpty)
            {
                continue;
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                var text = System.Text.Encoding.UTF8.GetString(line.Span);
                var shown = text.Length > 200 ? text[..200] + "..." : text;
                Output.ErrorLine($"Error parsing streaming input line: {shown}: SyntaxError: {e.Message}");
                Environment.Exit(1);
                return;
            }

            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type))
                {
                    continue;
                }

                if (type.ValueEquals("user"))
                {
                    OnUser(root);
                }
                else if (type.ValueEquals("control_request"))
                {
                    OnControlRequest(root);
                }

                // control_response, control_cancel_request, keep_alive and anything unknown: ignored.
            }
        }
    }

    private static void OnUser(JsonElement root)
    {
        if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object ||
            !message.TryGetProperty("role", out var role) || !role.ValueEquals("user"))
        {
            Output.ErrorLine("Error: Expected message role 'user'");
            Environment.Exit(1);
            return;
        }

        var raw = Transcript.TextOf(message);
        var directives = new Directives();
        var stripped = directives.Parse(raw);
        var input = new Input(message.Clone(), raw, stripped, directives, Guid.NewGuid().ToString());
        lock (Gate)
        {
            Pending.Add(input);
            Monitor.PulseAll(Gate);
        }
    }

    // ---------------------------------------------------------------- control requests

    private static void OnControlRequest(JsonElement root)
    {
        var id = root.TryGetProperty("request_id", out var rid) && rid.ValueKind == JsonValueKind.String
            ? rid.GetString() ?? ""
            : "";
        if (!root.TryGetProperty("request", out var req) || req.ValueKind != JsonValueKind.Object)
        {
            RespondError(id, "Missing request");
            return;
        }

        var subtype = req.TryGetProperty("subtype", out var st) && st.ValueKind == JsonValueKind.String
            ? st.GetString() ?? ""
            : "";
        switch (subtype)
        {
            case "initialize":
                if (int.TryParse(Environment.GetEnvironmentVariable("FAKE_CLAUDE_INIT_DELAY_MS"), out var delay) && delay > 0)
                {
                    Thread.Sleep(delay);
                }

                if (req.TryGetProperty("systemPrompt", out var sp) && sp.ValueKind == JsonValueKind.String)
                {
                    systemPrompt = sp.GetString();
                }

                Respond(id, w =>
                {
                    w.WriteStartArray("commands");
                    w.WriteEndArray();
                    w.WriteStartArray("agents");
                    w.WriteEndArray();
                    w.WriteString("output_style", "default");
                    w.WriteStartArray("available_output_styles");
                    w.WriteStringValue("default");
                    w.WriteEndArray();
                    w.WriteStartArray("models");
                    WriteModel(w, "default", "claude-opus-5-5", "Default", "Opus 5.5 (recommended)");
                    WriteModel(w, "sonnet", "claude-sonnet-5-5", "Sonnet", "Sonnet 5.5");
                    WriteModel(w, "opus", "claude-opus-5-5", "Opus", "Opus 5.5");
                    WriteModel(w, "haiku", "claude-haiku-5-5", "Haiku", "Haiku 5.5");
                    w.WriteEndArray();
                    w.WriteStartObject("account");
                    w.WriteString("tokenSource", "none");
                    w.WriteString("apiKeySource", "ANTHROPIC_API_KEY");
                    w.WriteString("apiProvider", "firstParty");
                    w.WriteEndObject();
                    w.WriteNumber("pid", Environment.ProcessId);
                    w.WriteString("claude_code_version", Version);
                    w.WriteString("current_permission_mode", permissionMode);
                });
                break;

            case "interrupt":
                lock (Gate)
                {
                    Respond(id, w =>
                    {
                        w.WriteStartArray("still_queued");
                        w.WriteEndArray();
                    });
                    current?.Interrupt();
                }

                break;

            case "set_model":
            {
                var requested = req.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                var resolved = ResolveModel(requested, strict: true);
                model = resolved;
                Respond(id, w => w.WriteString("model", resolved));
                if (IsKnownModel(requested))
                {
                    Output.Emit(w =>
                    {
                        w.WriteString("type", "user");
                        w.WriteStartObject("message");
                        w.WriteString("role", "user");
                        w.WriteString("content", $"<local-command-stdout>Set model to {resolved}</local-command-stdout>");
                        w.WriteEndObject();
                        w.WriteNull("parent_tool_use_id");
                        w.WriteString("session_id", transcript.SessionId);
                        w.WriteString("uuid", Guid.NewGuid().ToString());
                        w.WriteString("timestamp", Transcript.Now());
                    });
                }

                break;
            }

            case "set_permission_mode":
            {
                var mode = req.TryGetProperty("mode", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                if (mode is not ("default" or "acceptEdits" or "plan" or "bypassPermissions" or "dontAsk" or "auto"))
                {
                    RespondError(id, $"Invalid permission mode: {mode}");
                    break;
                }

                permissionMode = mode;
                Respond(id, w => w.WriteString("mode", mode));
                Output.Emit(w =>
                {
                    w.WriteString("type", "system");
                    w.WriteString("subtype", "status");
                    w.WriteNull("status");
                    w.WriteString("permissionMode", mode);
                    w.WriteString("uuid", Guid.NewGuid().ToString());
                    w.WriteString("session_id", transcript.SessionId);
                });
                break;
            }

            case "mcp_status":
                Respond(id, w =>
                {
                    w.WriteStartArray("mcpServers");
                    w.WriteEndArray();
                });
                break;

            case "rewind_files":
                Respond(id, w =>
                {
                    w.WriteBoolean("canRewind", false);
                    w.WriteString("error", "File checkpointing not enabled");
                });
                break;

            default:
                RespondError(id, $"Unsupported control request subtype: {subtype}", "unsupported_request");
                break;
        }
    }

    private static void WriteModel(Utf8JsonWriter w, string value, string resolved, string display, string description)
    {
        w.WriteStartObject();
        w.WriteString("value", value);
        w.WriteString("resolvedModel", resolved);
        w.WriteString("displayName", display);
        w.WriteString("description", description);
        w.WriteEndObject();
    }

    private static void Respond(string requestId, Action<Utf8JsonWriter> body) => Output.Emit(w =>
    {
        w.WriteString("type", "control_response");
        w.WriteStartObject("response");
        w.WriteString("subtype", "success");
        w.WriteString("request_id", requestId);
        w.WriteStartObject("response");
        body(w);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    private static void RespondError(string requestId, string error, string? code = null) => Output.Emit(w =>
    {
        w.WriteString("type", "control_response");
        w.WriteStartObject("response");
        w.WriteString("subtype", "error");
        w.WriteString("request_id", requestId);
        w.WriteString("error", error);
        if (code is not null)
        {
            w.WriteString("error_code", code);
        }

        w.WriteEndObject();
    });

    // ---------------------------------------------------------------- turns

    private static void WorkerLoop()
    {
        while (true)
        {
            List<Input> inputs;
            Turn turn;
            lock (Gate)
            {
                while (Pending.Count == 0 && !stdinClosed)
                {
                    Monitor.Wait(Gate);
                }

                if (Pending.Count == 0)
                {
                    return;
                }

                inputs = [.. Pending];
                Pending.Clear();
                turn = new Turn();
                current = turn;
            }

            RunTurn(turn, inputs);
            lock (Gate)
            {
                current = null;
            }
        }
    }

    private static void RunTurn(Turn turn, List<Input> inputs)
    {
        var clock = Stopwatch.StartNew();
        var d = new Directives();
        foreach (var input in inputs)
        {
            Merge(d, input.Directives);
        }

        if (d.Exit is { } exitCode)
        {
            Environment.Exit(exitCode);
        }

        if (d.GrowMiB is { } grow)
        {
            Grow(grow);
        }

        var sid = transcript.SessionId;
        var turnModel = model;
        var text = string.Join("\n", inputs.Select(i => i.Stripped));

        if (d.Garbage)
        {
            Output.RawLine("fake-claude garbage: this line is not JSON {");
            Output.RawLine("{\"type\":\"assistant\",\"message\":{\"id\":\"msg_truncated\",\"content\":[{\"type\":\"te");
        }

        EmitInit(sid, turnModel);
        if (replayUserMessages)
        {
            foreach (var input in inputs)
            {
                Output.Emit(w =>
                {
                    w.WriteString("type", "user");
                    w.WritePropertyName("message");
                    input.Message.WriteTo(w);
                    w.WriteNull("parent_tool_use_id");
                    w.WriteString("session_id", sid);
                    w.WriteString("uuid", input.Uuid);
                    w.WriteString("timestamp", Transcript.Now());
                    w.WriteBoolean("isReplay", true);
                });
            }
        }

        var userJson = inputs.Count == 1
            ? inputs[0].Message.GetRawText()
            : Output.Build(w =>
            {
                w.WriteString("role", "user");
                w.WriteString("content", string.Join("\n", inputs.Select(i => i.Raw)));
            });
        transcript.Add("user", userJson, text, inputs[0].Uuid);

        if (d.Unknown)
        {
            Output.Emit(w =>
            {
                w.WriteString("type", "future_thing");
                w.WriteNumber("x", 1);
            });
            Output.Emit(w =>
            {
                w.WriteString("type", "system");
                w.WriteString("subtype", "future_subtype");
                w.WriteStartObject("payload");
                w.WriteStartArray("nested");
                w.WriteNumberValue(1);
                w.WriteNumberValue(2);
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteString("session_id", sid);
                w.WriteString("uuid", Guid.NewGuid().ToString());
            });
        }

        if (d.Crash)
        {
            Environment.Exit(3);
        }

        if (d.CrashAfterMs is { } crashAfter)
        {
            if (!turn.Sleep(crashAfter))
            {
                Interrupted(sid, clock);
                return;
            }

            Environment.Exit(3);
        }

        if (d.LeakKey)
        {
            // What a careless CLI could do: the host must never let it reach a log line or an error.
            Output.ErrorLine("fake-claude: using API key " + Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY"));
        }

        if (d.Stderr is { } stderrBytes)
        {
            Output.StderrFiller(stderrBytes);
        }

        if (d.Hang)
        {
            turn.Sleep(Timeout.Infinite);
            Interrupted(sid, clock);
            return;
        }

        var reply = Replies.Compute(text, transcript.History, systemPrompt);
        if (d.BigLine is { } big)
        {
            reply = Pad(reply, big);
        }

        var inputTokens = 10;
        foreach (var h in transcript.History)
        {
            inputTokens += h.Text.Length / 4 + 4;
        }

        var outputTokens = reply.Length / 4 + 1;
        var msgId = "msg_fake_" + Guid.NewGuid().ToString("N")[..24];

        var streamed = d.Flood is not null || d.SlowMs is not null || partialMessages;
        if (streamed)
        {
            Output.Emit(w =>
            {
                w.WriteString("type", "system");
                w.WriteString("subtype", "status");
                w.WriteString("status", "requesting");
                w.WriteString("uuid", Guid.NewGuid().ToString());
                w.WriteString("session_id", sid);
            });
            StreamEvent(sid, w =>
            {
                w.WriteString("type", "message_start");
                w.WriteStartObject("message");
                w.WriteString("id", msgId);
                w.WriteString("type", "message");
                w.WriteString("role", "assistant");
                w.WriteString("model", turnModel);
                w.WriteStartArray("content");
                w.WriteEndArray();
                w.WriteNull("stop_reason");
                w.WriteNull("stop_sequence");
                w.WriteStartObject("usage");
                w.WriteNumber("input_tokens", inputTokens);
                w.WriteNumber("output_tokens", 1);
                w.WriteEndObject();
                w.WriteEndObject();
            });
            StreamEvent(sid, w =>
            {
                w.WriteString("type", "content_block_start");
                w.WriteNumber("index", 0);
                w.WriteStartObject("content_block");
                w.WriteString("type", "text");
                w.WriteString("text", "");
                w.WriteEndObject();
            });

            if (d.Flood is { } flood)
            {
                for (var i = 0; i < flood && !turn.IsInterrupted; i++)
                {
                    Delta(sid, $"flood {i} ");
                }
            }
            else if (d.SlowMs is { } slow)
            {
                const int Parts = 10;
                for (var i = 0; i < Parts; i++)
                {
                    if (!turn.Sleep(slow))
                    {
                        break;
                    }

                    Delta(sid, Chunk(reply, i, Parts));
                }
            }
            else
            {
                var parts = Math.Clamp(reply.Length / 8, 1, 3);
                for (var i = 0; i < parts; i++)
                {
                    Delta(sid, Chunk(reply, i, parts));
                }
            }

            if (!turn.IsInterrupted)
            {
                StreamEvent(sid, w =>
                {
                    w.WriteString("type", "content_block_stop");
                    w.WriteNumber("index", 0);
                });
                StreamEvent(sid, w =>
                {
                    w.WriteString("type", "message_delta");
                    w.WriteStartObject("delta");
                    w.WriteString("stop_reason", "end_turn");
                    w.WriteNull("stop_sequence");
                    w.WriteEndObject();
                    w.WriteStartObject("usage");
                    w.WriteNumber("output_tokens", outputTokens);
                    w.WriteEndObject();
                });
                StreamEvent(sid, w => w.WriteString("type", "message_stop"));
            }
        }

        // From here on the turn completes: a later interrupt is a no-op.
        bool wasInterrupted;
        lock (Gate)
        {
            wasInterrupted = turn.IsInterrupted;
            current = null;
        }

        if (wasInterrupted)
        {
            Interrupted(sid, clock);
            return;
        }

        var messageJson = Output.Build(w =>
        {
            w.WriteString("id", msgId);
            w.WriteString("type", "message");
            w.WriteString("role", "assistant");
            w.WriteString("model", turnModel);
            w.WriteStartArray("content");
            w.WriteStartObject();
            w.WriteString("type", "text");
            w.WriteString("text", reply);
            w.WriteEndObject();
            if (d.Unknown)
            {
                // An unknown content block whose "type" is its last key.
                w.WriteStartObject();
                w.WriteString("id", "blk_future");
                w.WriteStartObject("data");
                w.WriteNumber("a", 1);
                w.WriteEndObject();
                w.WriteString("type", "future_block");
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("stop_reason", "end_turn");
            w.WriteNull("stop_sequence");
            WriteUsage(w, inputTokens, outputTokens);
        });

        var assistantUuid = Guid.NewGuid().ToString();
        Output.Emit(w =>
        {
            if (!d.Unknown)
            {
                w.WriteString("type", "assistant");
            }

            w.WritePropertyName("message");
            w.WriteRawValue(messageJson, skipInputValidation: true);
            w.WriteNull("parent_tool_use_id");
            w.WriteString("session_id", sid);
            w.WriteString("uuid", assistantUuid);
            w.WriteString("timestamp", Transcript.Now());
            if (d.Unknown)
            {
                w.WriteString("type", "assistant"); // "type" as the LAST key of the line
            }
        });
        transcript.Add("assistant", messageJson, reply, assistantUuid);

        var elapsed = (long)clock.Elapsed.TotalMilliseconds;
        var cost = Math.Round(inputTokens * 3e-6 + outputTokens * 15e-6, 8);
        Output.Emit(w =>
        {
            // Like the real CLI, "type" is not the first key of a result line.
            w.WriteNumber("duration_api_ms", Math.Max(0, elapsed - 1));
            w.WriteNumber("duration_ms", elapsed);
            w.WriteBoolean("is_error", false);
            w.WriteNumber("num_turns", 1);
            w.WriteString("result", reply);
            w.WriteString("session_id", sid);
            w.WriteString("stop_reason", "end_turn");
            w.WriteString("subtype", "success");
            w.WriteString("terminal_reason", "completed");
            w.WriteNumber("total_cost_usd", cost);
            WriteUsage(w, inputTokens, outputTokens);
            WriteModelUsage(w, turnModel, inputTokens, outputTokens, cost);
            w.WriteStartArray("permission_denials");
            w.WriteEndArray();
            w.WriteNull("api_error_status");
            w.WriteString("uuid", Guid.NewGuid().ToString());
            w.WriteString("type", "result");
        });
        // Like the real CLI: one bookkeeping line after the result (mirrored after it too).
        transcript.AppendBookkeeping(Output.Build(w =>
        {
            w.WriteString("type", "cost-state");
            w.WriteNumber("totalCostUSD", cost);
            w.WriteString("sessionId", sid);
        }));
    }

    /// <summary>A <c>transcript_mirror</c> frame: the file and the lines just appended to it, as JSON values.</summary>
    private static void EmitMirror(string file, IReadOnlyList<string> lines) => Output.Emit(w =>
    {
        w.WriteString("type", "transcript_mirror");
        w.WriteString("filePath", file);
        w.WriteStartArray("entries");
        foreach (var line in lines)
        {
            w.WriteRawValue(line, skipInputValidation: true);
        }

        w.WriteEndArray();
    });

    private static void Interrupted(string sid, Stopwatch clock)
    {
        const string Marker = "[Request interrupted by user]";
        var uuid = Guid.NewGuid().ToString();
        var messageJson = Output.Build(w =>
        {
            w.WriteString("role", "user");
            w.WriteStartArray("content");
            w.WriteStartObject();
            w.WriteString("type", "text");
            w.WriteString("text", Marker);
            w.WriteEndObject();
            w.WriteEndArray();
        });
        Output.Emit(w =>
        {
            w.WriteString("type", "user");
            w.WritePropertyName("message");
            w.WriteRawValue(messageJson, skipInputValidation: true);
            w.WriteNull("parent_tool_use_id");
            w.WriteString("session_id", sid);
            w.WriteString("uuid", uuid);
            w.WriteString("timestamp", Transcript.Now());
        });
        transcript.Add("user", messageJson, Marker, uuid);
        EmitErrorResult(sid, (long)clock.Elapsed.TotalMilliseconds, "error_during_execution", "aborted_streaming", Marker);
    }

    private static void EmitErrorResult(string sid, long elapsed, string subtype, string? terminalReason, string error) =>
        Output.Emit(w =>
        {
            w.WriteNumber("duration_api_ms", Math.Max(0, elapsed - 1));
            w.WriteNumber("duration_ms", elapsed);
            w.WriteBoolean("is_error", true);
            w.WriteNumber("num_turns", 1);
            w.WriteString("session_id", sid);
            w.WriteNull("stop_reason");
            w.WriteString("subtype", subtype);
            if (terminalReason is not null)
            {
                w.WriteString("terminal_reason", terminalReason);
            }

            w.WriteNumber("total_cost_usd", 0);
            WriteUsage(w, 0, 0);
            w.WriteStartObject("modelUsage");
            w.WriteEndObject();
            w.WriteStartArray("permission_denials");
            w.WriteEndArray();
            w.WriteNull("api_error_status");
            w.WriteStartArray("errors");
            w.WriteStringValue(error);
            w.WriteEndArray();
            w.WriteString("uuid", Guid.NewGuid().ToString());
            w.WriteString("type", "result");
        });

    private static void EmitInit(string sid, string turnModel) => Output.Emit(w =>
    {
        w.WriteString("type", "system");
        w.WriteString("subtype", "init");
        w.WriteString("cwd", Directory.GetCurrentDirectory());
        w.WriteString("session_id", sid);
        w.WriteStartArray("tools");
        w.WriteEndArray();
        w.WriteStartArray("mcp_servers");
        w.WriteEndArray();
        w.WriteString("model", turnModel);
        w.WriteString("permissionMode", permissionMode);
        w.WriteStartArray("slash_commands");
        w.WriteEndArray();
        w.WriteString("apiKeySource", "ANTHROPIC_API_KEY");
        w.WriteString("claude_code_version", Version);
        w.WriteString("output_style", "default");
        w.WriteStartArray("agents");
        w.WriteEndArray();
        w.WriteString("uuid", Guid.NewGuid().ToString());
    });

    private static void StreamEvent(string sid, Action<Utf8JsonWriter> ev) => Output.Emit(w =>
    {
        w.WriteString("type", "stream_event");
        w.WriteStartObject("event");
        ev(w);
        w.WriteEndObject();
        w.WriteString("session_id", sid);
        w.WriteNull("parent_tool_use_id");
        w.WriteString("uuid", Guid.NewGuid().ToString());
    });

    private static void Delta(string sid, string text) => StreamEvent(sid, w =>
    {
        w.WriteString("type", "content_block_delta");
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        w.WriteString("type", "text_delta");
        w.WriteString("text", text);
        w.WriteEndObject();
    });

    private static void WriteUsage(Utf8JsonWriter w, int input, int output)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", input);
        w.WriteNumber("cache_creation_input_tokens", 0);
        w.WriteNumber("cache_read_input_tokens", 0);
        w.WriteNumber("output_tokens", output);
        w.WriteString("service_tier", "standard");
        w.WriteEndObject();
    }

    private static void WriteModelUsage(Utf8JsonWriter w, string turnModel, int input, int output, double cost)
    {
        w.WriteStartObject("modelUsage");
        w.WriteStartObject(turnModel);
        w.WriteNumber("inputTokens", input);
        w.WriteNumber("outputTokens", output);
        w.WriteNumber("cacheReadInputTokens", 0);
        w.WriteNumber("cacheCreationInputTokens", 0);
        w.WriteNumber("costUSD", cost);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string Chunk(string text, int index, int parts)
    {
        var start = (int)((long)text.Length * index / parts);
        var end = (int)((long)text.Length * (index + 1) / parts);
        return text[start..end];
    }

    private static string Pad(string reply, int length)
    {
        if (reply.Length >= length)
        {
            return reply[..length];
        }

        return string.Create(length, reply, (span, r) =>
        {
            r.AsSpan().CopyTo(span);
            const string Filler = " lorem ipsum dolor sit amet";
            for (var i = r.Length; i < span.Length; i++)
            {
                span[i] = Filler[(i - r.Length) % Filler.Length];
            }
        });
    }

    private static void Merge(Directives into, Directives from)
    {
        into.SlowMs ??= from.SlowMs;
        into.Garbage |= from.Garbage;
        into.Crash |= from.Crash;
        into.CrashAfterMs ??= from.CrashAfterMs;
        into.Hang |= from.Hang;
        into.LeakKey |= from.LeakKey;
        into.Flood ??= from.Flood;
        into.BigLine ??= from.BigLine;
        into.Stderr ??= from.Stderr;
        into.Unknown |= from.Unknown;
        into.Exit ??= from.Exit;
        into.GrowMiB ??= from.GrowMiB;
    }

    // Memory a "[grow:N]" turn keeps for the rest of the process's life, as a CLI whose context grows does.
    private static readonly List<byte[]> Kept = [];

    private static void Grow(int mib)
    {
        for (var i = 0; i < mib; i++)
        {
            var block = GC.AllocateUninitializedArray<byte>(1 << 20, pinned: true);
            // Touch every page so it is resident (counted in RSS and PSS), not only reserved.
            for (var offset = 0; offset < block.Length; offset += 4096) block[offset] = 1;
            Kept.Add(block);
        }
    }

    private sealed record Input(JsonElement Message, string Raw, string Stripped, Directives Directives, string Uuid);

    /// <summary>A running turn; Interrupt() ends its waits at once.</summary>
    private sealed class Turn
    {
        private readonly ManualResetEventSlim interrupted = new(false);

        public bool IsInterrupted => interrupted.IsSet;

        public void Interrupt() => interrupted.Set();

        /// <summary>Waits; false when the turn was interrupted.</summary>
        public bool Sleep(int ms) => !interrupted.Wait(ms);
    }
}
