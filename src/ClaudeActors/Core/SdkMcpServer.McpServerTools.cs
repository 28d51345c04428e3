using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using ModelContextProtocol.Server;

namespace ClaudeActors.Core;

public sealed partial record SdkMcpServer
{
    /// <summary>
    /// Tools of the MCP C# SDK, served beside <see cref="SdkMcpServer.Tools"/>: from its attributes
    /// (<see cref="From(string, Type)"/>), or from <c>McpServerTool.Create(delegate)</c>. The SDK binds the model's
    /// arguments to their parameters and serializes what they return.
    /// </summary>
    /// <remarks>
    /// They run on the SDK's threads, never the session actor's. A call is bounded by <see cref="SessionCallbacks.Timeout"/>
    /// (the token the tool receives is cancelled then); a tool that throws or times out answers the model with a tool
    /// error, and the session goes on. The server is a fresh one for each CLI process, so a tool gets no state from the
    /// server between calls but what it keeps itself. The channel to the CLI carries no requests from the server:
    /// sampling, elicitation and roots fail at once; progress and log notifications are dropped.
    /// </remarks>
    public IReadOnlyList<McpServerTool> McpServerTools { get; init; } = [];

    /// <summary>An in-process server of the MCP C# SDK's tools (e.g. from <c>McpServerTool.Create(delegate)</c>).</summary>
    /// <param name="name">The server's name.</param>
    /// <param name="tools">Its tools.</param>
    public static SdkMcpServer From(string name, IEnumerable<McpServerTool> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        return new SdkMcpServer(name, []) { McpServerTools = [.. tools] };
    }

    /// <summary>
    /// An in-process server of the tools a class declares with the MCP C# SDK's attributes: each public method of
    /// <paramref name="toolType"/> marked <c>[McpServerTool]</c> (the class is usually marked <c>[McpServerToolType]</c>).
    /// A static method is called as it is; for an instance method the class is created with its parameterless
    /// constructor for each call.
    /// </summary>
    /// <param name="name">The server's name.</param>
    /// <param name="toolType">The class declaring the tools.</param>
    public static SdkMcpServer From(string name,
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type toolType)
    {
        ArgumentNullException.ThrowIfNull(toolType);
        var tools = toolType.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance)
            .Where(method => method.IsDefined(typeof(McpServerToolAttribute)))
            .Select(method => method.IsStatic
                ? McpServerTool.Create(method)
                : McpServerTool.Create(method, _ => Activator.CreateInstance(toolType)!))
            .ToList();
        if (tools.Count == 0) throw new ArgumentException($"'{toolType.Name}' has no public method marked [McpServerTool].", nameof(toolType));
        return From(name, tools);
    }
}
