using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;
using TaskService.Infrastructure.IntegrationTests.Support;

namespace TaskService.Infrastructure.IntegrationTests;

/// <summary>
/// The task store contract, written once and run against both adapters. Every fixture gets a store of its own (a fresh
/// MongoDB database or SQLite file), built the way the service builds it; each test makes uniquely named tasks of
/// unique types, or asks for a store of its own with <see cref="NewStoreAsync"/>.
/// </summary>
[TestFixture(TaskStore.Mongo)]
[TestFixture(TaskStore.Sqlite)]
public abstract class StoreContractTestBase(string provider)
{
    private readonly List<TaskStore> _extraStores = [];

    protected string Provider { get; } = provider;

    protected TaskStore Store { get; private set; } = null!;

    protected ITaskRepository Repository => Store.Repository;

    protected ITaskQueries Queries => Store.Queries;

    [OneTimeSetUp]
    public async Task StartStoreAsync() => Store = await TaskStore.StartNewAsync(Provider);

    [OneTimeTearDown]
    public async Task StopStoreAsync()
    {
        foreach (var store in _extraStores)
        {
            await store.DisposeAsync();
        }

        await Store.DisposeAsync();
    }

    /// <summary>A clean store of this fixture's kind, disposed with the fixture.</summary>
    protected async Task<TaskStore> NewStoreAsync()
    {
        var store = await TaskStore.StartNewAsync(Provider);
        _extraStores.Add(store);
        return store;
    }

    protected static string UniqueType(string prefix = "type") => $"{prefix}-{Guid.NewGuid():N}";

    protected async Task<BackgroundTask> AddAsync(BackgroundTask task)
    {
        await Repository.AddAsync(task, CancellationToken.None);
        return task;
    }

    protected async Task<BackgroundTask> GetRequiredAsync(TaskId id)
    {
        var task = await Repository.GetAsync(id, CancellationToken.None);
        Assert.That(task, Is.Not.Null, $"task {id} is stored");
        return task!;
    }

    protected async Task SaveRequiredAsync(BackgroundTask task)
    {
        Assert.That(await Repository.SaveAsync(task, CancellationToken.None), Is.True, $"task {task.Id} saved at version {task.Version}");
    }

    protected Task<IReadOnlyList<BackgroundTask>> ListAsync(
        string? name = null, string? type = null, TaskState? state = null, int page = 0, int size = 1000) =>
        Queries.ListAsync(new TaskListFilter(name, type, state), page, size, CancellationToken.None);

    /// <summary>Asserts that <paramref name="actual"/> is <paramref name="expected"/> field by field, UTC at millisecond precision.</summary>
    protected static void AssertSameTask(BackgroundTask actual, BackgroundTask expected)
    {
        var stored = actual.ToSnapshot();
        var wanted = expected.ToSnapshot();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.Id, Is.EqualTo(wanted.Id), "id");
            Assert.That(stored.Name, Is.EqualTo(wanted.Name), "name");
            Assert.That(stored.Type, Is.EqualTo(wanted.Type), "type");
            Assert.That(stored.Priority, Is.EqualTo(wanted.Priority), "priority");
            Assert.That(stored.Data.Json, Is.EqualTo(wanted.Data.Json), "data");
            Assert.That(stored.State, Is.EqualTo(wanted.State), "state");
            Assert.That(stored.Error, Is.EqualTo(wanted.Error), "error");
            Assert.That(stored.Duration, Is.EqualTo(wanted.Duration), "duration");
            Assert.That(stored.Attempts, Is.EqualTo(wanted.Attempts), "attempts");
            Assert.That(stored.ClaimToken, Is.EqualTo(wanted.ClaimToken), "claimToken");
            Assert.That(stored.Version, Is.EqualTo(wanted.Version), "version");
            AssertSameTime(stored.AvailableTime, wanted.AvailableTime, "availableTime");
            AssertSameTime(stored.ExpirationTime, wanted.ExpirationTime, "expirationTime");
            AssertSameTime(stored.RunTime, wanted.RunTime, "runTime");
            AssertSameTime(stored.CreatedTime, wanted.CreatedTime, "createdTime");
            AssertSameTime(stored.ModifiedTime, wanted.ModifiedTime, "modifiedTime");
            AssertSameTime(stored.LeaseExpiresTime, wanted.LeaseExpiresTime, "leaseExpiresTime");
            Assert.That(stored, Is.EqualTo(wanted), "the whole snapshot");
        }
    }

    private static void AssertSameTime(DateTime? actual, DateTime? expected, string field)
    {
        Assert.That(actual?.Ticks, Is.EqualTo(expected?.Ticks), $"{field} ticks");
        if (actual is { } time)
        {
            Assert.That(time.Kind, Is.EqualTo(DateTimeKind.Utc), $"{field} is UTC");
            Assert.That(time.Ticks % TimeSpan.TicksPerMillisecond, Is.Zero, $"{field} is at millisecond precision");
        }
    }
}
