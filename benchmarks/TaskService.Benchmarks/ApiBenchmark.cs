using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace TaskService.Benchmarks;

/// <summary>
/// The HTTP API alone (Engine:Enabled=false): concurrent clients issue one operation for a fixed time;
/// requests/s and per-request latency for create, get and list (size=100).
/// </summary>
internal static class ApiBenchmark
{
    public static async Task RunAsync(BenchmarkOptions options)
    {
        await using var harness = await Harness.CreateAsync(options);
        var service = await harness.StartServiceAsync(new Dictionary<string, string> { ["Engine:Enabled"] = "false" });
        using var client = Harness.Client(service);
        var duration = TimeSpan.FromSeconds(options.DurationSeconds);
        Console.WriteLine($"clients={options.Clients} duration={options.DurationSeconds} s per operation, Engine:Enabled=false");

        // Warm-up: JIT, connections, the store's first pages.
        var run = Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            ids.Add(await Harness.CreateAsync(client, $"warm-{run}-{i}", i));
        }

        var sequence = 0;
        var createdIds = new System.Collections.Concurrent.ConcurrentBag<string>();
        await MeasureAsync("create", options.Clients, duration, async () =>
        {
            var index = Interlocked.Increment(ref sequence);
            createdIds.Add(await Harness.CreateAsync(client, $"api-{run}-{index}", index));
        });

        var all = ids.Concat(createdIds).ToArray();
        var cursor = 0;
        await MeasureAsync("get", options.Clients, duration, async () =>
        {
            var id = all[(int)((uint)Interlocked.Increment(ref cursor) % (uint)all.Length)];
            using var response = await client.GetAsync(new Uri($"/v1/tasks/{id}", UriKind.Relative), HttpCompletionOption.ResponseContentRead);
            Check(response);
        });

        await MeasureAsync("list size=100", options.Clients, duration, async () =>
        {
            using var response = await client.GetAsync(new Uri("/v1/tasks?size=100", UriKind.Relative), HttpCompletionOption.ResponseContentRead);
            Check(response);
        });
        Console.WriteLine($"tasks in store at the end: {all.Length}");
    }

    private static void Check(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"answered {(int)response.StatusCode}");
        }
    }

    private static async Task MeasureAsync(string operation, int clients, TimeSpan duration, Func<Task> request)
    {
        var latencies = new List<double>[clients];
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var mine = latencies[c] = [];
            while (total.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                await request();
                mine.Add(Stats.Milliseconds(start, Stopwatch.GetTimestamp()));
            }
        }));
        var seconds = total.Elapsed.TotalSeconds;
        var merged = latencies.SelectMany(list => list).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{operation}: {merged.Count} requests in {seconds:F2} s = {merged.Count / seconds:F1} req/s; {Stats.Summary(merged)}"));
    }
}
