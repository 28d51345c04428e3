namespace ClaudeActors.Process;

/// <summary>The launch profiles to keep warm, read from the host's options: the defaults, and each declared session that asks.</summary>
internal static class WarmPoolProfiles
{
    public static IReadOnlyList<WarmPoolProfile> From(ClaudeSessionsOptions options)
    {
        var profiles = new List<WarmPoolProfile>();
        if (options.WarmPool > 0) profiles.Add(new WarmPoolProfile(options.Resolve(new SessionOptions()), options.WarmPool));
        foreach (var declared in options.Sessions.Where(s => s.WarmPool > 0))
            profiles.Add(new WarmPoolProfile(options.Resolve(declared) with { Name = null }, declared.WarmPool));
        return profiles;
    }
}
