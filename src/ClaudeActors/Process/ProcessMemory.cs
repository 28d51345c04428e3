using System.Globalization;

namespace ClaudeActors.Process;

/// <summary>
/// How much memory a CLI really costs: the proportional set size (PSS) of its whole process tree — the CLI and
/// whatever it started (tool shells, MCP servers) — read from <c>/proc/&lt;pid&gt;/smaps_rollup</c>. PSS divides
/// each shared page among the processes that map it, so the binary's file-backed pages, shared by every CLI of one
/// binary, are not counted once per CLI and the sum over a node's CLIs is what the node pays. Cheap: one small
/// kernel-generated file per process, no page walk in this process. Linux only; elsewhere the answer is null.
/// </summary>
internal static class ProcessMemory
{
    /// <summary>The PSS of <paramref name="pid"/> and its descendants in bytes, or null when it cannot be read (gone, not Linux).</summary>
    public static long? TreePss(int pid)
    {
        if (!OperatingSystem.IsLinux()) return null;
        long total = 0;
        var seen = new HashSet<int>();
        var pending = new Stack<int>();
        pending.Push(pid);
        var any = false;
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (!seen.Add(current)) continue;
            if (Pss(current) is not { } pss) continue;
            any = true;
            total += pss;
            foreach (var child in Children(current)) pending.Push(child);
        }
        return any ? total : null;
    }

    /// <summary>One process's PSS in bytes (the <c>Pss:</c> line of smaps_rollup, in kB).</summary>
    internal static long? Pss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
            {
                if (!line.StartsWith("Pss:", StringComparison.Ordinal)) continue;
                var kb = line.AsSpan(4).Trim();
                var space = kb.IndexOf(' ');
                if (space > 0) kb = kb[..space];
                return long.TryParse(kb, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value * 1024 : null;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone meanwhile, or not ours to read.
        }
        return null;
    }

    private static IEnumerable<int> Children(int pid)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var task in tasks)
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(task, "children"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var child)) yield return child;
        }
    }
}
