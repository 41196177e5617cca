using System.Diagnostics;
using TaskService.Application.Common.Exceptions;
using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;
using TaskService.Infrastructure.IntegrationTests.Support;
using TaskService.TestSupport;

namespace TaskService.Infrastructure.IntegrationTests;

/// <summary>
/// When the store cannot be used right now, every operation fails fast with <see cref="StoreUnavailableException"/>
/// (the service's 503), and the same repository works again once the store is back, without a restart. How a store
/// becomes unavailable is particular to it: MongoDB goes away over the network; a SQLite file stays locked by another
/// writer for longer than <c>Sqlite:BusyTimeout</c>.
/// </summary>
[TestFixture]
public sealed class StoreUnavailableTests
{
    private static readonly TimeSpan Fast = TimeSpan.FromSeconds(6);

    [Test]
    public async Task MongoOperations_WhenServerIsUnreachable_ThrowStoreUnavailableFastAndRecoverWithTheSameRepository()
    {
        var mongo = await TestMongo.SharedAsync();
        await using var proxy = TcpProxy.ForMongo(mongo.ConnectionString);
        await proxy.StartAsync();
        await using var store = await TaskStore.StartNewAsync(TaskStore.Mongo, new Dictionary<string, string?>
        {
            ["Mongo:ConnectionString"] = $"mongodb://127.0.0.1:{proxy.Port}/?directConnection=true",
            ["Mongo:ServerSelectionTimeout"] = "00:00:01",
            ["Mongo:ConnectTimeout"] = "00:00:01",
        });
        var repository = store.Repository;
        var queries = store.Queries;
        var type = $"outage-{Guid.NewGuid():N}";
        var existing = Tasks.New(type: type);
        await repository.AddAsync(existing, CancellationToken.None);
        var copy = await repository.GetAsync(existing.Id, CancellationToken.None);
        Tasks.Start(copy!);

        await proxy.StopAsync();

        foreach (var (name, operation) in Operations(repository, queries, existing, copy!, Tasks.New(type: type)))
        {
            await AssertUnavailableFastAsync(name, operation);
        }

        await proxy.StartAsync();
        await WaitUntilAsync(() => repository.GetAsync(existing.Id, CancellationToken.None));

        var added = Tasks.New(type: type);
        await repository.AddAsync(added, CancellationToken.None);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await repository.SaveAsync(copy!, CancellationToken.None), Is.True, "the failed save stored nothing, so the copy is still current");
            Assert.That((await queries.ListAsync(new TaskListFilter(null, type, null), 0, 10, CancellationToken.None)).Select(task => task.Id), Is.EquivalentTo(new[] { existing.Id, added.Id }), "the failed add stored nothing");
            Assert.That(await repository.DeleteAsync(added.Id, CancellationToken.None), Is.True);
            Assert.That((await repository.GetAsync(existing.Id, CancellationToken.None))?.State, Is.EqualTo(TaskState.Running));
        }
    }

    [Test]
    public async Task SqliteWrites_WhenAnotherConnectionHoldsTheWriteLockPastTheBusyTimeout_ThrowStoreUnavailableAndRecover()
    {
        await using var store = await TaskStore.StartNewAsync(TaskStore.Sqlite, new Dictionary<string, string?> { ["Sqlite:BusyTimeout"] = "00:00:01" });
        var repository = store.Repository;
        var queries = store.Queries;
        var type = $"locked-{Guid.NewGuid():N}";
        var existing = Tasks.New(type: type);
        await repository.AddAsync(existing, CancellationToken.None);
        var copy = await repository.GetAsync(existing.Id, CancellationToken.None);
        Tasks.Start(copy!);
        var blocked = Tasks.New(type: type);

        using (var holder = store.OpenSqliteConnection())
        {
            using var begin = holder.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE;";
            begin.ExecuteNonQuery();

            var writes = Operations(repository, queries, existing, copy!, blocked).Where(operation => operation.Name is "AddAsync" or "SaveAsync" or "DeleteAsync").ToList();
            Assert.That(writes, Has.Count.EqualTo(3));
            // One after the other: each assertion opens an NUnit assertion scope, and those must not interleave.
            foreach (var (name, run) in writes)
            {
                await AssertUnavailableFastAsync(name, run, atLeast: TimeSpan.FromSeconds(0.9));
            }

            // Write-ahead logging: readers do not wait for the writer.
            using (Assert.EnterMultipleScope())
            {
                Assert.That(await repository.GetAsync(existing.Id, CancellationToken.None), Is.Not.Null, "reads go on during the lock");
                Assert.That(await queries.ListAsync(new TaskListFilter(null, type, null), 0, 10, CancellationToken.None), Has.Count.EqualTo(1));
            }

            using var rollback = holder.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await repository.SaveAsync(copy!, CancellationToken.None), Is.True, "the refused save stored nothing");
            Assert.That(await repository.GetAsync(blocked.Id, CancellationToken.None), Is.Null, "the refused add stored nothing");
        }

        await repository.AddAsync(blocked, CancellationToken.None);
        using (Assert.EnterMultipleScope())
        {
            Assert.That((await queries.ListAsync(new TaskListFilter(null, type, null), 0, 10, CancellationToken.None)).Select(task => task.Id), Is.EquivalentTo(new[] { existing.Id, blocked.Id }));
            Assert.That(await repository.DeleteAsync(blocked.Id, CancellationToken.None), Is.True);
            Assert.That((await repository.GetAsync(existing.Id, CancellationToken.None))?.State, Is.EqualTo(TaskState.Running));
        }
    }

    /// <summary>One call of each operation; none of them may succeed while the store is unavailable.</summary>
    private static List<(string Name, Func<Task> Run)> Operations(
        ITaskRepository repository, ITaskQueries queries, BackgroundTask existing, BackgroundTask changed, BackgroundTask fresh) =>
    [
        ("GetAsync", () => repository.GetAsync(existing.Id, CancellationToken.None)),
        ("ListAsync", () => queries.ListAsync(new TaskListFilter(null, existing.Type, null), 0, 10, CancellationToken.None)),
        ("AddAsync", () => repository.AddAsync(fresh, CancellationToken.None)),
        ("SaveAsync", () => repository.SaveAsync(changed, CancellationToken.None)),
        ("DeleteAsync", () => repository.DeleteAsync(existing.Id, CancellationToken.None)),
    ];

    private static async Task AssertUnavailableFastAsync(string name, Func<Task> operation, TimeSpan? atLeast = null)
    {
        var clock = Stopwatch.StartNew();
        Exception? thrown = null;
        try
        {
            await operation();
        }
        catch (Exception exception)
        {
            thrown = exception;
        }

        clock.Stop();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(thrown, Is.TypeOf<StoreUnavailableException>(), $"{name} throws StoreUnavailableException; got {thrown}");
            Assert.That(thrown?.InnerException, Is.Not.Null, $"{name} keeps the cause");
            Assert.That(clock.Elapsed, Is.LessThan(Fast), $"{name} fails fast");
            if (atLeast is { } minimum)
            {
                Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(minimum), $"{name} waited for the busy timeout first");
            }
        }
    }

    private static async Task WaitUntilAsync(Func<Task> operation)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await operation();
                return;
            }
            catch (StoreUnavailableException) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100);
            }
        }
    }
}
