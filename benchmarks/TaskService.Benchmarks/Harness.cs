using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TaskService.TestSupport;

namespace TaskService.Benchmarks;

/// <summary>The store (a fresh SQLite file or Mongo database) and the service processes on it.</summary>
internal sealed class Harness : IAsyncDisposable
{
    public const string Token = "benchmark-token";
    public const string Type = "noop";

    private readonly List<ServiceProcess> _services = [];
    private readonly TestMongo? _mongo;
    private readonly string? _sqliteDirectory;

    private Harness(Dictionary<string, string> settings, TestMongo? mongo, string? sqliteDirectory)
    {
        Settings = settings;
        _mongo = mongo;
        _sqliteDirectory = sqliteDirectory;
    }

    public Dictionary<string, string> Settings { get; }

    public IReadOnlyList<ServiceProcess> Services => _services;

    public static async Task<Harness> CreateAsync(BenchmarkOptions options)
    {
        var settings = new Dictionary<string, string>
        {
            ["Auth:ServerTokens:0"] = Token,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (options.Store == "mongo")
        {
            var mongo = await TestMongo.StartAsync();
            settings["Storage:Provider"] = "Mongo";
            settings["Mongo:ConnectionString"] = mongo.ConnectionString;
            settings["Mongo:Database"] = TestMongo.NewDatabaseName("bench");
            Console.WriteLine(mongo.IsEmulator
                ? "store: MongoDB wire-protocol emulator (python3-mongomock) - figures are functional only"
                : $"store: MongoDB at {TestMongo.EnvironmentVariable}");
            return new Harness(settings, mongo, null);
        }

        var directory = Path.Combine(Path.GetTempPath(), "taskservice-benchmarks", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        settings["Storage:Provider"] = "Sqlite";
        settings["Sqlite:Path"] = Path.Combine(directory, "bench.db");
        if (options.SqliteSynchronous is { } synchronous)
        {
            settings["Sqlite:Synchronous"] = synchronous;
        }

        Console.WriteLine($"store: SQLite file {settings["Sqlite:Path"]} (Synchronous={options.SqliteSynchronous ?? "default (Full)"})");
        return new Harness(settings, null, directory);
    }

    public async Task<ServiceProcess> StartServiceAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>(Settings);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var service = await ServiceProcess.StartAsync(settings);
        _services.Add(service);
        return service;
    }

    /// <summary>Kills all started services (the store stays).</summary>
    public async Task StopServicesAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        _services.Clear();
    }

    public static HttpClient Client(ServiceProcess service)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        var client = new HttpClient(handler) { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Tidepool-Session-Token", Token);
        return client;
    }

    public static JsonObject NewTask(string name, int index) => new()
    {
        ["name"] = name,
        ["type"] = Type,
        ["priority"] = (index & int.MaxValue) % 7,
        ["data"] = new JsonObject { ["index"] = index },
        ["availableTime"] = DateTime.UtcNow.AddSeconds(-1).ToString("O", CultureInfo.InvariantCulture),
        ["expirationTime"] = DateTime.UtcNow.AddHours(1).ToString("O", CultureInfo.InvariantCulture),
    };

    /// <summary>Creates one task and returns its id.</summary>
    public static async Task<string> CreateAsync(HttpClient client, string name, int index)
    {
        using var response = await client.PostAsJsonAsync(new Uri("/v1/tasks", UriKind.Relative), NewTask(name, index));
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"create answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    /// <summary>All tasks of the benchmark type in a state, paging by 1000.</summary>
    public static async Task<List<JsonObject>> ListAsync(HttpClient client, string state)
    {
        var all = new List<JsonObject>();
        for (var page = 0; ; page++)
        {
            var tasks = await client.GetFromJsonAsync<JsonArray>(new Uri($"/v1/tasks?type={Type}&state={state}&size=1000&page={page}", UriKind.Relative))
                ?? throw new InvalidOperationException("list answered null");
            all.AddRange(tasks.Select(task => task!.AsObject()));
            if (tasks.Count < 1000)
            {
                return all;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        if (_mongo is not null)
        {
            await _mongo.DisposeAsync();
        }

        if (_sqliteDirectory is not null)
        {
            try
            {
                Directory.Delete(_sqliteDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    public static string Elapsed(Stopwatch stopwatch) => $"{stopwatch.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s";
}
