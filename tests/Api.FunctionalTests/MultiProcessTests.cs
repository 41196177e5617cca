using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TaskService.TestSupport;

namespace TaskService.Api.FunctionalTests;

/// <summary>
/// Two real service processes on one store deliver tasks through the HTTP runner to a recording endpoint:
/// every task is delivered and completed exactly once; after one process is killed with SIGKILL mid-run, every
/// task still ends completed, and no task is ever delivered twice at the same time.
/// </summary>
[TestFixture("Sqlite")]
[TestFixture("Mongo")]
[NonParallelizable]
public sealed class MultiProcessTests(string provider)
{
    private const string Type = "deliver";

    [Test]
    public async Task TwoInstances_DeliverEveryTaskExactlyOnce()
    {
        await using var recorder = await DeliveryRecorder.StartAsync(TimeSpan.Zero);
        var settings = await SettingsAsync(recorder.Url, leaseDuration: "00:00:30");
        await using var first = await ServiceProcess.StartAsync(settings);
        await using var second = await ServiceProcess.StartAsync(settings);

        var ids = await CreateTasksAsync([first, second], 1000);
        await WaitUntilAllCompletedAsync(first, ids.Count, TimeSpan.FromMinutes(4));

        Assert.That(recorder.Deliveries.Keys, Is.EquivalentTo(ids), "every task delivered");
        Assert.That(recorder.Deliveries.Where(delivery => delivery.Value != 1).Select(delivery => delivery.Key), Is.Empty, "delivered exactly once");
        Assert.That(recorder.ConcurrentDuplicates, Is.Zero);
    }

    [Test]
    public async Task WhenOneInstanceIsKilledMidRun_EveryTaskStillCompletesAndNoneRunsTwiceAtOnce()
    {
        await using var recorder = await DeliveryRecorder.StartAsync(TimeSpan.FromMilliseconds(100));
        var settings = await SettingsAsync(recorder.Url, leaseDuration: "00:00:03");
        await using var survivor = await ServiceProcess.StartAsync(settings);
        var victim = await ServiceProcess.StartAsync(settings);
        try
        {
            var ids = await CreateTasksAsync([survivor, victim], 300);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (recorder.Deliveries.Count < 60 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            victim.Kill();
            await WaitUntilAllCompletedAsync(survivor, ids.Count, TimeSpan.FromMinutes(4));

            Assert.That(recorder.Deliveries.Keys, Is.EquivalentTo(ids), "every task delivered");
            Assert.That(recorder.ConcurrentDuplicates, Is.Zero, "no task delivered twice concurrently");
            // Only runs in flight on the killed instance may be delivered again, after their lease ran out.
            var redelivered = recorder.Deliveries.Count(delivery => delivery.Value > 1);
            Assert.That(redelivered, Is.LessThanOrEqualTo(16), "at most the killed instance's concurrent runs");
        }
        finally
        {
            await victim.DisposeAsync();
        }
    }

    private async Task<Dictionary<string, string>> SettingsAsync(Uri deliveryUrl, string leaseDuration)
    {
        var settings = await ServiceProcess.StoreSettingsAsync(provider, "multi");
        settings["Runners:Http:deliver:Url"] = deliveryUrl.ToString();
        settings["Runners:Http:deliver:Timeout"] = "00:00:10";
        settings["Engine:PollInterval"] = "00:00:00.100";
        settings["Engine:LeaseDuration"] = leaseDuration;
        settings["Engine:SweepInterval"] = "00:00:00.500";
        settings["Engine:MaxConcurrency"] = "16";
        settings["Logging:LogLevel:Default"] = "Warning";
        return settings;
    }

    private static async Task<List<string>> CreateTasksAsync(ServiceProcess[] services, int count)
    {
        var clients = services.Select(service => service.CreateClient()).ToArray();
        try
        {
            var ids = new List<string>(count);
            for (var batch = 0; batch < count; batch += 50)
            {
                var created = await Task.WhenAll(Enumerable.Range(batch, Math.Min(50, count - batch)).Select(async index =>
                {
                    using var response = await clients[index % clients.Length].PostAsJsonAsync("/v1/tasks", new JsonObject
                    {
                        ["name"] = $"deliver-{index}-{Guid.NewGuid():N}",
                        ["type"] = Type,
                        ["priority"] = index % 7,
                        ["data"] = new JsonObject { ["index"] = index },
                        ["availableTime"] = DateTime.UtcNow.ToString("O"),
                        ["expirationTime"] = DateTime.UtcNow.AddHours(1).ToString("O"),
                    });
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                    return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
                }));
                ids.AddRange(created);
            }

            return ids;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static async Task WaitUntilAllCompletedAsync(ServiceProcess service, int count, TimeSpan timeout)
    {
        using var client = service.CreateClient();
        var deadline = DateTime.UtcNow + timeout;
        var completed = 0;
        while (DateTime.UtcNow < deadline)
        {
            completed = 0;
            for (var page = 0; ; page++)
            {
                var tasks = await client.GetFromJsonAsync<JsonArray>($"/v1/tasks?type={Type}&state=completed&size=1000&page={page}");
                completed += tasks!.Count;
                if (tasks.Count < 1000)
                {
                    break;
                }
            }

            if (completed == count)
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"Only {completed} of {count} tasks completed in {timeout}.\n{service.Output}");
    }

}
