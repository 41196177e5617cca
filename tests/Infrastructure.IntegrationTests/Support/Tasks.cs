using TaskService.Domain.Tasks;

namespace TaskService.Infrastructure.IntegrationTests.Support;

/// <summary>Builds tasks, and drives them through the domain's own transitions, for the store tests.</summary>
public static class Tasks
{
    /// <summary>A fixed clock with sub-millisecond ticks, which the domain truncates to milliseconds.</summary>
    public static readonly DateTime Now = new DateTime(2031, 4, 5, 6, 7, 8, 123, DateTimeKind.Utc).AddTicks(4567);

    public static string UniqueName(string prefix = "task") => $"{prefix}-{Guid.NewGuid():N}";

    public static BackgroundTask New(
        string? name = null, string type = "contract-type", int priority = 3, string data = """{"k":1}""", DateTime? now = null) =>
        BackgroundTask.Create(
            name ?? UniqueName(),
            type,
            priority,
            TaskData.Parse(data),
            availableTime: (now ?? Now).AddMinutes(-1),
            expirationTime: (now ?? Now).AddDays(1),
            now: now ?? Now);

    /// <summary>pending → running with a fresh claim token; returns the token.</summary>
    public static string Start(BackgroundTask task, DateTime? now = null)
    {
        var token = $"claim-{Guid.NewGuid():N}";
        var at = now ?? task.ModifiedTime.AddSeconds(1);
        task.Start(at, token, at.AddMinutes(5).AddTicks(9876));
        return token;
    }

    /// <summary>Every state the state machine reaches, each by its own path, with the fields that path sets.</summary>
    public static IEnumerable<TestCaseData> Paths()
    {
        yield return Path("pending, never run", (_, _) => Task.CompletedTask);
        yield return Path("running", async (task, save) =>
        {
            Start(task);
            await save();
        });
        yield return Path("completed with new data", async (task, save) =>
        {
            var token = Start(task);
            await save();
            task.Complete(task.ModifiedTime.AddMilliseconds(2500).AddTicks(3), token, TaskData.Parse("""{"result":[1,2.5,"three"],"ok":true}"""));
            await save();
        });
        yield return Path("failed with an error", async (task, save) =>
        {
            var token = Start(task);
            await save();
            task.Fail(task.ModifiedTime.AddMilliseconds(1234), token, "Boom: \"quoted\", back\\slash, new\nline, tab\t, ünïcødé 日本語 🎉.");
            await save();
        });
        yield return Path("failed with an error truncated to the maximum length", async (task, save) =>
        {
            var token = Start(task);
            await save();
            task.Fail(task.ModifiedTime.AddSeconds(1), token, string.Concat(Enumerable.Repeat("é🎉x", BackgroundTask.MaxErrorLength)));
            await save();
        });
        yield return Path("failed with an error whose truncation falls inside a surrogate pair", async (task, save) =>
        {
            var token = Start(task);
            await save();
            task.Fail(task.ModifiedTime.AddSeconds(1), token, string.Concat(Enumerable.Repeat("🎉", BackgroundTask.MaxErrorLength)));
            await save();
        });
        yield return Path("pending again after a retry, with the last error", async (task, save) =>
        {
            var token = Start(task);
            await save();
            task.Reschedule(task.ModifiedTime.AddSeconds(2), token, task.ModifiedTime.AddHours(1), "transient: try later");
            await save();
        });
        yield return Path("pending again after a repeat, without an error, twice", async (task, save) =>
        {
            for (var run = 0; run < 2; run++)
            {
                var token = Start(task, task.AvailableTime.AddSeconds(1));
                await save();
                task.Reschedule(task.ModifiedTime.AddMilliseconds(10), token, task.ModifiedTime.AddMinutes(30), data: TaskData.Parse($$"""{"run":{{run}}}"""));
                await save();
            }
        });
        yield return Path("failed as expired by a reschedule past the expiration time", async (task, save) =>
        {
            var token = Start(task);
            await save();
            task.Reschedule(task.ModifiedTime.AddSeconds(1), token, task.ExpirationTime.AddDays(1), "last straw");
            await save();
        });
    }

    private static TestCaseData Path(string name, Func<BackgroundTask, Func<Task>, Task> drive) =>
        new TestCaseData(new TaskPath(name, drive)).SetArgDisplayNames(name);
}

/// <summary>A way through the state machine: <see cref="Drive"/> changes the task and calls save after each change.</summary>
public sealed record TaskPath(string Name, Func<BackgroundTask, Func<Task>, Task> Drive)
{
    public override string ToString() => Name;
}
