using System.Diagnostics;
using TaskService.TestSupport;

namespace TaskService.Benchmarks;

/// <summary>
/// One service with an idle engine (default poll interval, so a run starts from the create's wake-up signal, not
/// from polling). Tasks are created one at a time; each is measured from just before its create request is sent to
/// the arrival of its HTTP-runner delivery at the local endpoint, which stands in for "runner start".
/// </summary>
internal static class DispatchLatencyBenchmark
{
    public static async Task RunAsync(BenchmarkOptions options)
    {
        var count = options.Count ?? 500;
        await using var endpoint = await DeliveryRecorder.StartAsync(TimeSpan.Zero);
        await using var harness = await Harness.CreateAsync(options);
        var service = await harness.StartServiceAsync(new Dictionary<string, string>
        {
            [$"Runners:Http:{Harness.Type}:Url"] = endpoint.Url.ToString(),
            ["Engine:MaxConcurrency"] = "16",
        });
        using var client = Harness.Client(service);
        var run = Guid.NewGuid().ToString("N")[..8];

        var dispatch = new List<double>(count);
        var create = new List<double>(count);
        for (var i = -options.Warmup; i < count; i++)
        {
            var name = $"latency-{run}-{i}";
            var arrival = endpoint.ArrivalOf(name);
            var sent = Stopwatch.GetTimestamp();
            await Harness.CreateAsync(client, name, i);
            var answered = Stopwatch.GetTimestamp();
            var arrived = await arrival.WaitAsync(TimeSpan.FromSeconds(30));
            if (i >= 0)
            {
                dispatch.Add(Stats.Milliseconds(sent, arrived));
                create.Add(Stats.Milliseconds(sent, answered));
            }
        }

        Console.WriteLine($"tasks measured: {count} (after {options.Warmup} warm-up), created sequentially");
        Console.WriteLine($"create sent -> delivery arrival: {Stats.Summary(dispatch)}");
        Console.WriteLine($"create sent -> create answered: {Stats.Summary(create)}");
    }
}
