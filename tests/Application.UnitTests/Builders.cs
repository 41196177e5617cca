using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using TaskService.Application.Tasks.Commands.CreateTask;
using TaskService.Application.Tasks.Commands.UpdateTask;
using TaskService.Domain.Tasks;

namespace TaskService.Application.UnitTests;

internal static class Clock
{
    /// <summary>"Now" in every test: deliberately not on a millisecond boundary.</summary>
    public static readonly DateTimeOffset Now = new DateTimeOffset(2030, 1, 1, 12, 0, 0, 123, TimeSpan.Zero).AddTicks(4567);

    /// <summary><see cref="Now"/> as the service keeps it: UTC, whole milliseconds.</summary>
    public static readonly DateTime NowAtMilliseconds = new(2030, 1, 1, 12, 0, 0, 123, DateTimeKind.Utc);

    public static FakeTimeProvider Fake() => new(Now);
}

internal static class Json
{
    public static JsonElement Element(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

internal static class Commands
{
    public const string DataJson = """{"b":1,"a":[1.0,2,"x"],"nested":{"ok":true}}""";

    public static CreateTaskCommand ValidCreate() => new(
        "nightly-report",
        "report.generate",
        5,
        Json.Element(DataJson),
        Clock.Now.AddMinutes(5),
        Clock.Now.AddHours(1));

    public static TaskUpdate ValidUpdateBody() => new(
        9,
        Json.Element("""{"updated":1.5}"""),
        Clock.Now.AddMinutes(30),
        Clock.Now.AddHours(2));

    public static UpdateTaskCommand ValidUpdate(string taskId) => new(taskId, ValidUpdateBody());
}

/// <summary>Builds domain tasks in a given state through the aggregate's own methods.</summary>
internal static class Tasks
{
    public const string WorkerClaim = "worker-claim";

    public static BackgroundTask Pending(string name = "seeded", int priority = 1) => BackgroundTask.Create(
        name,
        "type-a",
        priority,
        TaskData.Parse("""{"seed":true}"""),
        Clock.Now.UtcDateTime.AddMinutes(-10),
        Clock.Now.UtcDateTime.AddHours(1),
        Clock.Now.UtcDateTime.AddMinutes(-20));

    public static BackgroundTask Running(string name = "seeded")
    {
        var task = Pending(name);
        task.Start(Clock.Now.UtcDateTime.AddMinutes(-5), WorkerClaim, Clock.Now.UtcDateTime.AddMinutes(5));
        return task;
    }

    public static BackgroundTask Completed(string name = "seeded")
    {
        var task = Running(name);
        task.Complete(Clock.Now.UtcDateTime.AddMinutes(-1), WorkerClaim);
        return task;
    }

    public static BackgroundTask Failed(string name = "seeded")
    {
        var task = Running(name);
        task.Fail(Clock.Now.UtcDateTime.AddMinutes(-1), WorkerClaim, "boom");
        return task;
    }
}
