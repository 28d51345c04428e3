using System.Text.Json;

namespace ClaudeActors.Sessions;

/// <summary>
/// A typed view of the CLI's answer to <c>initialize</c> (what <see cref="GetServerInfo"/> returns as JSON): its slash
/// commands, models, agents and account. Fields the CLI leaves out are empty or null; <see cref="Raw"/> keeps all.
/// </summary>
/// <param name="Commands">The slash commands and skills the CLI offers.</param>
/// <param name="Models">The models it accepts (<see cref="SetModel"/> is checked against them).</param>
/// <param name="Agents">The agents it can run.</param>
/// <param name="Account">Where its credentials come from, and the account when logged in.</param>
/// <param name="CliVersion">The CLI's version.</param>
/// <param name="PermissionMode">The permission mode it started with.</param>
/// <param name="OutputStyle">The output style in use.</param>
/// <param name="Raw">The whole response.</param>
public sealed record ServerInfo(
    IReadOnlyList<SlashCommandInfo> Commands,
    IReadOnlyList<ModelInfo> Models,
    IReadOnlyList<AgentInfo> Agents,
    AccountInfo? Account,
    string? CliVersion,
    string? PermissionMode,
    string? OutputStyle,
    JsonElement Raw)
{
    /// <summary>Reads the initialize response; tolerant of missing or differently shaped fields.</summary>
    /// <param name="response">The response payload (<see cref="ControlResult.Response"/> of <see cref="GetServerInfo"/>).</param>
    public static ServerInfo Parse(JsonElement response) => new(
        Items(response, "commands", c => Text(c, "name") is { } name ? new SlashCommandInfo(name, Text(c, "description"), Text(c, "argumentHint")) : null),
        Items(response, "models", m => Text(m, "value") is { } value
            ? new ModelInfo(value, Text(m, "resolvedModel"), Text(m, "displayName"), Text(m, "description"))
            : null),
        Items(response, "agents", a => Text(a, "name") is { } name ? new AgentInfo(name, Text(a, "description"), Text(a, "model")) : null),
        response.ValueKind == JsonValueKind.Object && response.TryGetProperty("account", out var account) && account.ValueKind == JsonValueKind.Object
            ? new AccountInfo(Text(account, "email"), Text(account, "organization"), Text(account, "subscriptionType"),
                Text(account, "tokenSource"), Text(account, "apiKeySource"), Text(account, "apiProvider"))
            : null,
        Text(response, "claude_code_version"),
        Text(response, "current_permission_mode"),
        Text(response, "output_style"),
        response.ValueKind == JsonValueKind.Undefined ? default : response.Clone());

    /// <summary>
    /// Every name <see cref="SetModel"/> may use: each listed model's alias and the id it resolves to. Read from the raw
    /// response, so a model listed with only one of the two still counts.
    /// </summary>
    internal static List<string> ModelNames(JsonElement response)
    {
        var names = new List<string>();
        if (response.ValueKind != JsonValueKind.Object || !response.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Array)
            return names;
        foreach (var model in models.EnumerateArray())
        {
            foreach (var field in (ReadOnlySpan<string>)["value", "resolvedModel"])
                if (Text(model, field) is { Length: > 0 } name) names.Add(name);
        }
        return names.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private static List<T> Items<T>(JsonElement parent, string name, Func<JsonElement, T?> read) where T : class
    {
        var items = new List<T>();
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
            return items;
        foreach (var element in array.EnumerateArray())
            if (element.ValueKind == JsonValueKind.Object && read(element) is { } item) items.Add(item);
        return items;
    }

    private static string? Text(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}

/// <summary>A slash command or skill the CLI offers.</summary>
/// <param name="Name">Its name, without the slash.</param>
/// <param name="Description">What it does.</param>
/// <param name="ArgumentHint">How to call it.</param>
public sealed record SlashCommandInfo(string Name, string? Description, string? ArgumentHint);

/// <summary>A model the CLI accepts.</summary>
/// <param name="Value">The alias or id to pass to <see cref="SetModel"/>.</param>
/// <param name="ResolvedModel">The model id the alias stands for.</param>
/// <param name="DisplayName">Its display name.</param>
/// <param name="Description">Its description (often with its price).</param>
public sealed record ModelInfo(string Value, string? ResolvedModel, string? DisplayName, string? Description);

/// <summary>An agent the CLI can run.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Description">When to use it.</param>
/// <param name="Model">Its model, when it has its own.</param>
public sealed record AgentInfo(string Name, string? Description, string? Model);

/// <summary>The CLI's credentials: their source, and the account when logged in (never a key).</summary>
/// <param name="Email">The account's email, when logged in.</param>
/// <param name="Organization">The organization, when logged in.</param>
/// <param name="SubscriptionType">The subscription, when logged in.</param>
/// <param name="TokenSource">Where an OAuth token comes from (<c>none</c> with an API key).</param>
/// <param name="ApiKeySource">Where the API key comes from, e.g. <c>ANTHROPIC_API_KEY</c>.</param>
/// <param name="ApiProvider">The API provider, e.g. <c>firstParty</c>.</param>
public sealed record AccountInfo(string? Email, string? Organization, string? SubscriptionType, string? TokenSource, string? ApiKeySource, string? ApiProvider);
