using ClaudeActors.Process;
using Xunit;

namespace ClaudeActors.Tests.Process;

/// <summary>The node's CLI admission logic on its own: estimates, least-recently-used release, the bounded FIFO, the count cap.</summary>
public sealed class CliBudgetTests
{
    private const long MiB = 1L << 20;
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static CliBudget<string> Budget(long? budgetMiB, int maxLive = int.MaxValue, int maxWaiting = 4, long estimateMiB = 100) =>
        new(new CliBudgetSettings(budgetMiB * MiB, maxLive, estimateMiB * MiB, maxWaiting, TimeSpan.FromSeconds(10)));

    /// <summary>Admits <paramref name="key"/>, measures it and marks it idle.</summary>
    private static void Live(CliBudget<string> budget, string key, long mib)
    {
        Assert.Equal([key], budget.Request(key, T0).Admit);
        budget.Measured(key, mib * MiB);
        budget.Activity(key, busy: false);
    }

    [Fact]
    public void Starts_within_the_budget_are_admitted_at_once_and_count_at_the_estimate_until_measured()
    {
        var budget = Budget(300);
        Assert.Equal(["a"], budget.Request("a", T0).Admit);
        Assert.Equal(100 * MiB, budget.Used);
        budget.Measured("a", 120 * MiB);
        Assert.Equal(120 * MiB, budget.Used);
        Assert.Equal(120 * MiB, budget.Estimate); // the median of the measured live CLIs
    }

    [Fact]
    public void The_estimate_is_the_median_of_the_measured_live_clis()
    {
        var budget = Budget(null);
        Live(budget, "a", 100);
        Live(budget, "b", 300);
        Assert.Equal(200 * MiB, budget.Estimate);
        Live(budget, "c", 150);
        Assert.Equal(150 * MiB, budget.Estimate);
        budget.Gone("b");
        Assert.Equal(125 * MiB, budget.Estimate);
    }

    [Fact]
    public void A_start_over_the_budget_releases_the_least_recently_used_idle_cli_and_is_admitted_once_it_has_gone()
    {
        var budget = Budget(250);
        Live(budget, "old", 100);
        Live(budget, "recent", 100);
        budget.Activity("old", busy: true);
        budget.Activity("old", busy: false); // used after "recent": now "recent" is the least recently used
        var decision = budget.Request("new", T0);
        Assert.Empty(decision.Admit);
        Assert.Equal(["recent"], decision.Release);
        Assert.Equal(1, budget.WaitingCount);
        Assert.Empty(budget.Measured("old", 100 * MiB).Release); // asked once, not again
        Assert.Equal(["new"], budget.Gone("recent").Admit);
        Assert.Equal(0, budget.WaitingCount);
    }

    [Fact]
    public void Busy_clis_are_never_asked_to_go_and_a_start_waits_for_one_to_become_idle()
    {
        var budget = Budget(250);
        Live(budget, "a", 100);
        Live(budget, "b", 100);
        budget.Activity("a", busy: true);
        budget.Activity("b", busy: true);
        var decision = budget.Request("c", T0);
        Assert.True(decision.Admit.Count == 0 && decision.Release.Count == 0);
        Assert.Equal(["b"], budget.Activity("b", busy: false).Release);
    }

    [Fact]
    public void A_release_that_cannot_make_room_is_not_asked_for()
    {
        var budget = Budget(250);
        Live(budget, "small", 20);
        Live(budget, "big", 200);
        budget.Activity("big", busy: true);
        // Releasing "small" leaves 200 MiB + the 110 MiB estimate: still over; nothing is released for nothing.
        var decision = budget.Request("c", T0);
        Assert.Empty(decision.Release);
        Assert.Empty(decision.Admit);
    }

    [Fact]
    public void Waiting_starts_are_admitted_first_in_first_out()
    {
        var budget = Budget(200, estimateMiB: 100);
        Assert.Single(budget.Request("a", T0).Admit);
        Assert.Single(budget.Request("b", T0).Admit);
        Assert.Empty(budget.Request("c", T0).Admit);
        Assert.Empty(budget.Request("d", T0).Admit);
        Assert.Equal(["c"], budget.Gone("a").Admit);
        Assert.Equal(["d"], budget.Gone("b").Admit);
    }

    [Fact]
    public void The_wait_is_bounded_in_length_and_in_time()
    {
        var budget = Budget(100, maxWaiting: 1);
        Assert.Single(budget.Request("a", T0).Admit);
        Assert.Empty(budget.Request("b", T0).Refuse); // waits
        var full = budget.Request("c", T0);
        Assert.Equal("c", Assert.Single(full.Refuse).Key); // the queue is full: refused at once
        Assert.Equal(T0 + TimeSpan.FromSeconds(10), budget.NextDeadline);
        Assert.Empty(budget.Expire(T0 + TimeSpan.FromSeconds(9)).Refuse);
        var expired = Assert.Single(budget.Expire(T0 + TimeSpan.FromSeconds(10)).Refuse);
        Assert.Equal("b", expired.Key);
        Assert.Contains("no room within 10 s", expired.Reason);
        Assert.Equal(0, budget.WaitingCount);
    }

    [Fact]
    public void A_budget_smaller_than_one_cli_refuses_at_once()
    {
        var budget = Budget(50, estimateMiB: 100);
        Assert.Contains("smaller than one CLI", Assert.Single(budget.Request("a", T0).Refuse).Reason);
    }

    [Fact]
    public void The_count_cap_is_a_second_limit()
    {
        var budget = Budget(null, maxLive: 2);
        Live(budget, "a", 10);
        Live(budget, "b", 10);
        var decision = budget.Request("c", T0);
        Assert.Equal(["a"], decision.Release);
        Assert.Equal(["c"], budget.Gone("a").Admit);
    }

    [Fact]
    public void Growth_over_the_budget_releases_idle_clis_until_it_fits_again()
    {
        var budget = Budget(300);
        Live(budget, "a", 100);
        Live(budget, "b", 100);
        budget.Activity("b", busy: true);
        Assert.Equal(["a"], budget.Measured("b", 250 * MiB).Release);
    }

    [Fact]
    public void A_declined_release_may_be_asked_again_and_a_withdrawn_start_leaves_the_queue()
    {
        var budget = Budget(150);
        Live(budget, "a", 100);
        Assert.Equal(["a"], budget.Request("b", T0).Release);
        budget.Activity("a", busy: true); // declined: it got a query meanwhile
        Assert.Equal(["a"], budget.Activity("a", busy: false).Release);
        budget.Gone("b"); // the waiting start gave up
        Assert.Equal(0, budget.WaitingCount);
        Assert.True(budget.IsLive("a"));
    }

    [Fact]
    public void A_running_cli_adopted_from_the_warm_pool_counts_at_once_even_over_the_budget_and_the_next_start_waits()
    {
        var budget = Budget(250);
        Live(budget, "a", 120);
        Assert.Empty(budget.Adopt("warm").Admit); // not a start: it runs already, and is counted now
        Assert.True(budget.IsLive("warm"));
        Assert.Equal(240 * MiB, budget.Used); // 120 measured + the estimate for the adopted one (the median, 120)
        var next = budget.Request("c", T0);
        Assert.Empty(next.Admit); // no room: the idle "a" is asked to go first
        Assert.Equal(["a"], next.Release);
    }
}
