using System.Globalization;

namespace TaskService.Benchmarks;

/// <summary>The command line: a subcommand and <c>--name value</c> options.</summary>
internal sealed class BenchmarkOptions
{
    public const string Usage = """
        usage: TaskService.Benchmarks <dispatch-latency|throughput|api> [options]
          --store sqlite|mongo        store (default sqlite; mongo uses the test emulator or TASKSERVICE_TEST_MONGO)
          --count N                   tasks (dispatch-latency: 500, throughput: 3000)
          --warmup N                  dispatch-latency: unmeasured tasks first (default 20)
          --instances N               throughput: service instances on one store (default 1)
          --max-concurrency N         throughput: Engine:MaxConcurrency (default 32)
          --poll-interval T           throughput: Engine:PollInterval (default 00:00:00.050)
          --creators N                throughput: concurrent create requests (default 16)
          --precreate true            throughput: create all tasks first with the engines off, then time the engines alone
          --runner noop|http          throughput: the built-in no-op runner (default) or HTTP delivery to a local endpoint
          --clients N                 api: concurrent clients (default 16)
          --duration S                api: seconds per operation (default 10)
          --sqlite-synchronous X      Sqlite:Synchronous (default: the service's default, Full)
        """;

    public required string Command { get; init; }

    public string Store { get; private set; } = "sqlite";

    public int? Count { get; private set; }

    public int Warmup { get; private set; } = 20;

    public int Instances { get; private set; } = 1;

    public int MaxConcurrency { get; private set; } = 32;

    public string PollInterval { get; private set; } = "00:00:00.050";

    public int Creators { get; private set; } = 16;

    public bool Precreate { get; private set; }

    public string Runner { get; private set; } = "noop";

    public int Clients { get; private set; } = 16;

    public int DurationSeconds { get; private set; } = 10;

    public string? SqliteSynchronous { get; private set; }

    public static BenchmarkOptions? Parse(string[] args)
    {
        if (args.Length == 0 || args.Length % 2 == 0)
        {
            return null;
        }

        var options = new BenchmarkOptions { Command = args[0] };
        for (var i = 1; i < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--store":
                    options.Store = value.ToLowerInvariant();
                    if (options.Store is not ("sqlite" or "mongo"))
                    {
                        return null;
                    }

                    break;
                case "--runner":
                    options.Runner = value.ToLowerInvariant();
                    if (options.Runner is not ("noop" or "http"))
                    {
                        return null;
                    }

                    break;
                case "--count":
                    options.Count = Int(value);
                    break;
                case "--warmup":
                    options.Warmup = Int(value);
                    break;
                case "--instances":
                    options.Instances = Int(value);
                    break;
                case "--max-concurrency":
                    options.MaxConcurrency = Int(value);
                    break;
                case "--poll-interval":
                    options.PollInterval = value;
                    break;
                case "--creators":
                    options.Creators = Int(value);
                    break;
                case "--precreate":
                    options.Precreate = bool.Parse(value);
                    break;
                case "--clients":
                    options.Clients = Int(value);
                    break;
                case "--duration":
                    options.DurationSeconds = Int(value);
                    break;
                case "--sqlite-synchronous":
                    options.SqliteSynchronous = value;
                    break;
                default:
                    return null;
            }
        }

        return options;
    }

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);
}
