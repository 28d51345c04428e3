using ClaudeActors.Client;

namespace ClaudeActors.AI;

/// <summary>Where a chat client finds its session for each call.</summary>
internal abstract class SessionSource
{
    /// <summary>The session's name.</summary>
    public abstract string Name { get; }

    /// <summary>The session the last call used (the bound one from the start), for <c>GetService</c>.</summary>
    public ClaudeSession? Last { get; protected set; }

    /// <summary>The session for a call; <paramref name="instructions"/> shape it only when this call starts it.</summary>
    public abstract Task<ClaudeSession> ResolveAsync(string? instructions, CancellationToken cancellationToken);

    /// <summary>Adds <paramref name="instructions"/> to the CLI's own system prompt (which its tools need), after any of the template's.</summary>
    public static SessionOptions WithInstructions(SessionOptions options, string? instructions) =>
        instructions is null ? options : options with
        {
            AppendSystemPrompt = options.AppendSystemPrompt is { Length: > 0 } own ? own + "\n\n" + instructions : instructions,
        };
}

/// <summary>One session, given by the caller.</summary>
internal sealed class BoundSession : SessionSource
{
    private readonly ClaudeSession _session;

    public BoundSession(ClaudeSession session)
    {
        _session = session;
        Last = session;
    }

    public override string Name => _session.Name;

    public override Task<ClaudeSession> ResolveAsync(string? instructions, CancellationToken cancellationToken) => Task.FromResult(_session);
}

/// <summary>
/// A session found by name at each call, so the call reaches it wherever it runs (in a cluster: on any node, woken
/// when passivated). With <c>startOptions</c>, a session that does not exist is started for the call.
/// </summary>
internal sealed class NamedSession(IClaudeSessions sessions, string name, Func<string?, SessionOptions>? startOptions) : SessionSource
{
    public override string Name => name;

    public override async Task<ClaudeSession> ResolveAsync(string? instructions, CancellationToken cancellationToken)
    {
        try
        {
            return Last = await sessions.GetAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (SessionNotFoundException) when (startOptions is not null)
        {
            // Another caller may start it at the same moment: the existing one is taken then.
            var options = startOptions(instructions) with { Name = name };
            return Last = await sessions.StartAsync(options, returnExisting: true, cancellationToken).ConfigureAwait(false);
        }
    }
}
