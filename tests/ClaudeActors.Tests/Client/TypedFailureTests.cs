using System.Reflection;
using System.Text.Json;
using Akka.Actor;
using ClaudeActors.Client;
using ClaudeActors.Protocol;
using ClaudeActors.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace ClaudeActors.Tests.Client;

/// <summary>
/// Every public async member of the facade fails typed and fast on a session that cannot answer — stopped, failed
/// past its restart bound, or one the system never had — never by waiting for an ask timeout. The members are found
/// by reflection, so a new one cannot slip past.
/// </summary>
public sealed class TypedFailureTests(ITestOutputHelper output) : SessionTestKit(output)
{
    // Far below the facade's ask timeouts (90 s and more): a member that waits for one fails here.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    // Members that do not ask the session a question: StopAsync and DisposeAsync are idempotent (stopping a stopped
    // session is no error), IsAliveAsync answers false, WaitUntilReadyAsync has its own test.
    private static readonly HashSet<string> NotQuestions = ["StopAsync", "DisposeAsync", "IsAliveAsync"];

    public static IEnumerable<MethodInfo> Members() =>
        typeof(ClaudeSession).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !NotQuestions.Contains(m.Name) && (IsTask(m.ReturnType) || IsStream(m.ReturnType)));

    [Fact]
    public async Task Every_member_fails_typed_and_fast_on_a_stopped_session()
    {
        var session = await StartFakeAsync();
        await session.StopAsync();
        await AssertEveryMemberFailsTyped(session, FailureKind.SessionStopped);
        Assert.False(await session.IsAliveAsync());
        await session.StopAsync(); // again: no error
    }

    [Fact]
    public async Task Every_member_fails_typed_and_fast_on_a_session_failed_past_its_restart_bound()
    {
        var session = await StartFakeAsync(o => o with { Restart = new RestartPolicy { MaxRestarts = 0, MinBackoff = TimeSpan.FromMilliseconds(10) } });
        await Assert.ThrowsAsync<CliCrashedException>(() => session.FinalTextAsync("[crash] die"));
        await AwaitConditionAsync(async () => !await session.IsAliveAsync(), TimeSpan.FromSeconds(10));
        await AssertEveryMemberFailsTyped(session, FailureKind.SessionStopped);
    }

    [Fact]
    public async Task Every_member_fails_typed_and_fast_on_a_session_the_system_never_had()
    {
        var sessions = new ClaudeSessionsClient(Sys);
        await Assert.ThrowsAsync<SessionNotFoundException>(() => sessions.GetAsync("never-started").WaitAsync(Bound));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => sessions.TerminateAsync("never-started").WaitAsync(Bound));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => sessions.RestartAsync("never-started").WaitAsync(Bound));
        await Assert.ThrowsAsync<InvalidSessionOptionsException>(() => sessions.StartAsync(new SessionOptions { Name = "bad name/" }).WaitAsync(Bound));
        // A handle to an actor that is not (or no longer) there, as a stale reference would be.
        var gone = Sys.ActorOf(Akka.Actor.Props.Empty);
        await gone.GracefulStop(Bound);
        await AssertEveryMemberFailsTyped(ClaudeSession.For(Sys, "never-started", gone), FailureKind.SessionStopped);
    }

    internal static async Task AssertEveryMemberFailsTyped(ClaudeSession session, FailureKind expected)
    {
        var checkedMembers = new List<string>();
        foreach (var member in Members())
        {
            var call = member.Invoke(session, member.GetParameters().Select(Sample).ToArray())!;
            var exception = await Record.ExceptionAsync(() => Await(call).WaitAsync(Bound));
            Assert.True(exception is ClaudeSessionException, $"{member.Name}: {exception?.GetType().Name ?? "no exception"} {exception?.Message}");
            Assert.True(((ClaudeSessionException)exception!).Failure.Kind == expected, $"{member.Name}: {((ClaudeSessionException)exception).Failure}");
            checkedMembers.Add(member.Name);
        }
        Assert.Contains("GetInfoAsync", checkedMembers);
        Assert.Contains("StreamAsync", checkedMembers);
        Assert.True(checkedMembers.Count >= 25, string.Join(", ", checkedMembers));
    }

    private static bool IsTask(Type type) => typeof(Task).IsAssignableFrom(type) || type == typeof(ValueTask) ||
                                             type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>);

    private static bool IsStream(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>);

    private static async Task Await(object call)
    {
        switch (call)
        {
            case Task task:
                await task;
                break;
            case ValueTask valueTask:
                await valueTask;
                break;
            case IAsyncEnumerable<ClaudeMessage> stream:
                await foreach (var _ in stream) { }
                break;
            default:
                throw new InvalidOperationException("Cannot await " + call.GetType());
        }
    }

    private static object? Sample(ParameterInfo parameter)
    {
        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        if (type == typeof(string)) return "x";
        if (type == typeof(CancellationToken)) return CancellationToken.None;
        if (type == typeof(bool)) return false;
        if (type == typeof(int)) return 1000;
        if (type == typeof(TimeSpan)) return TimeSpan.FromSeconds(30);
        if (type == typeof(PermissionMode)) return PermissionMode.Default;
        if (type == typeof(JsonElement)) return null;
        if (type == typeof(IReadOnlyDictionary<string, JsonElement>)) return new Dictionary<string, JsonElement>();
        if (parameter.HasDefaultValue) return parameter.DefaultValue;
        throw new InvalidOperationException($"No sample for {parameter.Name}: {parameter.ParameterType}");
    }
}
