using Xunit;
using ClaudeActors.Tests.Infrastructure;
using System.Text.RegularExpressions;

namespace ClaudeActors.Tests.Api;

/// <summary>
/// The core's folders are layers (docs/architecture.md, "Modules and layering"): a folder may use the ones below it,
/// never one above, so there are no loops between them. Checked on the sources: a <c>using ClaudeActors.X;</c>, or a
/// name qualified with a folder's namespace and naming one of its types, is a use of folder X.
/// </summary>
public sealed partial class FolderLayeringTests
{
    private static readonly string[] Layers =
        ["Protocol", "Core", "Logging", "Telemetry", "Process", "Callbacks", "History", "Sessions", "Supervision", "Client", "Hosting"];

    [Fact]
    public void No_folder_uses_a_folder_above_it()
    {
        var root = Path.Combine(RepoRoot(), "src", "ClaudeActors");
        var folders = Directory.GetDirectories(root).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToList();
        Assert.Empty(folders.Except(Layers)); // a new folder must take its place in the layers (and the docs)
        Assert.Empty(Directory.GetFiles(root, "*.cs")); // nothing at the root, outside every layer

        var typesByFolder = typeof(ClaudeActors.Core.SessionOptions).Assembly.GetTypes()
            .Where(t => t.Namespace?.StartsWith("ClaudeActors.", StringComparison.Ordinal) == true && !t.IsNested)
            .GroupBy(t => t.Namespace!["ClaudeActors.".Length..])
            .ToDictionary(g => g.Key, g => g.Select(t => t.Name.Split('`')[0]).ToHashSet());
        var violations = new List<string>();
        foreach (var folder in Layers)
        {
            var rank = Array.IndexOf(Layers, folder);
            if (!Directory.Exists(Path.Combine(root, folder))) continue;
            foreach (var file in Directory.GetFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                var code = CommentLine().Replace(File.ReadAllText(file), "");
                foreach (var other in Layers.Skip(rank + 1))
                {
                    var types = typesByFolder.GetValueOrDefault(other) ?? [];
                    var used = code.Contains($"using ClaudeActors.{other};", StringComparison.Ordinal)
                               || types.Any(t => Regex.IsMatch(code, $@"(?<![\w.])(ClaudeActors\.)?{other}\.{t}\b"));
                    if (used) violations.Add($"{folder}/{Path.GetFileName(file)} uses {other}");
                }
            }
        }
        Assert.Empty(violations);
    }

    [GeneratedRegex(@"^\s*//.*$", RegexOptions.Multiline)]
    private static partial Regex CommentLine();

    private static string RepoRoot() => TestPaths.RepoRoot;
}
