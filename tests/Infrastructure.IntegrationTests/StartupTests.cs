using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;
using TaskService.Infrastructure.IntegrationTests.Support;
using TaskService.Infrastructure.Mongo;
using TaskService.Infrastructure.Sqlite;
using TaskService.TestSupport;

namespace TaskService.Infrastructure.IntegrationTests;

/// <summary>
/// Start-up either leaves a usable store or stops the service with a message that names the setting to fix. These
/// failures are particular to one store (or to none), so they are not part of the shared contract fixture.
/// </summary>
[TestFixture]
public sealed class StartupTests
{
    [TestCase("Cassandra")]
    [TestCase("")]
    [TestCase("Mongo,Sqlite")]
    public void AddInfrastructure_WhenProviderIsUnknown_ThrowsNamingTheSetting(string provider)
    {
        var builder = TaskStore.NewBuilder(new Dictionary<string, string?> { ["Storage:Provider"] = provider });

        var exception = Assert.Throws<InvalidOperationException>(() => builder.AddInfrastructure());

        Assert.That(exception!.Message, Does.Contain("Storage:Provider").And.Contain($"'{provider}'"));
    }

    [TestCase("sqlite", typeof(SqliteTaskRepository))]
    [TestCase("SQLITE", typeof(SqliteTaskRepository))]
    [TestCase("mongo", typeof(MongoTaskRepository))]
    [TestCase("MONGO", typeof(MongoTaskRepository))]
    public void AddInfrastructure_WhenProviderIsKnownInAnyCase_RegistersThatStore(string provider, Type repository)
    {
        var builder = TaskStore.NewBuilder(new Dictionary<string, string?> { ["Storage:Provider"] = provider });
        builder.AddInfrastructure();

        var registered = builder.Services.Where(service => service.ServiceType == typeof(ITaskRepository) || service.ServiceType == typeof(ITaskQueries)).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(registered, Has.Count.EqualTo(2), "one repository and one query side");
            Assert.That(builder.Services.Select(service => service.ServiceType), Has.Member(repository));
        }
    }

    [Test]
    public async Task SqliteStartup_WhenRunTwiceOnOneFile_IsHarmlessAndKeepsTheTasks()
    {
        var settings = await TaskStore.NewSettingsAsync(TaskStore.Sqlite);
        var task = Tasks.New();
        await using (var first = await TaskStore.StartAsync(settings))
        {
            await first.Repository.AddAsync(task, CancellationToken.None);
        }

        try
        {
            await using var second = await TaskStore.StartAsync(settings);
            await second.RunStartupsAsync();

            var stored = await second.Repository.GetAsync(task.Id, CancellationToken.None);
            Assert.That(stored?.ToSnapshot(), Is.EqualTo(task.ToSnapshot()));
            Assert.That(UserVersion(second.SqlitePath), Is.EqualTo(await CurrentSchemaVersionAsync()), "still the schema version this code writes");
        }
        finally
        {
            TaskStore.DeleteSqliteFiles(Path.GetFullPath(settings["Sqlite:Path"]!));
        }
    }

    [Test]
    public async Task SqliteStartup_WhenFileHasANewerSchemaVersion_ThrowsNamingTheFileAndVersions()
    {
        var settings = await TaskStore.NewSettingsAsync(TaskStore.Sqlite);
        var path = Path.GetFullPath(settings["Sqlite:Path"]!);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var connection = TaskStore.OpenSqliteConnection(path))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE from_the_future (x); PRAGMA user_version = 9999;";
            command.ExecuteNonQuery();
        }

        try
        {
            var known = await CurrentSchemaVersionAsync();

            var exception = Assert.ThrowsAsync<InvalidOperationException>(() => TaskStore.StartAsync(settings));

            Assert.That(exception!.Message, Does.Contain(path).And.Contain("9999").And.Contain($"up to {known}").And.Contain("Sqlite:Path"));
            Assert.That(UserVersion(path), Is.EqualTo(9999), "the version is left alone");
            using var after = TaskStore.OpenSqliteConnection(path);
            using var check = after.CreateCommand();
            check.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'tasks';";
            Assert.That(check.ExecuteScalar(), Is.Zero, "a newer file is left untouched");
        }
        finally
        {
            TaskStore.DeleteSqliteFiles(path);
        }
    }

    public static IEnumerable<TestCaseData> UnusableSqlitePaths()
    {
        yield return new TestCaseData((Func<string, string>)(file => Path.Combine(file, "tasks.db"))).SetArgDisplayNames("a file under a regular file");
        yield return new TestCaseData((Func<string, string>)(file => Path.Combine(file, "deeper", "tasks.db"))).SetArgDisplayNames("a directory under a regular file");
        yield return new TestCaseData((Func<string, string>)(file => file)).SetArgDisplayNames("a regular file that is not a database");
        yield return new TestCaseData((Func<string, string>)(_ => Path.GetTempPath())).SetArgDisplayNames("a directory");
        yield return new TestCaseData((Func<string, string>)(_ => "")).SetArgDisplayNames("empty");
        yield return new TestCaseData((Func<string, string>)(_ => "   ")).SetArgDisplayNames("blank");
    }

    [TestCaseSource(nameof(UnusableSqlitePaths))]
    public async Task SqliteStartup_WhenPathIsUnusable_ThrowsNamingTheSetting(Func<string, string> pathFor)
    {
        Directory.CreateDirectory(TaskStore.TemporaryDirectory);
        var regularFile = Path.Combine(TaskStore.TemporaryDirectory, $"{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(regularFile, "not a directory, and not a SQLite database either: just some text that is long enough.");
        var settings = new Dictionary<string, string?> { ["Storage:Provider"] = TaskStore.Sqlite, ["Sqlite:Path"] = pathFor(regularFile) };

        try
        {
            var exception = Assert.CatchAsync<InvalidOperationException>(() => TaskStore.StartAsync(settings));

            Assert.That(exception!.Message, Does.Contain("Sqlite:Path"));
            Assert.That(await File.ReadAllTextAsync(regularFile), Does.StartWith("not a directory"), "the file in the way is left alone");
        }
        finally
        {
            File.Delete(regularFile);
        }
    }

    [Test]
    public async Task MongoStartup_WhenServerIsUnreachable_ThrowsNamingTheConnectionStringSettingWithinTheStartupTimeout()
    {
        var mongo = await TestMongo.SharedAsync();
        var proxy = TcpProxy.ForMongo(mongo.ConnectionString);
        await proxy.StartAsync();
        await proxy.StopAsync();
        var settings = await TaskStore.NewSettingsAsync(TaskStore.Mongo);
        settings["Mongo:ConnectionString"] = $"mongodb://127.0.0.1:{proxy.Port}/?directConnection=true";
        settings["Mongo:StartupTimeout"] = "00:00:02";
        settings["Mongo:ServerSelectionTimeout"] = "00:00:01";
        settings["Mongo:ConnectTimeout"] = "00:00:01";
        var clock = Stopwatch.StartNew();

        var exception = Assert.ThrowsAsync<InvalidOperationException>(() => TaskStore.StartAsync(settings));

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "gives up soon after Mongo:StartupTimeout");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(exception!.Message, Does.Contain("Mongo:ConnectionString").And.Contain("Mongo:StartupTimeout"));
            Assert.That(exception.InnerException, Is.Not.Null, "keeps the driver's reason");
        }
    }

    [Test]
    public async Task MongoStartup_WhenServerIsUnreachableOnANeverUsedPort_ThrowsNamingTheConnectionStringSetting()
    {
        var settings = await TaskStore.NewSettingsAsync(TaskStore.Mongo);
        settings["Mongo:ConnectionString"] = $"mongodb://127.0.0.1:{UnusedLoopbackPort()}/?directConnection=true";
        settings["Mongo:StartupTimeout"] = "00:00:00";
        settings["Mongo:ServerSelectionTimeout"] = "00:00:01";
        settings["Mongo:ConnectTimeout"] = "00:00:01";

        var exception = Assert.ThrowsAsync<InvalidOperationException>(() => TaskStore.StartAsync(settings));

        Assert.That(exception!.Message, Does.Contain("Mongo:ConnectionString"));
    }

    /// <summary>The schema version this code writes: what start-up leaves in a fresh file.</summary>
    private static async Task<long> CurrentSchemaVersionAsync()
    {
        await using var fresh = await TaskStore.StartNewAsync(TaskStore.Sqlite);
        var version = UserVersion(fresh.SqlitePath);
        Assert.That(version, Is.Positive, "start-up writes a schema version");
        return version;
    }

    private static long UserVersion(string path)
    {
        using var connection = TaskStore.OpenSqliteConnection(path);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return (long)command.ExecuteScalar()!;
    }

    private static int UnusedLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
