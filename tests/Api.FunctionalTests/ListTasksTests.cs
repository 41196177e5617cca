using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TaskService.Api.FunctionalTests.Support;
using TaskService.Domain.Tasks;

namespace TaskService.Api.FunctionalTests;

public sealed class ListTasksTests(string provider) : ApiTestBase(provider)
{
    [SetUp]
    public async Task DeleteAllTasksAsync()
    {
        while (await Client.GetFromJsonAsync<JsonArray>("/v1/tasks?size=1000") is { Count: > 0 } tasks)
        {
            foreach (var task in tasks)
            {
                using var response = await Client.DeleteAsync($"/v1/tasks/{task!["id"]}");
            }
        }
    }

    [Test]
    public async Task List_WhenNoTasks_ReturnsEmptyArray()
    {
        using var response = await Client.GetAsync("/v1/tasks");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("[]"));
    }

    [Test]
    public async Task List_ReturnsNewestFirstWithTiesBrokenById()
    {
        for (var i = 0; i < 12; i++)
        {
            await CreateTaskAsync();
        }

        var tasks = (await Client.GetFromJsonAsync<JsonArray>("/v1/tasks"))!;

        var keys = tasks.Select(task => (Created: task!["createdTime"]!.GetValue<string>(), Id: task["id"]!.GetValue<string>())).ToList();
        var expected = keys.OrderByDescending(key => key.Created, StringComparer.Ordinal).ThenByDescending(key => key.Id, StringComparer.Ordinal).ToList();
        Assert.That(keys, Has.Count.EqualTo(12));
        Assert.That(keys, Is.EqualTo(expected));
    }

    [Test]
    public async Task List_Filters_CombineWithAnd()
    {
        var alpha = await CreateTaskAsync(NewTask(type: "alpha"));
        var beta = await CreateTaskAsync(NewTask(type: "beta"));
        var runningAlpha = await CreateTaskAsync(NewTask(type: "alpha"));
        await StartAsync(runningAlpha["id"]!.GetValue<string>());

        Assert.Multiple(async () =>
        {
            Assert.That(await IdsAsync("?type=alpha"), Is.EquivalentTo(new[] { Id(alpha), Id(runningAlpha) }));
            Assert.That(await IdsAsync("?type=beta"), Is.EquivalentTo(new[] { Id(beta) }));
            Assert.That(await IdsAsync("?state=running"), Is.EquivalentTo(new[] { Id(runningAlpha) }));
            Assert.That(await IdsAsync("?type=alpha&state=pending"), Is.EquivalentTo(new[] { Id(alpha) }));
            Assert.That(await IdsAsync("?type=beta&state=running"), Is.Empty);
            Assert.That(await IdsAsync($"?name={alpha["name"]}"), Is.EquivalentTo(new[] { Id(alpha) }));
            Assert.That(await IdsAsync($"?name={alpha["name"]}&type=beta"), Is.Empty);
            Assert.That(await IdsAsync($"?name={alpha["name"]}&type=alpha&state=pending"), Is.EquivalentTo(new[] { Id(alpha) }));
            Assert.That(await IdsAsync("?state=completed"), Is.Empty);
            Assert.That(await IdsAsync("?type=Alpha"), Is.Empty, "exact match, case-sensitive");
        });
    }

    [Test]
    public async Task List_Paging_IsStableAndComplete()
    {
        for (var i = 0; i < 7; i++)
        {
            await CreateTaskAsync();
        }

        var all = await IdsAsync("?size=1000");
        var paged = new List<string>();
        for (var page = 0; page < 4; page++)
        {
            paged.AddRange(await IdsAsync($"?page={page}&size=2"));
        }

        Assert.That(paged, Is.EqualTo(all));
        Assert.That(await IdsAsync("?page=4&size=2"), Is.Empty);
        Assert.That(await IdsAsync("?page=2147483647&size=1000"), Is.Empty);
    }

    [Test]
    public async Task List_DefaultSize_Is100()
    {
        var repository = Factory.Services.GetRequiredService<ITaskRepository>();
        var now = DateTime.UtcNow;
        await Task.WhenAll(Enumerable.Range(0, 101).Select(i => repository.AddAsync(
            BackgroundTask.Create($"bulk-{i}-{Guid.NewGuid():N}", "bulk", 1, TaskData.Empty, now, now.AddDays(1), now), CancellationToken.None)));

        Assert.That(await IdsAsync(""), Has.Count.EqualTo(100));
        Assert.That(await IdsAsync("?page=1"), Has.Count.EqualTo(1));
        Assert.That(await IdsAsync("?size=1000"), Has.Count.EqualTo(101));
    }

    [TestCase("?state=done", "state")]
    [TestCase("?state=Pending", "state")]
    [TestCase("?page=-1", "page")]
    [TestCase("?page=abc", "page")]
    [TestCase("?page=1.5", "page")]
    [TestCase("?size=0", "size")]
    [TestCase("?size=1001", "size")]
    [TestCase("?size=ten", "size")]
    [TestCase("?size=99999999999", "size")]
    [TestCase("?name=", "name")]
    [TestCase("?type=", "type")]
    [TestCase("?state=", "state")]
    [TestCase("?page=", "page")]
    [TestCase("?limit=5", "limit")]
    [TestCase("?Name=x", "Name")]
    [TestCase("?type=a&type=b", "type")]
    [TestCase("?size=5&size=5", "size")]
    public async Task List_WhenParameterInvalid_Returns400NamingIt(string query, string parameter)
    {
        using var response = await Client.GetAsync($"/v1/tasks{query}");
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, parameter);
    }

    [TestCase("?size=1")]
    [TestCase("?size=1000")]
    [TestCase("?page=0")]
    [TestCase("?state=pending")]
    [TestCase("?state=running")]
    [TestCase("?state=completed")]
    [TestCase("?state=failed")]
    public async Task List_WhenParameterAtItsLimits_Returns200(string query)
    {
        using var response = await Client.GetAsync($"/v1/tasks{query}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private static string Id(JsonObject task) => task["id"]!.GetValue<string>();

    private async Task<List<string>> IdsAsync(string query)
    {
        var tasks = await Client.GetFromJsonAsync<JsonArray>($"/v1/tasks{query}");
        return tasks!.Select(task => task!["id"]!.GetValue<string>()).ToList();
    }

    private async Task StartAsync(string id)
    {
        var repository = Factory.Services.GetRequiredService<ITaskRepository>();
        var task = (await repository.GetAsync(TaskId.Parse(id), CancellationToken.None))!;
        task.Start(DateTime.UtcNow, "token", DateTime.UtcNow.AddMinutes(1));
        Assert.That(await repository.SaveAsync(task, CancellationToken.None), Is.True);
    }
}
