namespace ClaudeActors; internal static class Placeholder { }
