using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TaskService.Api.FunctionalTests.Support;
using TaskService.TestSupport;

namespace TaskService.Api.FunctionalTests;

/// <summary>MongoDB is reached over the network, so it can go away: requests then fail fast with 503 and recover.</summary>
[TestFixture]
public sealed class MongoOutageTests
{
    private static JsonObject NewTask() => new()
    {
        ["name"] = $"outage-{Guid.NewGuid():N}",
        ["type"] = "t",
        ["priority"] = 1,
        ["data"] = new JsonObject(),
        ["availableTime"] = DateTime.UtcNow.ToString("O"),
        ["expirationTime"] = DateTime.UtcNow.AddDays(1).ToString("O"),
    };

    [Test]
    public async Task StoreOutage_Returns503FastAndTheServiceRecoversByItself()
    {
        await using var store = await StoreBehindProxyAsync();
        await using var factory = store.Factory;
        using var client = factory.CreateAuthorizedClient();
        var task = await CreateThroughAsync(client);

        await store.Proxy.StopAsync();
        var started = DateTime.UtcNow;
        using (var during = await client.GetAsync($"/v1/tasks/{task["id"]}"))
        {
            var body = await ApiAssert.ErrorAsync(during, HttpStatusCode.ServiceUnavailable);
            Assert.That(body["message"]!.GetValue<string>(), Does.Not.Contain("127.0.0.1"), "no driver details leak");
        }

        Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(15)), "fails fast rather than hanging");
        using (var create = await client.PostAsync("/v1/tasks", JsonContent.Create(NewTask())))
        {
            await ApiAssert.ErrorAsync(create, HttpStatusCode.ServiceUnavailable);
        }

        await store.Proxy.StartAsync();
        HttpStatusCode status = 0;
        for (var attempt = 0; attempt < 60 && status != HttpStatusCode.OK; attempt++)
        {
            using var after = await client.GetAsync($"/v1/tasks/{task["id"]}");
            status = after.StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(250);
            }
        }

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), "recovered without a restart");
    }

    private static async Task<ProxiedStore> StoreBehindProxyAsync()
    {
        var mongo = await TestMongo.SharedAsync();
        var proxy = TcpProxy.ForMongo(mongo.ConnectionString);
        await proxy.StartAsync();
        var factory = await TaskServiceFactory.CreateAsync("Mongo", new Dictionary<string, string?>
        {
            ["Mongo:ConnectionString"] = $"mongodb://127.0.0.1:{proxy.Port}/?directConnection=true",
            ["Mongo:ServerSelectionTimeout"] = "00:00:02",
            ["Mongo:ConnectTimeout"] = "00:00:02",
        });
        return new ProxiedStore(proxy, factory);
    }

    private static async Task<JsonObject> CreateThroughAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/v1/tasks", JsonContent.Create(NewTask()));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private sealed record ProxiedStore(TcpProxy Proxy, TaskServiceFactory Factory) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Proxy.DisposeAsync();
    }

}
