using Xunit;
using System.Reflection;
using ClaudeActors.Tests.Infrastructure;
using PublicApiGenerator;

namespace ClaudeActors.Tests.Api;

/// <summary>
/// The public surface of each package, approved: a change of it shows as a diff of the committed
/// <c>&lt;package&gt;.approved.txt</c> beside this file. When a change is intended, copy the <c>.received.txt</c> the
/// failing test wrote over the approved file and commit both the change and the new surface.
/// </summary>
public sealed class PublicApiTests
{
    public static TheoryData<string> Packages => new() { "ClaudeActors", "ClaudeActors.Cluster", "ClaudeActors.Testing", "ClaudeActors.AI" };

    [Theory]
    [MemberData(nameof(Packages))]
    public void Public_api_is_approved(string package)
    {
        var assembly = Assembly.Load(package);
        var api = assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            // Attributes the compiler or the build adds say nothing about the surface.
            ExcludeAttributes =
            [
                "System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute",
                "System.Runtime.CompilerServices.AsyncIteratorStateMachineAttribute", "System.Runtime.CompilerServices.AsyncStateMachineAttribute",
            ],
        }).ReplaceLineEndings("\n");
        var approvedPath = Path.Combine(SourceDirectory(), package + ".approved.txt");
        var receivedPath = Path.Combine(SourceDirectory(), package + ".received.txt");
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (api == approved)
        {
            File.Delete(receivedPath);
            return;
        }
        File.WriteAllText(receivedPath, api);
        Assert.Fail($"The public API of {package} changed. If intended, replace {approvedPath} with {receivedPath}.");
    }

    // Found from the test output up (not CallerFilePath: a CI build maps source paths to /_/).
    private static string SourceDirectory() => Path.Combine(TestPaths.RepoRoot, "tests", "ClaudeActors.Tests", "Api");
}
