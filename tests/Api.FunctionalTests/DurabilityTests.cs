using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TaskService.TestSupport;

namespace TaskService.Api.FunctionalTests;

/// <summary>A 200 means stored: a task created just before the process is killed with SIGKILL is there after a restart.</summary>
[TestFixture("Sqlite")]
[TestFixture("Mongo")]
[NonParallelizable]
public sealed class DurabilityTests(string provider)
{
    [Test]
    public async Task CreatedTasks_SurviveSigkillAndRestart_Unchanged()
    {
        var settings = await ServiceProcess.StoreSettingsAsync(provider, "durable");
        var acknowledged = new List<string>();
        await using (var service = await ServiceProcess.StartAsync(settings))
        {
            using var client = service.CreateClient();
            for (var i = 0; i < 20; i++)
            {
                using var response = await client.PostAsJsonAsync("/v1/tasks", NewTask(i));
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                acknowledged.Add(await response.Content.ReadAsStringAsync());
            }

            // Straight after the last acknowledgement: no graceful shutdown, no flush.
            service.Kill();
        }

        await using var restarted = await ServiceProcess.StartAsync(settings);
        using var again = restarted.CreateClient();
        foreach (var created in acknowledged)
        {
            var id = JsonNode.Parse(created)!["id"]!.GetValue<string>();
            using var read = await again.GetAsync($"/v1/tasks/{id}");
            Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK), restarted.Output);
            Assert.That(await read.Content.ReadAsStringAsync(), Is.EqualTo(created));
        }
    }

    private static JsonObject NewTask(int index) => new()
    {
        ["name"] = $"durable-{index}-{Guid.NewGuid():N}",
        ["type"] = "durability",
        ["priority"] = index,
        ["data"] = new JsonObject { ["index"] = index, ["fraction"] = 0.5, ["text"] = "é😀" },
        ["availableTime"] = DateTime.UtcNow.ToString("O"),
        ["expirationTime"] = DateTime.UtcNow.AddDays(1).ToString("O"),
    };
}
