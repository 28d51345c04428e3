using ClaudeActors.Process;
using Xunit;

namespace ClaudeActors.Tests.Process;

public sealed class LaunchProfileKeyTests
{
    private static readonly SessionOptions Base = new()
    {
        Model = "sonnet",
        WorkingDirectory = "/tmp",
        Environment = new Dictionary<string, string> { ["A"] = "1", ["ANTHROPIC_API_KEY"] = "sk-secret-value" },
    };

    private static LaunchProfileKey Key(SessionOptions options, string cli = "/usr/bin/claude") => LaunchProfileKey.Of(options, cli);

    [Fact]
    public void Launches_that_differ_only_in_session_id_name_or_environment_order_match()
    {
        var reordered = new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "sk-secret-value", ["A"] = "1" };
        Assert.Equal(Key(Base), Key(Base with { SessionId = SessionIds.New(), Name = "other" }));
        Assert.Equal(Key(Base), Key(Base with { Environment = reordered }));
        Assert.Equal(Key(Base).GetHashCode(), Key(Base with { SessionId = SessionIds.New() }).GetHashCode());
    }

    [Fact]
    public void Launches_that_differ_in_arguments_environment_directory_or_executable_do_not_match()
    {
        Assert.NotEqual(Key(Base), Key(Base with { Model = "opus" }));
        Assert.NotEqual(Key(Base), Key(Base with { SystemPrompt = "be brief" }));
        Assert.NotEqual(Key(Base), Key(Base with { Environment = new Dictionary<string, string> { ["A"] = "2", ["ANTHROPIC_API_KEY"] = "sk-secret-value" } }));
        Assert.NotEqual(Key(Base), Key(Base with { WorkingDirectory = "/" }));
        Assert.NotEqual(Key(Base), Key(Base, "/opt/other/claude"));
        Assert.NotEqual(Key(Base), Key(Base with { ExtraArgs = new Dictionary<string, string?> { ["--debug"] = null } }));
    }

    [Fact]
    public void The_printed_key_is_a_short_hash_that_never_shows_a_secret()
    {
        var text = Key(Base).ToString();
        Assert.StartsWith("profile-", text);
        Assert.DoesNotContain("sk-secret-value", text);
        Assert.DoesNotContain("sonnet", text);
    }

    [Fact]
    public void Resume_continue_fork_a_chosen_id_and_callbacks_never_take_a_warm_cli()
    {
        Assert.Null(WarmPoolEligibility.Refusal(Base));
        Assert.NotNull(WarmPoolEligibility.Refusal(Base with { Resume = SessionIds.New() }));
        Assert.NotNull(WarmPoolEligibility.Refusal(Base with { Continue = true }));
        Assert.NotNull(WarmPoolEligibility.Refusal(Base with { Continue = true, ForkSession = true }));
        Assert.NotNull(WarmPoolEligibility.Refusal(Base with { SessionId = SessionIds.New() }));
        var permissions = CallbackHandler.Delegate<ToolPermissionRequest, PermissionDecision>((_, _) => Task.FromResult<PermissionDecision>(PermissionDecision.Allow()));
        Assert.NotNull(WarmPoolEligibility.Refusal(Base with { Callbacks = new SessionCallbacks { Permissions = permissions } }));
    }

    [Fact]
    public void The_plan_fills_each_profile_to_its_size_within_the_limit_and_the_room_and_skips_one_backing_off()
    {
        Assert.Equal(new[] { 2, 1 }, WarmPoolPlan.ToStart([(2, 0, false), (1, 0, false)], limit: null, room: int.MaxValue));
        Assert.Equal(new[] { 1, 0 }, WarmPoolPlan.ToStart([(2, 1, false), (1, 1, false)], limit: null, room: int.MaxValue));
        Assert.Equal(new[] { 2, 0 }, WarmPoolPlan.ToStart([(2, 0, false), (1, 0, false)], limit: 2, room: int.MaxValue));
        Assert.Equal(new[] { 1, 0 }, WarmPoolPlan.ToStart([(2, 0, false), (1, 0, false)], limit: null, room: 1));
        Assert.Equal(new[] { 0, 1 }, WarmPoolPlan.ToStart([(2, 0, true), (1, 0, false)], limit: null, room: int.MaxValue));
        Assert.Equal(new[] { 0 }, WarmPoolPlan.ToStart([(2, 0, false)], limit: null, room: -3));
    }

    [Fact]
    public void The_plan_gives_up_idle_clis_above_the_limit_and_backs_off_exponentially_up_to_30_seconds()
    {
        Assert.Equal(0, WarmPoolPlan.ToStop(held: 3, idle: 3, limit: null));
        Assert.Equal(2, WarmPoolPlan.ToStop(held: 3, idle: 3, limit: 1));
        Assert.Equal(1, WarmPoolPlan.ToStop(held: 3, idle: 1, limit: 0));
        Assert.Equal(TimeSpan.Zero, WarmPoolPlan.Backoff(0));
        Assert.Equal(TimeSpan.FromMilliseconds(250), WarmPoolPlan.Backoff(1));
        Assert.Equal(TimeSpan.FromMilliseconds(1000), WarmPoolPlan.Backoff(3));
        Assert.Equal(TimeSpan.FromSeconds(30), WarmPoolPlan.Backoff(50));
    }
}
