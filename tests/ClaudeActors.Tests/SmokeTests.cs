namespace ClaudeActors.Tests; public class SmokeTests { [Xunit.Fact] public void Builds() { } }
