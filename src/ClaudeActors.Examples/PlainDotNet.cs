using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Core;

namespace ClaudeActors.Examples;

/// <summary>The README's quick start for plain .NET code.</summary>
public static class PlainDotNet
{
    public static async Task<string> RunAsync(SessionOptions options)
    {
        // An ActorSystem of your own (an Akka.Hosting app takes the host's: services.GetRequiredService<ActorSystem>()).
        using var system = ActorSystem.Create("my-app");

        // Start a session: the CLI starts now and the initialize handshake completes before this returns.
        await using var session = await ClaudeSession.StartAsync(system, options with { IncludePartialMessages = true });

        // Stream a turn: text appears as it arrives.
        await foreach (var delta in session.StreamAsync("My name is Alice").TextDeltas())
            Console.Write(delta);
        Console.WriteLine();

        // The same conversation continues in the same CLI process.
        var answer = await session.FinalTextAsync("What is my name?");
        var sessionId = await session.GetSessionIdAsync();
        Console.WriteLine($"{answer} (session {sessionId})");
        return answer;
    }
}
