using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TaskService.TestSupport;

namespace TaskService.Api.FunctionalTests;

/// <summary>A real service process stopped with SIGTERM while its runs hang gives every task back: none stays running.</summary>
[TestFixture("Sqlite")]
[TestFixture("Mongo")]
[NonParallelizable]
public sealed class GracefulShutdownTests(string provider)
{
    [Test]
    public async Task Sigterm_WhileTasksRun_ReturnsThemToPendingWithoutCountingTheAttempt()
    {
        await using var recorder = await DeliveryRecorder.StartAsync(TimeSpan.FromMinutes(5));
        var settings = await ServiceProcess.StoreSettingsAsync(provider, "shutdown");
        settings["Runners:Http:slow:Url"] = recorder.Url.ToString();
        settings["Runners:Http:slow:Timeout"] = "00:10:00";
        settings["Engine:ShutdownGracePeriod"] = "00:00:00.500";
        settings["Engine:PollInterval"] = "00:00:00.100";

        var ids = new List<string>();
        await using (var service = await ServiceProcess.StartAsync(settings))
        {
            using var client = service.CreateClient();
            for (var i = 0; i < 3; i++)
            {
                using var response = await client.PostAsJsonAsync("/v1/tasks", new JsonObject
                {
                    ["name"] = $"slow-{i}-{Guid.NewGuid():N}",
                    ["type"] = "slow",
                    ["priority"] = 1,
                    ["data"] = new JsonObject(),
                    ["availableTime"] = DateTime.UtcNow.ToString("O"),
                    ["expirationTime"] = DateTime.UtcNow.AddHours(1).ToString("O"),
                });
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
            }

            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (recorder.TotalDeliveries < ids.Count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.That(recorder.TotalDeliveries, Is.EqualTo(ids.Count), "all three are running");
            await service.StopAsync(TimeSpan.FromSeconds(30));
        }

        settings["Engine:Enabled"] = "false";
        await using var inspector = await ServiceProcess.StartAsync(settings);
        using var reader = inspector.CreateClient();
        foreach (var id in ids)
        {
            var task = (await reader.GetFromJsonAsync<JsonObject>($"/v1/tasks/{id}"))!;
            Assert.That(task["state"]!.GetValue<string>(), Is.EqualTo("pending"), task.ToJsonString());
            Assert.That(task.ContainsKey("error"), Is.False, "giving a run back is not a failure");
        }
    }

}
