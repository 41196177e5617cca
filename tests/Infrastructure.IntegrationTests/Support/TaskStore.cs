using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MongoDB.Driver;
using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;
using TaskService.TestSupport;

namespace TaskService.Infrastructure.IntegrationTests.Support;

/// <summary>
/// A task store built the way the service builds it: configuration in, <c>AddInfrastructure()</c>, then the store's
/// registered start-ups (<see cref="IHostedService"/>) run, which create the MongoDB indexes or the SQLite file and schema.
/// Each store gets a database of its own: a fresh MongoDB database name or a fresh SQLite file.
/// </summary>
public sealed class TaskStore : IAsyncDisposable
{
    public const string Mongo = "Mongo";
    public const string Sqlite = "Sqlite";

    private readonly IHost _host;
    private readonly List<IHostedService> _started = [];

    private TaskStore(IReadOnlyDictionary<string, string?> settings, IHost host, bool ownsDatabase)
    {
        Settings = settings;
        _host = host;
        OwnsDatabase = ownsDatabase;
    }

    /// <summary>Whether disposing drops the Mongo database or deletes the SQLite file: only for a store made fresh here.</summary>
    public bool OwnsDatabase { get; }

    public IReadOnlyDictionary<string, string?> Settings { get; }

    public string Provider => Settings["Storage:Provider"]!;

    public IServiceProvider Services => _host.Services;

    public ITaskRepository Repository => Services.GetRequiredService<ITaskRepository>();

    public ITaskQueries Queries => Services.GetRequiredService<ITaskQueries>();

    /// <summary>The Mongo database name (Mongo only).</summary>
    public string MongoDatabase => Settings["Mongo:Database"]!;

    /// <summary>The full path of the SQLite file (Sqlite only).</summary>
    public string SqlitePath => Path.GetFullPath(Settings["Sqlite:Path"]!);

    /// <summary>Settings for a fresh store of <paramref name="provider"/>: a new database name or a new temporary file.</summary>
    public static async Task<Dictionary<string, string?>> NewSettingsAsync(string provider)
    {
        var settings = new Dictionary<string, string?> { ["Storage:Provider"] = provider };
        switch (provider)
        {
            case Mongo:
                var mongo = await TestMongo.SharedAsync();
                settings["Mongo:ConnectionString"] = mongo.ConnectionString;
                settings["Mongo:Database"] = TestMongo.NewDatabaseName("infra");
                break;
            case Sqlite:
                settings["Sqlite:Path"] = Path.Combine(TemporaryDirectory, $"{Guid.NewGuid():N}.db");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "Mongo or Sqlite");
        }

        return settings;
    }

    public static string TemporaryDirectory { get; } = Path.Combine(Path.GetTempPath(), "taskservice-tests", "infrastructure");

    /// <summary>A fresh, started store of <paramref name="provider"/>, with <paramref name="overrides"/> applied to its settings.</summary>
    public static async Task<TaskStore> StartNewAsync(string provider, IDictionary<string, string?>? overrides = null)
    {
        var settings = await NewSettingsAsync(provider);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return await StartAsync(settings, ownsDatabase: true);
    }

    /// <summary>Builds the service's storage from <paramref name="settings"/> and runs its start-ups; throws what they throw.</summary>
    public static async Task<TaskStore> StartAsync(IReadOnlyDictionary<string, string?> settings, bool ownsDatabase = false)
    {
        var store = Build(settings, ownsDatabase);
        try
        {
            await store.RunStartupsAsync();
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Builds the storage without starting it: <c>AddInfrastructure()</c> on a host builder with only these settings.</summary>
    public static TaskStore Build(IReadOnlyDictionary<string, string?> settings, bool ownsDatabase = false)
    {
        var builder = NewBuilder(settings);
        builder.AddInfrastructure();
        KeepOnlyStorageStartups(builder.Services);
        return new TaskStore(settings, builder.Build(), ownsDatabase);
    }

    /// <summary>
    /// <c>AddInfrastructure()</c> also registers hosted services that are not about storage (the task engine, which
    /// claims and runs tasks): they would change the tasks under test and need the application layer. Only the
    /// store's own start-ups (those of the Mongo and Sqlite adapters) stay.
    /// </summary>
    private static void KeepOnlyStorageStartups(IServiceCollection services)
    {
        var others = services
            .Where(service => service.ServiceType == typeof(IHostedService) && !IsStorageStartup(service.ImplementationType))
            .ToList();
        foreach (var service in others)
        {
            services.Remove(service);
        }

        if (!services.Any(service => service.ServiceType == typeof(IHostedService)))
        {
            throw new InvalidOperationException("AddInfrastructure() registered no storage start-up (an IHostedService of the Mongo or Sqlite adapter).");
        }
    }

    private static bool IsStorageStartup(Type? type) =>
        type?.Namespace is "TaskService.Infrastructure.Mongo" or "TaskService.Infrastructure.Sqlite";

    /// <summary>A host builder configured with exactly <paramref name="settings"/> (no files, no environment variables).</summary>
    public static HostApplicationBuilder NewBuilder(IReadOnlyDictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    /// <summary>Runs the store's registered start-ups, as the host does when the service starts. Safe to call again.</summary>
    public async Task RunStartupsAsync()
    {
        foreach (var service in Services.GetServices<IHostedService>())
        {
            await service.StartAsync(CancellationToken.None);
            if (!_started.Contains(service))
            {
                _started.Add(service);
            }
        }
    }

    /// <summary>The <c>tasks</c> collection, through a client of its own (Mongo only).</summary>
    public IMongoCollection<MongoDB.Bson.BsonDocument> OpenMongoCollection(string connectionString) =>
        new MongoClient(connectionString).GetDatabase(MongoDatabase).GetCollection<MongoDB.Bson.BsonDocument>("tasks");

    /// <summary>A connection of its own to the SQLite file, outside the adapter's pool (Sqlite only).</summary>
    public SqliteConnection OpenSqliteConnection() => OpenSqliteConnection(SqlitePath);

    public static SqliteConnection OpenSqliteConnection(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in Enumerable.Reverse(_started))
        {
            await service.StopAsync(CancellationToken.None);
        }

        _host.Dispose();
        if (!OwnsDatabase)
        {
            return;
        }

        if (Settings.TryGetValue("Mongo:Database", out var database) && database is not null)
        {
            // Through the test server's own address: this store's may be a stopped proxy.
            var mongo = await TestMongo.SharedAsync();
            await new MongoClient(mongo.ConnectionString).DropDatabaseAsync(database);
        }

        if (Settings.TryGetValue("Storage:Provider", out var provider) && provider == Sqlite
            && Settings.TryGetValue("Sqlite:Path", out var path) && path is not null
            && Path.GetFullPath(path).StartsWith(TemporaryDirectory, StringComparison.Ordinal))
        {
            DeleteSqliteFiles(Path.GetFullPath(path));
        }
    }

    /// <summary>Deletes a test database file with its write-ahead log; a file still open elsewhere is left behind.</summary>
    public static void DeleteSqliteFiles(string path)
    {
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
            }
        }
    }
}
