namespace ClaudeActors.Testing; internal static class Placeholder { }
