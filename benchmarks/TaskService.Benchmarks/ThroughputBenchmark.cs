using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using TaskService.TestSupport;

namespace TaskService.Benchmarks;

/// <summary>
/// N service instances on one store run no-op tasks: with the built-in no-op runner (<c>--runner noop</c>, the default),
/// or through the HTTP runner to an endpoint answering 200 at once (<c>--runner http</c>).
/// By default tasks are created concurrently while the engines run; the figure is from the first create request to
/// the moment all tasks are listed as completed (and, from the tasks' own times, first createdTime to last
/// modifiedTime). With <c>--precreate true</c> all tasks are created with the engines off, the instances are
/// restarted with the engines on, and only claim + run + complete is timed.
/// </summary>
internal static class ThroughputBenchmark
{
    public static async Task RunAsync(BenchmarkOptions options)
    {
        var count = options.Count ?? 3000;
        await using var endpoint = await DeliveryRecorder.StartAsync(TimeSpan.Zero);
        await using var harness = await Harness.CreateAsync(options);
        var engine = new Dictionary<string, string>
        {
            [options.Runner == "http" ? $"Runners:Http:{Harness.Type}:Url" : "Runners:NoOp:Types:0"] =
                options.Runner == "http" ? endpoint.Url.ToString() : Harness.Type,
            ["Engine:MaxConcurrency"] = options.MaxConcurrency.ToString(CultureInfo.InvariantCulture),
            ["Engine:PollInterval"] = options.PollInterval,
            ["Engine:LeaseDuration"] = "00:00:30",
            ["Engine:Enabled"] = options.Precreate ? "false" : "true",
        };
        await StartAsync(harness, options.Instances, engine);
        var clients = harness.Services.Select(Harness.Client).ToArray();
        try
        {
            Console.WriteLine($"runner={options.Runner} instances={options.Instances} tasks={count} creators={options.Creators} Engine:MaxConcurrency={options.MaxConcurrency} Engine:PollInterval={options.PollInterval} precreate={options.Precreate}");
            var run = Guid.NewGuid().ToString("N")[..8];
            var next = -1;
            var total = Stopwatch.StartNew();
            var creators = Enumerable.Range(0, options.Creators).Select(async _ =>
            {
                for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
                {
                    await Harness.CreateAsync(clients[i % clients.Length], $"tp-{run}-{i}", i);
                }
            });
            await Task.WhenAll(creators);
            var createSeconds = total.Elapsed.TotalSeconds;
            Console.WriteLine($"create phase: {count} creates in {Stats.F(createSeconds, 2)} s = {Stats.F(count / createSeconds)} creates/s ({(options.Precreate ? "engines off" : "engines running meanwhile")}; deliveries so far {endpoint.TotalDeliveries})");

            if (options.Precreate)
            {
                foreach (var client in clients)
                {
                    client.Dispose();
                }

                await harness.StopServicesAsync();
                engine["Engine:Enabled"] = "true";
                var started = Stopwatch.StartNew();
                await StartAsync(harness, options.Instances, engine);
                clients = harness.Services.Select(Harness.Client).ToArray();
                Console.WriteLine($"engines restarted in {Stats.F(started.Elapsed.TotalSeconds, 2)} s (the engines begin claiming as each instance starts)");
                total = started;
            }

            var deadline = TimeSpan.FromMinutes(3);
            List<JsonObject> completed;
            while (true)
            {
                completed = await Harness.ListAsync(clients[0], "completed");
                if (completed.Count >= count || total.Elapsed > deadline)
                {
                    break;
                }

                await Task.Delay(50);
            }

            var observed = total.Elapsed.TotalSeconds;
            var from = options.Precreate ? "first instance start" : "first create";
            Console.WriteLine($"completed: {completed.Count} of {count}; deliveries: {endpoint.TotalDeliveries}");
            Console.WriteLine($"{from} -> all completed (observed by polling the list every 50 ms): {Stats.F(observed, 2)} s = {Stats.F(completed.Count / observed)} tasks/s");
            if (completed.Count > 0)
            {
                var firstRun = completed.Min(task => Time(task, "runTime"));
                var firstCreated = completed.Min(task => Time(task, "createdTime"));
                var lastModified = completed.Max(task => Time(task, "modifiedTime"));
                var start = options.Precreate ? firstRun : firstCreated;
                var span = (lastModified - start).TotalSeconds;
                Console.WriteLine($"{(options.Precreate ? "first runTime" : "first createdTime")} -> last completed modifiedTime (server clock): {Stats.F(span, 2)} s = {Stats.F(completed.Count / span)} tasks/s");
                if (!options.Precreate)
                {
                    var latencies = completed.Select(task => (Time(task, "modifiedTime") - Time(task, "createdTime")).TotalMilliseconds);
                    Console.WriteLine($"per task createdTime -> completed modifiedTime: {Stats.Summary(latencies)}");
                }
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static async Task StartAsync(Harness harness, int instances, Dictionary<string, string> settings)
    {
        for (var i = 0; i < instances; i++)
        {
            await harness.StartServiceAsync(settings);
        }
    }

    private static DateTime Time(JsonObject task, string property) =>
        DateTime.Parse(task[property]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}
