using System.Text.RegularExpressions;

namespace ClaudeActors.Process;

/// <summary>Keeps credentials out of logs and exception messages.</summary>
internal static partial class Redaction
{
    public const string Mask = "[REDACTED]";

    /// <summary>Environment variable names whose values are treated as secrets.</summary>
    public static bool IsSecretName(string name) =>
        name.Contains("KEY", StringComparison.OrdinalIgnoreCase) ||
        name.Contains("TOKEN", StringComparison.OrdinalIgnoreCase) ||
        name.Contains("SECRET", StringComparison.OrdinalIgnoreCase) ||
        name.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase) ||
        name.Contains("AUTH", StringComparison.OrdinalIgnoreCase);

    /// <summary>Replaces every known secret value, and anything shaped like an Anthropic key, with a mask.</summary>
    public static string Redact(string text, IEnumerable<string> secrets)
    {
        foreach (var secret in secrets)
            if (secret.Length >= 6) text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return AnthropicKey().Replace(text, Mask);
    }

    /// <summary>Secrets of the host's own environment that a child inherits.</summary>
    public static IEnumerable<string> AmbientSecrets()
    {
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            if (entry.Key is string name && IsSecretName(name) && entry.Value is string value && value.Length >= 6)
                yield return value;
    }

    [GeneratedRegex(@"sk-ant-[A-Za-z0-9_\-]{8,}")]
    private static partial Regex AnthropicKey();
}
