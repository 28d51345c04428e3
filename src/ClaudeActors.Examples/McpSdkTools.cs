using System.ComponentModel;
using ClaudeActors.Core;
using ModelContextProtocol.Server;

namespace ClaudeActors.Examples;

/// <summary>The README's "Callbacks: permissions, hooks and in-process tools": tools declared with the MCP C# SDK's attributes.</summary>
[McpServerToolType]
public static class WeatherTools
{
    /// <summary>The SDK binds the model's arguments to the parameters and serializes the result.</summary>
    [McpServerTool(Name = "forecast"), Description("Tells the weather forecast for a city")]
    public static string Forecast([Description("The city")] string city, [Description("How many days ahead")] int days) =>
        $"{city}: sunny for the next {days} days";
}

/// <summary>The session options that serve <see cref="WeatherTools"/> in-process.</summary>
public static class McpSdkTools
{
    /// <summary>Every [McpServerTool] method of the class becomes a tool of the in-process server "weather".</summary>
    public static SessionOptions WithWeatherTools(SessionOptions options) => options with
    {
        AllowedTools = ["mcp__weather__forecast"],  // mcp__<server>__<tool>: no permission prompt
        Callbacks = new()
        {
            McpServers =
            [
                SdkMcpServer.From("weather", typeof(WeatherTools)),
                // or from delegates: SdkMcpServer.From("clock", [McpServerTool.Create(() => DateTimeOffset.UtcNow.ToString("O"), new() { Name = "now" })])
            ],
        },
    };
}
