namespace ClaudeActors.AI;

/// <summary>
/// Keys of the <c>AdditionalProperties</c> that the chat client and the agent fill from the CLI's <c>result</c> line
/// (on the last update of a stream and on the response), and of the tool results' flags.
/// </summary>
public static class ClaudeChatProperties
{
    /// <summary>The turn's cost in US dollars as the CLI computes it (<see cref="decimal"/>; absent when the CLI gave none).</summary>
    public const string TotalCostUsd = "claude.total_cost_usd";

    /// <summary>The turn's wall time in milliseconds (<see cref="long"/>).</summary>
    public const string DurationMs = "claude.duration_ms";

    /// <summary>The time the turn waited for the API, in milliseconds (<see cref="long"/>).</summary>
    public const string DurationApiMs = "claude.duration_api_ms";

    /// <summary>How many API round trips the turn took (<see cref="int"/>): one more per tool the CLI ran.</summary>
    public const string NumTurns = "claude.num_turns";

    /// <summary>Set to true on a <c>FunctionResultContent</c> whose tool failed or was denied.</summary>
    public const string IsError = "claude.is_error";

    /// <summary>In <c>UsageDetails.AdditionalCounts</c>: input tokens written to the prompt cache (counted in the input tokens too).</summary>
    public const string CacheCreationInputTokens = "claude.cache_creation_input_tokens";
}
