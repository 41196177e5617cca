using TaskService.Benchmarks;

var options = BenchmarkOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

Console.WriteLine($"# {options.Command} store={options.Store} ({DateTime.UtcNow:O}, {Environment.ProcessorCount} cores)");
switch (options.Command)
{
    case "dispatch-latency":
        await DispatchLatencyBenchmark.RunAsync(options);
        break;
    case "throughput":
        await ThroughputBenchmark.RunAsync(options);
        break;
    case "api":
        await ApiBenchmark.RunAsync(options);
        break;
    default:
        Console.Error.WriteLine(BenchmarkOptions.Usage);
        return 2;
}

return 0;
