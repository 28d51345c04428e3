namespace ClaudeActors.Benchmarks;

/// <summary>
/// A CLI written in bash for the passivated-memory benchmark at 10 000 sessions: it starts in a few milliseconds
/// (the .NET fake CLI takes ~150 ms, which capped creation at ~5.5 sessions/s). It speaks only what that benchmark
/// uses: the initialize handshake, one-line turns answered with "x", any other control request answered with success,
/// and a transcript line per turn where the real CLI keeps it (so the entity journals it like a real one).
/// </summary>
internal static class ScriptCli
{
    private const string Script = """
        #!/bin/bash
        # Benchmark-only stand-in for the claude CLI (see ScriptCli.cs).
        sid=""
        while [ $# -gt 0 ]; do
          case "$1" in --session-id|--resume) sid="$2"; shift ;; esac
          shift
        done
        [ -z "$sid" ] && sid=$(cat /proc/sys/kernel/random/uuid)
        dir="${CLAUDE_CONFIG_DIR:-$HOME/.claude}/projects/$(pwd | tr -c 'A-Za-z0-9\n' '-')"
        mkdir -p "$dir"
        transcript="$dir/$sid.jsonl"
        while IFS= read -r line; do
          case "$line" in
            *'"type":"control_request"'*)
              rid=${line#*\"request_id\":\"}; rid=${rid%%\"*}
              printf '{"type":"control_response","response":{"subtype":"success","request_id":"%s","response":{}}}\n' "$rid" ;;
            *'"type":"user"'*)
              printf '{"type":"user","message":{"role":"user","content":"Say exactly: x"},"cwd":"%s","sessionId":"%s"}\n{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"x"}]},"cwd":"%s","sessionId":"%s"}\n' "$PWD" "$sid" "$PWD" "$sid" >> "$transcript"
              printf '{"type":"system","subtype":"init","session_id":"%s","model":"script","tools":[],"mcp_servers":[]}\n' "$sid"
              printf '{"type":"assistant","message":{"id":"m1","type":"message","role":"assistant","model":"script","content":[{"type":"text","text":"x"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}},"parent_tool_use_id":null,"session_id":"%s"}\n' "$sid"
              printf '{"type":"result","subtype":"success","is_error":false,"duration_ms":1,"num_turns":1,"result":"x","session_id":"%s","total_cost_usd":0,"usage":{"input_tokens":1,"output_tokens":1}}\n' "$sid" ;;
          esac
        done
        """;

    /// <summary>Writes the script into <paramref name="directory"/> and returns its path.</summary>
    public static string Write(string directory)
    {
        var path = Path.Combine(directory, "script-claude");
        File.WriteAllText(path, Script.ReplaceLineEndings("\n") + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
