using System.Text;

namespace ClaudeActors.Tests.Chaos;

/// <summary>
/// A tiny bash script that plays the CLI, for what the fake CLI cannot do: canned lines, broken framing, hostile
/// control traffic, processes that will not die. Each part is a bash fragment; the prelude defines helpers
/// (<c>init_ok</c>, <c>sys_init</c>, <c>assistant TEXT</c>, <c>result TEXT</c>, <c>ok_turn TEXT</c>) and the variables
/// <c>$sid</c> (from <c>--session-id</c>/<c>--resume</c>), <c>$line</c> (the stdin line) and <c>$rid</c> (its request_id).
/// </summary>
public sealed record ScriptSpec
{
    /// <summary>Runs before stdin is read.</summary>
    public string Start { get; init; } = "";

    /// <summary>Answers the initialize control request.</summary>
    public string Initialize { get; init; } = "init_ok";

    /// <summary>Answers any other control request of the host (interrupt, set_model, ...).</summary>
    public string Control { get; init; } = "control_ok";

    /// <summary>Handles a control_response of the host (to a request the script sent).</summary>
    public string ControlResponse { get; init; } = ":";

    /// <summary>Handles a user line (one turn).</summary>
    public string Turn { get; init; } = "ok_turn \"scripted\"";

    /// <summary>Runs when stdin closes.</summary>
    public string End { get; init; } = "exit 0";
}

public static class ScriptCli
{
    private const string Prelude = """
        #!/bin/bash
        # chaos-script: a canned stand-in for the claude CLI (tests/ClaudeActors.Tests/Chaos/Shared/ScriptCli.cs)
        sid="00000000-0000-4000-8000-000000000000"
        prev=""
        for a in "$@"; do
          case "$prev" in --session-id|--resume) sid="$a";; esac
          prev="$a"
        done
        rid=""
        init_ok() { printf '{"type":"control_response","response":{"subtype":"success","request_id":"%s","response":{"commands":[],"models":[]}}}\n' "$rid"; }
        control_ok() { printf '{"type":"control_response","response":{"subtype":"success","request_id":"%s","response":{}}}\n' "$rid"; }
        sys_init() { printf '{"type":"system","subtype":"init","session_id":"%s","model":"script-model","tools":[]}\n' "$sid"; }
        assistant() { printf '{"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","model":"script-model","content":[{"type":"text","text":"%s"}],"stop_reason":"end_turn"},"session_id":"%s","parent_tool_use_id":null}\n' "$1" "$sid"; }
        result() { printf '{"type":"result","subtype":"success","is_error":false,"duration_ms":1,"num_turns":1,"result":"%s","session_id":"%s","total_cost_usd":0}\n' "$1" "$sid"; }
        ok_turn() { sys_init; assistant "$1"; result "$1"; }

        """;

    /// <summary>Writes the script under the sandbox's scripts folder, executable, and returns its path.</summary>
    public static string Write(ChaosSandbox sandbox, string name, ScriptSpec spec)
    {
        var script = new StringBuilder(Prelude)
            .AppendLine(spec.Start)
            .AppendLine("while IFS= read -r line; do")
            .AppendLine("  rid=$(printf '%s' \"$line\" | sed -n 's/.*\"request_id\":\"\\([^\"]*\\)\".*/\\1/p')")
            .AppendLine("  case \"$line\" in")
            .AppendLine("    *'\"subtype\":\"initialize\"'*)")
            .AppendLine(Indent(spec.Initialize)).AppendLine("      ;;")
            .AppendLine("    *'\"type\":\"control_request\"'*)")
            .AppendLine(Indent(spec.Control)).AppendLine("      ;;")
            .AppendLine("    *'\"type\":\"control_response\"'*)")
            .AppendLine(Indent(spec.ControlResponse)).AppendLine("      ;;")
            .AppendLine("    *'\"type\":\"user\"'*)")
            .AppendLine(Indent(spec.Turn)).AppendLine("      ;;")
            .AppendLine("  esac")
            .AppendLine("done")
            .AppendLine(spec.End)
            .ToString();
        var path = Path.Combine(sandbox.Scripts, "chaos-script-" + name + ".sh");
        File.WriteAllText(path, script.Replace("\r\n", "\n"));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static string Indent(string body) =>
        string.Join("\n", body.Replace("\r\n", "\n").Split('\n').Select(l => "      " + l));
}
