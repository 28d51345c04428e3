using System.Security.Cryptography;
using System.Text;

namespace ClaudeActors.Core;

/// <summary>
/// Isolation of named sessions (section <c>ClaudeActors:Isolation</c> in local mode; the <c>node</c> command turns it on
/// with <c>ClaudeActors:Cluster:Isolation</c>): each named session gets its own CLI config dir
/// (<c>CLAUDE_CONFIG_DIR</c>: transcripts, settings, MCP state) and its own working directory,
/// <c>&lt;Directory&gt;/sessions/&lt;encoded name&gt;/config</c> and <c>/work</c>, created owner-only (0700),
/// unless the session's own options set them. Terminating the session removes both.
/// </summary>
/// <remarks>
/// This separates what the CLI itself reads and writes. It does not stop a Bash command of one session from reading
/// another's files (same user id): that takes <see cref="SessionOptions.Sandbox"/> (docs/reliability.md, "Isolation").
/// </remarks>
public sealed class SessionIsolation
{
    /// <summary>The folder holding <c>sessions/</c>; a node uses its data directory.</summary>
    public string? Directory { get; set; }

    /// <summary>The root actually used: <see cref="Directory"/>, or <c>$XDG_DATA_HOME/claude-actors</c> when unset.</summary>
    public string EffectiveDirectory => Path.GetFullPath(string.IsNullOrWhiteSpace(Directory) ? DefaultDirectory : Directory);

    /// <summary><c>~/.local/share/claude-actors</c> (<c>%LOCALAPPDATA%\claude-actors</c> on Windows), as a node's data directory.</summary>
    public static string DefaultDirectory
    {
        get
        {
            var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
            return string.IsNullOrEmpty(root) ? Path.Combine(System.IO.Directory.GetCurrentDirectory(), ".claude-actors") : Path.Combine(root, "claude-actors");
        }
    }

    internal IsolationLayout Layout => new(EffectiveDirectory);
}

/// <summary>The directories of one isolated session.</summary>
/// <param name="Root">The session's folder: <c>&lt;data&gt;/sessions/&lt;encoded name&gt;</c>.</param>
/// <param name="Config">Its <c>CLAUDE_CONFIG_DIR</c>.</param>
/// <param name="Work">Its working directory.</param>
internal sealed record SessionDirectories(string Root, string Config, string Work);

/// <summary>
/// Where isolated sessions live under a data directory, and the name encoding that keeps every name inside it.
/// The encoding is a slug (at most 40 of <c>[a-z0-9-]</c>, for people reading a listing) plus 32 lowercase hex digits
/// of the name's SHA-256: no dot, separator, NUL or upper-case letter can reach the path, the length is bounded
/// (≤ 73 characters), names differing only by case or by look-alike characters get different folders (on
/// case-insensitive file systems too), and two names share a folder only if SHA-256 collides in 128 bits.
/// </summary>
internal sealed class IsolationLayout(string dataDirectory)
{
    public const string SessionsFolder = "sessions";
    private const int SlugLength = 40;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string DataDirectory { get; } = Path.GetFullPath(dataDirectory);

    public string SessionsRoot => Path.Combine(DataDirectory, SessionsFolder);

    /// <summary>The folder name of <paramref name="sessionName"/>; the same on every machine.</summary>
    public static string Encode(string sessionName)
    {
        ArgumentNullException.ThrowIfNull(sessionName);
        var slug = new StringBuilder(SlugLength);
        foreach (var c in sessionName)
        {
            if (slug.Length == SlugLength) break;
            slug.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : c is >= 'A' and <= 'Z' ? char.ToLowerInvariant(c) : '-');
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sessionName)))[..32];
        return slug.Length == 0 ? hash : slug + "-" + hash;
    }

    /// <summary>The directories of <paramref name="sessionName"/> (not created).</summary>
    public SessionDirectories For(string sessionName)
    {
        var root = Path.GetFullPath(Path.Combine(SessionsRoot, Encode(sessionName)));
        // The encoding cannot leave the folder; this says so where it matters, should it ever change.
        if (!root.StartsWith(SessionsRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.GetDirectoryName(root) != SessionsRoot)
            throw new InvalidOperationException("A session's directory left the sessions folder.");
        return new SessionDirectories(root, Path.Combine(root, "config"), Path.Combine(root, "work"));
    }

    /// <summary>Creates the session's folders (owner-only on Unix) when missing; returns them.</summary>
    public SessionDirectories Create(string sessionName)
    {
        var dirs = For(sessionName);
        foreach (var dir in new[] { SessionsRoot, dirs.Root, dirs.Config, dirs.Work }) CreateOwnerOnly(dir);
        return dirs;
    }

    /// <summary>Removes the session's folder and everything in it (its transcripts, settings and files).</summary>
    public void Remove(string sessionName)
    {
        var dirs = For(sessionName);
        try
        {
            if (System.IO.Directory.Exists(dirs.Root)) System.IO.Directory.Delete(dirs.Root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A file still open (Windows) or made read-only by a tool: the next terminate or the operator removes it.
        }
    }

    /// <summary>
    /// Applies isolation to one session's options: its own config dir and working directory, unless
    /// <paramref name="ownEnvironment"/> (the session's own, not the node's defaults) sets <c>CLAUDE_CONFIG_DIR</c> or
    /// <paramref name="ownWorkingDirectory"/> is given. Creates the folders. Unnamed sessions are left as they are.
    /// </summary>
    public SessionOptions Apply(SessionOptions resolved, IReadOnlyDictionary<string, string> ownEnvironment, string? ownWorkingDirectory)
    {
        if (resolved.Name is null || SessionNames.Check(resolved.Name) is not null) return resolved;
        var dirs = Create(resolved.Name);
        var environment = new Dictionary<string, string>(resolved.Environment, StringComparer.Ordinal);
        if (!ownEnvironment.ContainsKey(ConfigDirVariable)) environment[ConfigDirVariable] = dirs.Config;
        return resolved with
        {
            Environment = environment,
            WorkingDirectory = ownWorkingDirectory ?? dirs.Work,
            // With the sandbox, Bash may not read the data directory (the other sessions, the journal) but its own folder.
            Sandbox = resolved.Sandbox is { Enabled: true } sandbox
                ? sandbox with
                {
                    DenyRead = sandbox.DenyRead.Append(DataDirectory).Distinct().ToList(),
                    AllowRead = sandbox.AllowRead.Append(dirs.Root).Distinct().ToList(),
                }
                : resolved.Sandbox,
        };
    }

    public const string ConfigDirVariable = "CLAUDE_CONFIG_DIR";

    private static void CreateOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(path);
            return;
        }
        if (!System.IO.Directory.Exists(path)) System.IO.Directory.CreateDirectory(path, OwnerOnly);
        // An existing folder keeps the mode it was made with; the sessions' folders are tightened every time.
        if ((File.GetUnixFileMode(path) & ~OwnerOnly) != 0) File.SetUnixFileMode(path, OwnerOnly);
    }
}
