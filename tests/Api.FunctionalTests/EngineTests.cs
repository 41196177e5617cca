using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TaskService.Api.FunctionalTests.Support;
using TaskService.Application.Tasks.Execution;
using TaskService.Domain.Tasks;

namespace TaskService.Api.FunctionalTests;

/// <summary>The execution engine end to end, through the API, on both stores, with a scripted runner.</summary>
[TestFixture("Mongo")]
[TestFixture("Sqlite")]
public sealed class EngineTests(string provider)
{
    private static readonly Dictionary<string, string?> FastEngine = new()
    {
        ["Engine:PollInterval"] = "00:00:00.050",
        ["Engine:LeaseDuration"] = "00:00:01.500",
        ["Engine:SweepInterval"] = "00:00:00.100",
        ["Engine:ShutdownGracePeriod"] = "00:00:00.300",
        ["Engine:Retry:MaxAttempts"] = "3",
        ["Engine:Retry:BaseDelay"] = "00:00:00.050",
        ["Engine:Retry:MaxDelay"] = "00:00:00.100",
        // One run at a time: a task a test takes away from the engine cannot be claimed again behind its back.
        [$"Engine:Types:{ScriptedRunner.Type}:MaxConcurrency"] = "1",
    };

    private TaskServiceFactory _factory = null!;
    private HttpClient _client = null!;
    private ScriptedRunner _runner = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _runner = new ScriptedRunner();
        _factory = await TaskServiceFactory.CreateAsync(provider, FastEngine, services => services.AddSingleton<ITaskRunner>(_runner));
        _client = _factory.CreateAuthorizedClient();
    }

    [TearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [Test]
    public async Task Run_WhenRunnerCompletes_EndsCompletedWithRunTimeAndDuration()
    {
        var id = await CreateAsync("complete");
        var task = await WaitForStateAsync(id, "completed");
        Assert.That(task["runTime"]!.GetValue<string>(), Does.Match(@"Z$"));
        Assert.That(task["duration"]!.GetValue<double>(), Is.GreaterThanOrEqualTo(0));
        Assert.That(task.ContainsKey("error"), Is.False);
        Assert.That(_runner.Started.Single(run => run.Id == id).Attempt, Is.EqualTo(1));
    }

    [Test]
    public async Task Run_WhenRunnerReturnsData_StoresIt()
    {
        var id = await CreateAsync("complete-with-data");
        var task = await WaitForStateAsync(id, "completed");
        Assert.That(task["data"]!.ToJsonString(), Is.EqualTo("""{"result":"from runner"}"""));
    }

    [Test]
    public async Task Run_WhenRunnerFails_EndsFailedWithItsErrorAndNoRetry()
    {
        var id = await CreateAsync("fail");
        var task = await WaitForStateAsync(id, "failed");
        Assert.That(task["error"]!.GetValue<string>(), Is.EqualTo("the runner said no"));
        Assert.That(_runner.Started.Count(run => run.Id == id), Is.EqualTo(1));
    }

    [Test]
    public async Task Run_WhenRunnerThrows_RetriesThenFailsWithTheLastError()
    {
        var id = await CreateAsync("throw");
        var task = await WaitForStateAsync(id, "failed");
        var attempts = _runner.Started.Where(run => run.Id == id).Select(run => run.Attempt).ToList();
        Assert.That(attempts, Is.EqualTo(new[] { 1, 2, 3 }), "Engine:Retry:MaxAttempts is 3");
        Assert.That(task["error"]!.GetValue<string>(), Does.Contain("boom on attempt 3").And.Contain("gave up after 3 attempts"));
    }

    [Test]
    public async Task Run_WhenRunnerAsksToRunAgain_ReturnsToPendingAtThatTime()
    {
        var id = await CreateAsync("again");
        var task = await WaitForAsync(id, t => t["state"]!.GetValue<string>() == "pending" && t.ContainsKey("runTime"));
        Assert.That(DateTime.Parse(task["availableTime"]!.GetValue<string>(), null, System.Globalization.DateTimeStyles.RoundtripKind),
            Is.GreaterThan(DateTime.UtcNow.AddMinutes(50)));
        Assert.That(task["error"]!.GetValue<string>(), Is.EqualTo("see you later"));
    }

    [Test]
    public async Task Claims_FollowPriorityThenAvailableTimeThenCreation()
    {
        await using var factory = await TaskServiceFactory.CreateAsync(provider, new Dictionary<string, string?> { ["Engine:Enabled"] = "false" });
        var repository = factory.Services.GetRequiredService<ITaskRepository>();
        var store = factory.Services.GetRequiredService<ITaskDispatchStore>();
        var now = DateTime.UtcNow;
        var type = $"order-{Guid.NewGuid():N}";
        async Task<string> Add(string name, int priority, DateTime available, DateTime created, string? ofType = null)
        {
            var task = BackgroundTask.Create($"{name}-{Guid.NewGuid():N}", ofType ?? type, priority, TaskData.Empty, available, now.AddHours(1), created);
            await repository.AddAsync(task, CancellationToken.None);
            return task.Id.Value;
        }

        var low = await Add("low", 1, now.AddSeconds(-30), now.AddSeconds(-30));
        var highLater = await Add("high-later", 9, now.AddSeconds(-10), now.AddSeconds(-20));
        var highEarlierCreatedLater = await Add("high-earlier-b", 9, now.AddSeconds(-20), now.AddSeconds(-5));
        var highEarlierCreatedFirst = await Add("high-earlier-a", 9, now.AddSeconds(-20), now.AddSeconds(-25));
        await Add("not-yet", 99, now.AddMinutes(10), now.AddSeconds(-1));
        await Add("other-type-is-ignored", 50, now.AddSeconds(-1), now.AddSeconds(-1), ofType: $"other-{type}");

        var order = new List<string>();
        while (await store.ClaimNextAsync([type], DateTime.UtcNow, "token", DateTime.UtcNow.AddMinutes(1), CancellationToken.None) is { } claimed)
        {
            order.Add(claimed.Id.Value);
            Assert.That(claimed.State, Is.EqualTo(TaskState.Running));
            Assert.That(claimed.Attempts, Is.EqualTo(1));
        }

        Assert.That(order, Is.EqualTo(new[] { highEarlierCreatedFirst, highEarlierCreatedLater, highLater, low }));
    }

    [Test]
    public async Task Claim_WhenManyClaimersRace_EachTaskIsClaimedOnce()
    {
        await using var factory = await TaskServiceFactory.CreateAsync(provider, new Dictionary<string, string?> { ["Engine:Enabled"] = "false" });
        var repository = factory.Services.GetRequiredService<ITaskRepository>();
        var store = factory.Services.GetRequiredService<ITaskDispatchStore>();
        var type = $"race-{Guid.NewGuid():N}";
        var now = DateTime.UtcNow;
        for (var i = 0; i < 30; i++)
        {
            await repository.AddAsync(BackgroundTask.Create($"race-{i}-{Guid.NewGuid():N}", type, 1, TaskData.Empty, now, now.AddHours(1), now), CancellationToken.None);
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var mine = new List<string>();
            while (await store.ClaimNextAsync([type], DateTime.UtcNow, $"worker-{worker}", DateTime.UtcNow.AddMinutes(1), CancellationToken.None) is { } claimed)
            {
                mine.Add(claimed.Id.Value);
            }

            return mine;
        })));

        var all = claims.SelectMany(ids => ids).ToList();
        Assert.That(all, Has.Count.EqualTo(30));
        Assert.That(all, Is.Unique);
    }

    [Test]
    public async Task Fencing_WhenClaimTokenIsStale_TheWriteChangesNothing()
    {
        var id = await CreateAsync("block");
        await WaitForStateAsync(id, "running");
        var recorder = _factory.Services.GetRequiredService<RunRecorder>();
        var before = await GetAsync(id);
        var staleRun = new TaskRun(id, "n", ScriptedRunner.Type, 1, JsonDocument.Parse("{}").RootElement, 1);

        var result = await recorder.RecordAsync(staleRun, "a-stale-token", RunOutcome.Completed(), RetryPolicy.Default, CancellationToken.None);

        Assert.That(result, Is.EqualTo(RecordResult.ClaimLost));
        var after = await GetAsync(id);
        Assert.That(after["state"]!.GetValue<string>(), Is.EqualTo("running"));
        Assert.That(after["modifiedTime"]!.GetValue<string>(), Is.EqualTo(before["modifiedTime"]!.GetValue<string>()));
        _runner.Open(id, RunOutcome.Completed());
        await WaitForStateAsync(id, "completed");
    }

    [Test]
    public async Task Update_DuringARun_IsKeptAndTheRunnersDataIsDropped()
    {
        var id = await CreateAsync("block");
        await WaitForStateAsync(id, "running");

        using var update = await _client.PutAsync($"/v1/tasks/{id}", Json(new JsonObject
        {
            ["priority"] = 77,
            ["data"] = new JsonObject { ["action"] = "block", ["edited"] = true },
            ["availableTime"] = DateTime.UtcNow.ToString("O"),
            ["expirationTime"] = DateTime.UtcNow.AddHours(3).ToString("O"),
        }));
        Assert.That(update.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        _runner.Open(id, RunOutcome.Completed(JsonDocument.Parse("""{"runner":"data"}""").RootElement));

        var task = await WaitForStateAsync(id, "completed");
        Assert.That(task["priority"]!.GetValue<int>(), Is.EqualTo(77));
        Assert.That(task["data"]!.ToJsonString(), Is.EqualTo("""{"action":"block","edited":true}"""));
    }

    [Test]
    public async Task Delete_DuringARun_DeletesAndCancelsTheRunPromptly()
    {
        var id = await CreateAsync("block");
        await WaitForStateAsync(id, "running");

        using var delete = await _client.DeleteAsync($"/v1/tasks/{id}");
        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        await WaitUntilAsync(() => _runner.Cancelled.Contains(id), "the run was not cancelled");
        using var read = await _client.GetAsync($"/v1/tasks/{id}");
        Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Reclaim_DuringARun_CancelsTheRunAndItsOutcomeIsNotWritten()
    {
        var id = await CreateAsync("block");
        await WaitForStateAsync(id, "running");
        var repository = _factory.Services.GetRequiredService<ITaskRepository>();
        var store = _factory.Services.GetRequiredService<ITaskDispatchStore>();
        // Another worker takes the task over, as after a lease that ran out: give it back, then claim it with another token.
        var task = (await repository.GetAsync(TaskId.Parse(id), CancellationToken.None))!;
        task.Release(DateTime.UtcNow, task.ClaimToken!);
        Assert.That(await repository.SaveAsync(task, CancellationToken.None), Is.True);
        var other = await store.ClaimNextAsync([ScriptedRunner.Type], DateTime.UtcNow, "another-worker", DateTime.UtcNow.AddMinutes(5), CancellationToken.None);
        Assert.That(other?.Id.Value, Is.EqualTo(id));

        await WaitUntilAsync(() => _runner.Cancelled.Contains(id), "the superseded run was not cancelled");
        _runner.Open(id, RunOutcome.Completed());
        await Task.Delay(300);
        var stored = (await repository.GetAsync(TaskId.Parse(id), CancellationToken.None))!;
        Assert.That(stored.State, Is.EqualTo(TaskState.Running));
        Assert.That(stored.ClaimToken, Is.EqualTo("another-worker"));
    }

    [Test]
    public async Task Shutdown_LetsARunThatFinishesWithinTheGracePeriodComplete()
    {
        await using var factory = await TaskServiceFactory.CreateAsync(
            provider, new Dictionary<string, string?>(FastEngine) { ["Engine:ShutdownGracePeriod"] = "00:00:05" }, services => services.AddSingleton<ITaskRunner>(_runner));
        using var client = factory.CreateAuthorizedClient();
        var id = await CreateAsync("block", client);
        await WaitForAsync(id, task => task["state"]!.GetValue<string>() == "running", client);

        var stopping = factory.Services.GetRequiredService<TaskService.Infrastructure.Engine.TaskEngine>().StopAsync(CancellationToken.None);
        await Task.Delay(200);
        Assert.That(stopping.IsCompleted, Is.False, "the engine waits for the running task");
        _runner.Open(id, RunOutcome.Completed());
        await stopping;

        var task = (await factory.Services.GetRequiredService<ITaskRepository>().GetAsync(TaskId.Parse(id), CancellationToken.None))!;
        Assert.That(task.State, Is.EqualTo(TaskState.Completed));
    }

    [Test]
    public async Task Sweep_WhenPendingTaskExpires_FailsItAsExpired()
    {
        var repository = _factory.Services.GetRequiredService<ITaskRepository>();
        var created = DateTime.UtcNow.AddSeconds(-10);
        // A type no runner handles, so only the expiration can end it.
        var task = BackgroundTask.Create($"expiring-{Guid.NewGuid():N}", "nobody-runs-this", 1, TaskData.Empty, created, DateTime.UtcNow.AddMilliseconds(300), created);
        await repository.AddAsync(task, CancellationToken.None);

        var stored = await WaitForStateAsync(task.Id.Value, "failed");
        Assert.That(stored["error"]!.GetValue<string>(), Does.Contain("expired"));
    }

    [Test]
    public async Task Sweep_WhenLeaseRunsOut_ReturnsTheTaskToPendingOrFailsItWhenAttemptsAreUsedUp()
    {
        var repository = _factory.Services.GetRequiredService<ITaskRepository>();
        var store = _factory.Services.GetRequiredService<ITaskDispatchStore>();
        var now = DateTime.UtcNow;
        var type = "dead-worker-type";
        var retryable = BackgroundTask.Create($"lease-{Guid.NewGuid():N}", type, 1, TaskData.Empty, now, now.AddHours(1), now);
        await repository.AddAsync(retryable, CancellationToken.None);
        // A worker that claims and then dies: nobody renews the short lease.
        var claimed = await store.ClaimNextAsync([type], DateTime.UtcNow, "dead-worker", DateTime.UtcNow.AddMilliseconds(200), CancellationToken.None);
        Assert.That(claimed!.Id, Is.EqualTo(retryable.Id));

        var recovered = await WaitForAsync(retryable.Id.Value, t => t["state"]!.GetValue<string>() == "pending" && t.ContainsKey("error"));
        Assert.That(recovered["error"]!.GetValue<string>(), Does.Contain("lease"));

        for (var attempt = 2; attempt <= 3; attempt++)
        {
            Assert.That(await store.ClaimNextAsync([type], DateTime.UtcNow, $"dead-{attempt}", DateTime.UtcNow.AddMilliseconds(200), CancellationToken.None), Is.Not.Null);
            if (attempt < 3)
            {
                await WaitForStateAsync(retryable.Id.Value, "pending");
            }
        }

        var failed = await WaitForStateAsync(retryable.Id.Value, "failed");
        Assert.That(failed["error"]!.GetValue<string>(), Does.Contain("Gave up after 3 attempts"));
    }

    [Test]
    public async Task Shutdown_GivesRunningTasksBackToPendingWithoutCountingTheAttempt()
    {
        var id = await CreateAsync("block");
        await WaitForStateAsync(id, "running");

        await _factory.Services.GetRequiredService<TaskService.Infrastructure.Engine.TaskEngine>().StopAsync(CancellationToken.None);

        var repository = _factory.Services.GetRequiredService<ITaskRepository>();
        var task = (await repository.GetAsync(TaskId.Parse(id), CancellationToken.None))!;
        Assert.That(task.State, Is.EqualTo(TaskState.Pending));
        Assert.That(task.Attempts, Is.Zero);
        Assert.That(task.ClaimToken, Is.Null);
        Assert.That(task.AvailableTime, Is.LessThanOrEqualTo(DateTime.UtcNow));
    }

    private Task<string> CreateAsync(string action) => CreateAsync(action, _client);

    private static async Task<string> CreateAsync(string action, HttpClient client)
    {
        var body = new JsonObject
        {
            ["name"] = $"engine-{action}-{Guid.NewGuid():N}",
            ["type"] = ScriptedRunner.Type,
            ["priority"] = 1,
            ["data"] = new JsonObject { ["action"] = action },
            ["availableTime"] = DateTime.UtcNow.ToString("O"),
            ["expirationTime"] = DateTime.UtcNow.AddHours(2).ToString("O"),
        };
        using var response = await client.PostAsync("/v1/tasks", Json(body));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private async Task<JsonObject> GetAsync(string id, HttpClient? client = null) =>
        (await (client ?? _client).GetFromJsonAsync<JsonObject>($"/v1/tasks/{id}"))!;

    private Task<JsonObject> WaitForStateAsync(string id, string state) => WaitForAsync(id, task => task["state"]!.GetValue<string>() == state);

    private async Task<JsonObject> WaitForAsync(string id, Func<JsonObject, bool> condition, HttpClient? client = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonObject task;
        do
        {
            task = await GetAsync(id, client);
            if (condition(task))
            {
                return task;
            }

            await Task.Delay(25);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail($"Task {id} never reached the expected condition; last seen: {task.ToJsonString()}");
        return task;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string message)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), message);
            await Task.Delay(25);
        }
    }
}
