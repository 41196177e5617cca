using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TaskService.Api.FunctionalTests.Support;
using TaskService.Domain.Tasks;

namespace TaskService.Api.FunctionalTests;

public sealed class UpdateTaskTests(string provider) : ApiTestBase(provider)
{
    [Test]
    public async Task Update_WhenPending_ReplacesTheFourFieldsAndKeepsTheRest()
    {
        var task = await CreateTaskAsync();
        var update = UpdateBody(priority: 9, data: """{"b":[1,2.5],"a":null}""");
        await Task.Delay(5);

        using var response = await PutAsync(task["id"]!.GetValue<string>(), update);
        var updated = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.Multiple(() =>
        {
            Assert.That(updated["priority"]!.GetValue<int>(), Is.EqualTo(9));
            Assert.That(updated["data"]!.ToJsonString(), Is.EqualTo("""{"b":[1,2.5],"a":null}"""));
            Assert.That(updated["availableTime"]!.GetValue<string>(), Is.EqualTo(update["availableTime"]!.GetValue<string>()));
            Assert.That(updated["expirationTime"]!.GetValue<string>(), Is.EqualTo(update["expirationTime"]!.GetValue<string>()));
            Assert.That(updated["name"]!.GetValue<string>(), Is.EqualTo(task["name"]!.GetValue<string>()));
            Assert.That(updated["type"]!.GetValue<string>(), Is.EqualTo(task["type"]!.GetValue<string>()));
            Assert.That(updated["createdTime"]!.GetValue<string>(), Is.EqualTo(task["createdTime"]!.GetValue<string>()));
            Assert.That(updated["modifiedTime"]!.GetValue<string>(), Is.GreaterThan(task["modifiedTime"]!.GetValue<string>()));
            Assert.That(updated["state"]!.GetValue<string>(), Is.EqualTo("pending"));
        });
        Assert.That((await GetTaskAsync(task["id"]!.GetValue<string>())).ToJsonString(), Is.EqualTo(updated.ToJsonString()));
    }

    [TestCase("name", "new-name")]
    [TestCase("type", "new-type")]
    [TestCase("state", "completed")]
    [TestCase("id", "0123456789abcdef0123456789abcdef")]
    [TestCase("taskId", "0123456789abcdef0123456789abcdef")]
    public async Task Update_WhenPropertyNotTaken_Returns400AndChangesNothing(string property, string value)
    {
        var task = await CreateTaskAsync();
        var update = UpdateBody();
        update[property] = value;

        using var response = await PutAsync(task["id"]!.GetValue<string>(), update);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, $"/{property}");
        Assert.That((await GetTaskAsync(task["id"]!.GetValue<string>())).ToJsonString(), Is.EqualTo(task.ToJsonString()));
    }

    [TestCase("priority")]
    [TestCase("data")]
    [TestCase("availableTime")]
    [TestCase("expirationTime")]
    public async Task Update_WhenPropertyMissing_Returns400NamingIt(string property)
    {
        var task = await CreateTaskAsync();
        var update = UpdateBody();
        update.Remove(property);
        using var response = await PutAsync(task["id"]!.GetValue<string>(), update);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, $"/{property}");
    }

    [Test]
    public async Task Update_WhenExpirationNotAfterNewAvailableTime_Returns400()
    {
        var task = await CreateTaskAsync();
        var update = UpdateBody(availableTime: DateTime.UtcNow.AddDays(3), expirationTime: DateTime.UtcNow.AddDays(2));
        using var response = await PutAsync(task["id"]!.GetValue<string>(), update);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "/expirationTime");
    }

    [Test]
    public async Task Update_WhenExpirationInThePast_Returns400()
    {
        var task = await CreateTaskAsync();
        var update = UpdateBody(availableTime: DateTime.UtcNow.AddDays(-3), expirationTime: DateTime.UtcNow.AddSeconds(-1));
        using var response = await PutAsync(task["id"]!.GetValue<string>(), update);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "/expirationTime");
    }

    [Test]
    public async Task Update_WhenUnknown_Returns404()
    {
        using var response = await PutAsync("0123456789abcdef0123456789abcdef", UpdateBody());
        await AssertErrorAsync(response, HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Update_WhenIdMalformed_Returns400()
    {
        using var response = await PutAsync("xyz", UpdateBody());
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "taskId");
    }

    [TestCase(TaskState.Completed)]
    [TestCase(TaskState.Failed)]
    public async Task Update_WhenTaskFinished_Returns409AndChangesNothing(TaskState finalState)
    {
        var id = await StoreTaskInStateAsync(finalState);
        var before = await GetTaskAsync(id);

        using var response = await PutAsync(id, UpdateBody());

        await AssertErrorAsync(response, HttpStatusCode.Conflict);
        Assert.That((await GetTaskAsync(id)).ToJsonString(), Is.EqualTo(before.ToJsonString()));
    }

    [Test]
    public async Task Update_WhenRunning_IsAcceptedAndTheTaskKeepsRunning()
    {
        var id = await StoreTaskInStateAsync(TaskState.Running);

        using var response = await PutAsync(id, UpdateBody(priority: 3, data: """{"edited":"during run"}"""));
        var updated = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(updated["state"]!.GetValue<string>(), Is.EqualTo("running"));
        Assert.That(updated["data"]!.ToJsonString(), Is.EqualTo("""{"edited":"during run"}"""));
        Assert.That(updated.ContainsKey("runTime"), Is.True);
        var running = await GetTaskAsync(id);
        Assert.That(running.Select(property => property.Key), Is.SubsetOf(new[]
        {
            "id", "name", "type", "priority", "data", "availableTime", "expirationTime", "state", "error", "runTime", "duration",
            "createdTime", "modifiedTime",
        }), "leases, claim tokens, attempts and versions never appear in the resource");
    }

    [Test]
    public async Task Update_ConcurrentWithRunCompletion_NeitherWriteIsLost()
    {
        var id = await StoreTaskInStateAsync(TaskState.Running);
        var repository = Factory.Services.GetRequiredService<ITaskRepository>();
        var running = (await repository.GetAsync(TaskId.Parse(id), CancellationToken.None))!;

        using var response = await PutAsync(id, UpdateBody(priority: 42));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        // The run read the task before the update; its stale write must not overwrite the update.
        running.Complete(DateTime.UtcNow, running.ClaimToken!);
        Assert.That(await repository.SaveAsync(running, CancellationToken.None), Is.False);
        Assert.That((await GetTaskAsync(id))["priority"]!.GetValue<int>(), Is.EqualTo(42));
    }

    /// <summary>Drives a stored task through the domain's transitions, as the engine does.</summary>
    private async Task<string> StoreTaskInStateAsync(TaskState state)
    {
        var created = await CreateTaskAsync();
        var id = TaskId.Parse(created["id"]!.GetValue<string>());
        var repository = Factory.Services.GetRequiredService<ITaskRepository>();
        var task = (await repository.GetAsync(id, CancellationToken.None))!;
        var token = Guid.NewGuid().ToString("N");
        task.Start(DateTime.UtcNow, token, DateTime.UtcNow.AddMinutes(1));
        switch (state)
        {
            case TaskState.Completed:
                task.Complete(DateTime.UtcNow, token);
                break;
            case TaskState.Failed:
                task.Fail(DateTime.UtcNow, token, "it broke");
                break;
        }

        Assert.That(await repository.SaveAsync(task, CancellationToken.None), Is.True);
        return id.Value;
    }
}
