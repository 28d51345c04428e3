using ClaudeActors.Process;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Process;

/// <summary>What a CLI costs, read from the kernel (PSS of its process tree), and the sizes people write.</summary>
public sealed class ProcessMemoryTests(ITestOutputHelper output) : SessionTestKit(output)
{
    [Theory]
    [InlineData("8GiB", 8L << 30)]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("300M", 300L << 20)]
    [InlineData("64kb", 64L << 10)]
    [InlineData("4096", 4096)]
    [InlineData(" 2 GiB ", 2L << 30)]
    public void Sizes_parse_as_binary_units(string text, long bytes) => Assert.Equal(bytes, ByteSize.Parse(text).Bytes);

    [Theory]
    [InlineData("")]
    [InlineData("-1G")]
    [InlineData("8 parsecs")]
    [InlineData("G")]
    [InlineData("99999999999T")]
    public void Non_sizes_are_refused_with_their_text(string text)
    {
        Assert.False(ByteSize.TryParse(text, out _));
        var ex = Assert.Throws<FormatException>(() => ByteSize.Parse(text));
        Assert.Contains($"'{text}'", ex.Message);
    }

    [Fact]
    public void Sizes_print_in_the_largest_unit() =>
        Assert.Equal(["8.0GiB", "173.5MiB", "512B"], new[] { ByteSize.Parse("8GiB"), ByteSize.Parse("173.5MiB"), new ByteSize(512) }.Select(s => s.ToString()));

    [Fact]
    public void A_missing_process_has_no_memory_and_this_one_has_some()
    {
        Assert.Null(ProcessMemory.TreePss(int.MaxValue));
        if (!OperatingSystem.IsLinux()) return;
        var own = ProcessMemory.TreePss(Environment.ProcessId);
        Assert.True(own > 10L << 20, $"this test host's PSS: {own}");
    }

    [Fact]
    public async Task A_cli_that_keeps_memory_is_seen_growing_across_its_tree()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var session = await StartFakeAsync();
        var pid = (await session.GetInfoAsync()).CliProcessId!.Value;
        var before = ProcessMemory.TreePss(pid)!.Value;
        Assert.Equal("grown", await session.FinalTextAsync("[grow:64]Say exactly: grown"));
        var after = ProcessMemory.TreePss(pid)!.Value;
        Assert.True(after - before >= 48L << 20, $"PSS {new ByteSize(before)} -> {new ByteSize(after)}");

        // The session reports the same figure in its info (sessions info shows it), measured after the turn off its thread.
        ByteSize? reported = null;
        Assert.True(await ProcessTable.WaitUntilAsync(() =>
        {
            reported = session.GetInfoAsync().GetAwaiter().GetResult().CliMemory;
            return reported?.Bytes >= before + (48L << 20);
        }, TimeSpan.FromSeconds(10)), $"reported {reported}");
    }
}
