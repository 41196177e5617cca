using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using MongoDB.Bson;
using MongoDB.Driver;
using TaskService.Application.Tasks.Execution;
using TaskService.Domain.Common;
using TaskService.Domain.Tasks;
using TaskService.Infrastructure.IntegrationTests.Support;
using TaskService.Infrastructure.Sqlite;
using TaskService.Infrastructure.Mongo;
using TaskService.TestSupport;

namespace TaskService.Infrastructure.IntegrationTests;

/// <summary>
/// The execution engine's store operations (<see cref="ITaskDispatchStore"/>), as the service registers them, on
/// both stores: the atomic claim in priority order, lease renewal and the claim check fenced by the claim token,
/// the sweep's query for overdue tasks, and the indexes that serve the claim and the sweep.
/// </summary>
public sealed class ClaimTests(string provider) : StoreContractTestBase(provider)
{
    private const string Columns =
        "id, name, type, priority, data, available_time, expiration_time, state, error, run_time, duration, " +
        "created_time, modified_time, attempts, claim_token, lease_expires_time, version";

    /// <summary>"Now" for the claims: the fixed test clock cut to whole milliseconds, so boundaries are exact.</summary>
    private static readonly DateTime Now = Instant.Normalize(Tasks.Now);

    private ITaskDispatchStore Dispatch => Store.Services.GetRequiredService<ITaskDispatchStore>();

    // ---- ClaimNextAsync ----------------------------------------------------------------------------------------

    [Test]
    public async Task ClaimNextAsync_WhenSeveralAreRunnable_ClaimsByPriorityThenAvailableTimeThenCreatedTime()
    {
        var type = UniqueType("order");
        var lowPriorityOldest = NewTask(type, 1, available: Now.AddMinutes(-50), created: Now.AddMinutes(-60));
        var latestAvailable = NewTask(type, 5, available: Now.AddMinutes(-1), created: Now.AddMinutes(-90));
        var createdLater = NewTask(type, 5, available: Now.AddMinutes(-2), created: Now.AddMinutes(-3));
        var createdEarlier = NewTask(type, 5, available: Now.AddMinutes(-2), created: Now.AddMinutes(-4));
        var highestAvailableJustNow = NewTask(type, 9, available: Now, created: Now.AddMinutes(-1));
        var lowPriority = NewTask(type, 2, available: Now.AddMinutes(-10), created: Now.AddMinutes(-20));
        foreach (var task in new[] { createdLater, lowPriorityOldest, highestAvailableJustNow, lowPriority, latestAvailable, createdEarlier })
        {
            await AddAsync(task);
        }

        var neverClaimed = await AddNeverClaimableAsync(type);

        var claimed = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var task = await ClaimAsync([type], Now);
            if (task is null)
            {
                break;
            }

            claimed.Add(task.Id.Value);
        }

        Assert.That(claimed, Is.EqualTo(new[] { highestAvailableJustNow, createdEarlier, createdLater, latestAvailable, lowPriority, lowPriorityOldest }
            .Select(task => task.Id.Value)));
        foreach (var task in neverClaimed)
        {
            AssertSameTask(await GetRequiredAsync(task.Id), task);
        }
    }

    [Test]
    public async Task ClaimNextAsync_WhenGivenSomeTypes_ClaimsOnlyTasksOfThoseTypes()
    {
        var typeA = UniqueType("a");
        var typeB = UniqueType("b");
        var other = UniqueType("other");
        var a = await AddAsync(NewTask(typeA, 1, Now.AddMinutes(-1), Now.AddMinutes(-1)));
        var b = await AddAsync(NewTask(typeB, 3, Now.AddMinutes(-1), Now.AddMinutes(-1)));
        var notAsked = await AddAsync(NewTask(other, 9, Now.AddMinutes(-1), Now.AddMinutes(-1)));

        var first = await ClaimAsync([typeA, typeB], Now);
        var second = await ClaimAsync([typeA, typeB], Now);
        var third = await ClaimAsync([typeA, typeB], Now);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first?.Id, Is.EqualTo(b.Id), "the higher priority of the asked types");
            Assert.That(second?.Id, Is.EqualTo(a.Id));
            Assert.That(third, Is.Null, "a task of a type not asked for is never claimed");
        }

        AssertSameTask(await GetRequiredAsync(notAsked.Id), notAsked);
        Assert.That((await ClaimAsync([other], Now))?.Id, Is.EqualTo(notAsked.Id), "its own type claims it");
    }

    [Test]
    public async Task ClaimNextAsync_WhenNoTaskIsRunnable_ReturnsNullAndChangesNothing()
    {
        var type = UniqueType("none");
        var neverClaimed = await AddNeverClaimableAsync(type);

        var claimed = await ClaimAsync([type], Now);

        Assert.That(claimed, Is.Null);
        foreach (var task in neverClaimed)
        {
            AssertSameTask(await GetRequiredAsync(task.Id), task);
        }
    }

    [Test]
    public async Task ClaimNextAsync_WhenItClaims_StoresWhatStartDoesAndBumpsTheVersion()
    {
        var task = await AddAsync(NewTask(UniqueType("fields"), 4, Now.AddMinutes(-30), Now.AddMinutes(-40)));
        var earlierToken = Tasks.Start(task, Now.AddMinutes(-20));
        await SaveRequiredAsync(task);
        task.Reschedule(Now.AddMinutes(-19), earlierToken, Now.AddMinutes(-5), "first attempt failed");
        await SaveRequiredAsync(task);
        var expected = BackgroundTask.Restore(task.ToSnapshot());

        // The engine passes its clock as it is, with sub-millisecond ticks; the store keeps milliseconds, as Start does.
        var now = Now.AddTicks(4321);
        var lease = now.AddSeconds(30).AddTicks(17);
        var claimed = await Dispatch.ClaimNextAsync([task.Type], now, "the-claim", lease, CancellationToken.None);

        expected.Start(now, "the-claim", lease);
        expected.MarkStored();
        Assert.That(claimed, Is.Not.Null);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(claimed!.State, Is.EqualTo(TaskState.Running));
            Assert.That(claimed.RunTime, Is.EqualTo(Now));
            Assert.That(claimed.Attempts, Is.EqualTo(2));
            Assert.That(claimed.ClaimToken, Is.EqualTo("the-claim"));
            Assert.That(claimed.LeaseExpiresTime, Is.EqualTo(Now.AddSeconds(30)));
            Assert.That(claimed.ModifiedTime, Is.EqualTo(Now));
            Assert.That(claimed.Version, Is.EqualTo(task.Version + 1));
        }

        AssertSameTask(claimed, expected);
        AssertSameTask(await GetRequiredAsync(task.Id), expected);
    }

    [Test]
    public async Task ClaimNextAsync_WhenManyClaimersRaceInParallel_ClaimsEveryTaskExactlyOnce()
    {
        var type = UniqueType("race");
        var seeded = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 40; i++)
        {
            var task = await AddAsync(NewTask(type, i % 4, Now.AddSeconds(-i), Now.AddMinutes(-1)));
            seeded.Add(task.Id.Value);
        }

        var claims = new ConcurrentBag<(string Id, string Token)>();
        var claimers = Enumerable.Range(0, 8).Select(claimer => Task.Run(async () =>
        {
            for (var n = 0; ; n++)
            {
                var token = $"claimer-{claimer}-{n}-{Guid.NewGuid():N}";
                var task = await Dispatch.ClaimNextAsync([type], Now, token, Now.AddMinutes(1), CancellationToken.None);
                if (task is null)
                {
                    return;
                }

                claims.Add((task.Id.Value, token));
            }
        }));
        await Task.WhenAll(claimers);

        var ids = claims.Select(claim => claim.Id).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ids, Is.Unique, "no task claimed twice");
            Assert.That(ids, Is.EquivalentTo(seeded), "every task claimed");
        }

        foreach (var (id, token) in claims)
        {
            var stored = await GetRequiredAsync(TaskId.Parse(id));
            using (Assert.EnterMultipleScope())
            {
                Assert.That(stored.State, Is.EqualTo(TaskState.Running), id);
                Assert.That(stored.ClaimToken, Is.EqualTo(token), $"{id} holds the token of the claim that returned it");
                Assert.That(stored.Attempts, Is.EqualTo(1), id);
                Assert.That(stored.Version, Is.EqualTo(1), id);
            }
        }
    }

    // ---- RenewLeaseAsync ---------------------------------------------------------------------------------------

    [Test]
    public async Task RenewLeaseAsync_WhenTokenIsTheClaims_ExtendsTheLeaseAndBumpsTheVersion()
    {
        var (task, token) = await AddClaimedAsync("renew");
        var expected = BackgroundTask.Restore(task.ToSnapshot());
        var lease = Now.AddMinutes(3).AddTicks(5);

        var renewed = await Dispatch.RenewLeaseAsync(task.Id, token, lease, CancellationToken.None);

        expected.RenewLease(token, lease);
        expected.MarkStored();
        Assert.That(renewed, Is.True);
        var stored = await GetRequiredAsync(task.Id);
        AssertSameTask(stored, expected);
        Assert.That(stored.LeaseExpiresTime, Is.EqualTo(Now.AddMinutes(3)));
    }

    [Test]
    public async Task RenewLeaseAsync_WhenTokenIsNotTheClaims_ReturnsFalseAndChangesNothing()
    {
        var (task, _) = await AddClaimedAsync("renew");

        var renewed = await Dispatch.RenewLeaseAsync(task.Id, "someone-elses-claim", Now.AddMinutes(3), CancellationToken.None);

        Assert.That(renewed, Is.False);
        AssertSameTask(await GetRequiredAsync(task.Id), task);
    }

    [Test]
    public async Task RenewLeaseAsync_WhenTheTaskWasDeleted_ReturnsFalseAndDoesNotRecreateIt()
    {
        var (task, token) = await AddClaimedAsync("renew");
        Assert.That(await Repository.DeleteAsync(task.Id, CancellationToken.None), Is.True);

        var renewed = await Dispatch.RenewLeaseAsync(task.Id, token, Now.AddMinutes(3), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(renewed, Is.False);
            Assert.That(await Repository.GetAsync(task.Id, CancellationToken.None), Is.Null);
        }
    }

    [TestCase("completed")]
    [TestCase("failed")]
    [TestCase("rescheduled")]
    [TestCase("released")]
    public async Task RenewLeaseAsync_WhenTheRunHasEnded_ReturnsFalseAndChangesNothing(string end)
    {
        var (task, token) = await AddClaimedAsync("renew");
        var at = Now.AddSeconds(5);
        switch (end)
        {
            case "completed":
                task.Complete(at, token);
                break;
            case "failed":
                task.Fail(at, token, "boom");
                break;
            case "rescheduled":
                task.Reschedule(at, token, at.AddMinutes(1), "again");
                break;
            default:
                task.Release(at, token);
                break;
        }

        await SaveRequiredAsync(task);

        var renewed = await Dispatch.RenewLeaseAsync(task.Id, token, Now.AddMinutes(3), CancellationToken.None);

        Assert.That(renewed, Is.False);
        AssertSameTask(await GetRequiredAsync(task.Id), task);
    }

    // ---- StillClaimedAsync -------------------------------------------------------------------------------------

    [Test]
    public async Task StillClaimedAsync_WhenSomeRunsWereLost_ReturnsOnlyThoseStillRunningWithTheirToken()
    {
        const string prefix = "still";
        var (kept, keptToken) = await AddClaimedAsync(prefix);
        var (alsoKept, alsoKeptToken) = await AddClaimedAsync(prefix);
        var (deleted, deletedToken) = await AddClaimedAsync(prefix);
        Assert.That(await Repository.DeleteAsync(deleted.Id, CancellationToken.None), Is.True);
        var (reclaimed, firstToken) = await AddClaimedAsync(prefix);
        reclaimed.RecoverExpiredLease(reclaimed.LeaseExpiresTime!.Value, 5);
        await SaveRequiredAsync(reclaimed);
        Tasks.Start(reclaimed, reclaimed.ModifiedTime.AddSeconds(1));
        await SaveRequiredAsync(reclaimed);
        var (completed, completedToken) = await AddClaimedAsync(prefix);
        completed.Complete(completed.ModifiedTime.AddSeconds(1), completedToken);
        await SaveRequiredAsync(completed);
        var (released, releasedToken) = await AddClaimedAsync(prefix);
        released.Release(released.ModifiedTime.AddSeconds(1), releasedToken);
        await SaveRequiredAsync(released);
        var (wrongToken, _) = await AddClaimedAsync(prefix);

        var still = await Dispatch.StillClaimedAsync(
            [
                new ClaimedRun(kept.Id.Value, keptToken),
                new ClaimedRun(deleted.Id.Value, deletedToken),
                new ClaimedRun(reclaimed.Id.Value, firstToken),
                new ClaimedRun(completed.Id.Value, completedToken),
                new ClaimedRun(released.Id.Value, releasedToken),
                new ClaimedRun(wrongToken.Id.Value, "not-its-token"),
                new ClaimedRun(TaskId.New().Value, "never-existed"),
                new ClaimedRun(alsoKept.Id.Value, alsoKeptToken),
            ],
            CancellationToken.None);

        Assert.That(still, Is.EquivalentTo(new[] { kept.Id.Value, alsoKept.Id.Value }));
        Assert.That(
            await Dispatch.StillClaimedAsync([new ClaimedRun(reclaimed.Id.Value, reclaimed.ClaimToken!)], CancellationToken.None),
            Is.EquivalentTo(new[] { reclaimed.Id.Value }),
            "the new claim of a re-claimed task is its claim");
    }

    [Test]
    public async Task StillClaimedAsync_WhenGivenNoRuns_ReturnsAnEmptySet()
    {
        await AddClaimedAsync("still");

        var still = await Dispatch.StillClaimedAsync([], CancellationToken.None);

        Assert.That(still, Is.Empty);
    }

    // ---- FindOverdueAsync --------------------------------------------------------------------------------------

    [Test]
    public async Task FindOverdueAsync_WhenTasksArePastExpirationOrLease_ReturnsPendingPastExpirationAndRunningPastLeaseOnly()
    {
        // The sweep looks at every type: a store of its own, so other tests' tasks are not in the answer.
        var store = await NewStoreAsync();
        var type = UniqueType("overdue");
        var pendingExpired = await AddToAsync(store, NewTask(type, 1, Now.AddHours(-2), Now.AddHours(-3), expiration: Now.AddMinutes(-1)));
        var pendingExpiringNow = await AddToAsync(store, NewTask(type, 1, Now.AddHours(-2), Now.AddHours(-3), expiration: Now));
        var pendingNotYetExpired = await AddToAsync(store, NewTask(type, 1, Now.AddHours(-2), Now.AddHours(-3), expiration: Now.AddMilliseconds(1)));
        var runningLeaseGone = await AddRunningToAsync(store, type, lease: Now.AddMinutes(-1));
        var runningLeaseEndingNow = await AddRunningToAsync(store, type, lease: Now);
        var runningLeaseHeld = await AddRunningToAsync(store, type, lease: Now.AddMilliseconds(1));
        var runningPastExpirationButLeased = await AddRunningToAsync(store, type, lease: Now.AddMinutes(5), expiration: Now.AddMinutes(-1));
        var completedPastBoth = await AddRunningToAsync(store, type, lease: Now.AddMinutes(-1), expiration: Now.AddMinutes(-1));
        completedPastBoth.Complete(Now.AddMinutes(-2), completedPastBoth.ClaimToken!);
        Assert.That(await store.Repository.SaveAsync(completedPastBoth, CancellationToken.None), Is.True);
        var failedPastBoth = await AddRunningToAsync(store, type, lease: Now.AddMinutes(-1), expiration: Now.AddMinutes(-1));
        failedPastBoth.Fail(Now.AddMinutes(-2), failedPastBoth.ClaimToken!, "boom");
        Assert.That(await store.Repository.SaveAsync(failedPastBoth, CancellationToken.None), Is.True);

        var overdue = await DispatchOf(store).FindOverdueAsync(Now, 100, CancellationToken.None);

        Assert.That(
            overdue.Select(task => task.Id.Value),
            Is.EquivalentTo(new[] { pendingExpired, pendingExpiringNow, runningLeaseGone, runningLeaseEndingNow }.Select(task => task.Id.Value)),
            $"not {string.Join(", ", new[] { pendingNotYetExpired, runningLeaseHeld, runningPastExpirationButLeased, completedPastBoth, failedPastBoth }.Select(task => task.Id.Value))}");
        foreach (var task in overdue)
        {
            AssertSameTask(task, await store.Repository.GetAsync(task.Id, CancellationToken.None) ?? throw new AssertionException($"{task.Id} is stored"));
        }
    }

    [Test]
    public async Task FindOverdueAsync_WhenMoreAreOverdueThanTheLimit_ReturnsAtMostTheLimitOfEachKind()
    {
        var store = await NewStoreAsync();
        var type = UniqueType("overdue-limit");
        var expired = new List<string>();
        var abandoned = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            expired.Add((await AddToAsync(store, NewTask(type, 1, Now.AddHours(-2), Now.AddHours(-3), expiration: Now.AddMinutes(-1 - i)))).Id.Value);
            abandoned.Add((await AddRunningToAsync(store, type, lease: Now.AddMinutes(-1 - i))).Id.Value);
        }

        var limited = await DispatchOf(store).FindOverdueAsync(Now, 2, CancellationToken.None);
        var all = await DispatchOf(store).FindOverdueAsync(Now, 10, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(limited.Count(task => task.State == TaskState.Pending), Is.EqualTo(2), "two pending past expiration");
            Assert.That(limited.Count(task => task.State == TaskState.Running), Is.EqualTo(2), "two running past their lease");
            Assert.That(limited.Select(task => task.Id.Value), Is.Unique.And.SubsetOf(expired.Concat(abandoned)));
            Assert.That(all.Select(task => task.Id.Value), Is.EquivalentTo(expired.Concat(abandoned)));
        }
    }

    // ---- The claim and sweep indexes ---------------------------------------------------------------------------

    [Test]
    public async Task ClaimIndex_Always_ServesTheClaimsFilterAndOrderWithoutSortingOrScanning()
    {
        var type = UniqueType("plan");
        for (var i = 0; i < 20; i++)
        {
            await AddAsync(NewTask(i % 2 == 0 ? type : UniqueType("plan-other"), i % 5, Now.AddMinutes(-i), Now.AddMinutes(-30)));
        }

        if (Provider == TaskStore.Mongo)
        {
            await AssertMongoServesClaimAsync(type);
        }
        else
        {
            var claim = SqliteDispatchStore.ClaimSql(1).TrimEnd(';');
            var updatePlan = SqlitePlan(
                claim, ("@type0", type), ("@now", ToUnixMilliseconds(Now)), ("@token", "plan-claim"), ("@lease", ToUnixMilliseconds(Now.AddSeconds(30))));
            AssertSqliteUsesIndexWithoutSortOrScan(updatePlan, "tasks_claim", "state=? AND type=?");

            // Several types: one index search per type, and the only sort is of those few candidates, never of the table.
            var severalPlan = SqlitePlan(
                SqliteDispatchStore.ClaimSql(3).TrimEnd(';'),
                ("@type0", type), ("@type1", "b"), ("@type2", "c"), ("@now", ToUnixMilliseconds(Now)), ("@token", "plan-claim"), ("@lease", ToUnixMilliseconds(Now.AddSeconds(30))));
            var text = string.Join(" | ", severalPlan);
            Assert.That(severalPlan.Count(row => row == "SEARCH tasks USING INDEX tasks_claim (state=? AND type=?)"), Is.EqualTo(3), text);
            Assert.That(severalPlan.Where(row => row.StartsWith("SCAN tasks", StringComparison.Ordinal)), Is.Empty, text);
        }
    }

    [Test]
    public async Task SweepIndexes_Always_ServeBothOverdueQueries()
    {
        if (Provider == TaskStore.Mongo)
        {
            var keys = (await QueryPlans.MongoIndexesAsync(Store)).Select(QueryPlans.KeysOf).ToList();
            using (Assert.EnterMultipleScope())
            {
                Assert.That(keys, Has.Some.EqualTo("state:1,expirationTime:1"), string.Join("; ", keys));
                Assert.That(keys, Has.Some.EqualTo("state:1,leaseExpiresTime:1"), string.Join("; ", keys));
            }

            return;
        }

        var parameters = new (string, object)[] { ("@now", ToUnixMilliseconds(Now)), ("@limit", 100) };
        var expiredPlan = SqlitePlan($"SELECT {Columns} FROM tasks WHERE state = 'pending' AND expiration_time <= @now LIMIT @limit", parameters);
        var abandonedPlan = SqlitePlan($"SELECT {Columns} FROM tasks WHERE state = 'running' AND lease_expires_time <= @now LIMIT @limit", parameters);

        AssertSqliteUsesIndexWithoutSortOrScan(expiredPlan, "tasks_sweep_expiration", "state=? AND expiration_time<?");
        AssertSqliteUsesIndexWithoutSortOrScan(abandonedPlan, "tasks_sweep_lease", "state=? AND lease_expires_time<?");
    }

    // ---- Helpers -----------------------------------------------------------------------------------------------

    private static BackgroundTask NewTask(string type, int priority, DateTime available, DateTime created, DateTime? expiration = null) =>
        BackgroundTask.Create(
            Tasks.UniqueName("claim"), type, priority, TaskData.Parse("""{"k":1}"""), available, expiration ?? Now.AddDays(1), created);

    private Task<BackgroundTask?> ClaimAsync(IReadOnlyCollection<string> types, DateTime now) =>
        Dispatch.ClaimNextAsync(types, now, $"claim-{Guid.NewGuid():N}", now.AddMinutes(1), CancellationToken.None);

    private static ITaskDispatchStore DispatchOf(TaskStore store) => store.Services.GetRequiredService<ITaskDispatchStore>();

    /// <summary>Tasks of <paramref name="type"/>, each of the highest priority, that no claim at <see cref="Now"/> may take.</summary>
    private async Task<List<BackgroundTask>> AddNeverClaimableAsync(string type)
    {
        var notYetAvailable = await AddAsync(NewTask(type, 100, Now.AddMilliseconds(1), Now.AddMinutes(-5)));
        var expiringNow = await AddAsync(NewTask(type, 100, Now.AddHours(-2), Now.AddHours(-3), expiration: Now));
        var expired = await AddAsync(NewTask(type, 100, Now.AddHours(-2), Now.AddHours(-3), expiration: Now.AddMinutes(-1)));
        var running = await AddAsync(NewTask(type, 100, Now.AddHours(-2), Now.AddHours(-3)));
        Tasks.Start(running, Now.AddMinutes(-1));
        await SaveRequiredAsync(running);
        var completed = await AddAsync(NewTask(type, 100, Now.AddHours(-2), Now.AddHours(-3)));
        completed.Complete(Now.AddMinutes(-1), Tasks.Start(completed, Now.AddMinutes(-2)));
        await SaveRequiredAsync(completed);
        return [notYetAvailable, expiringNow, expired, running, completed];
    }

    /// <summary>A task of a type of its own claimed through the store; returns it as stored, and its token.</summary>
    private async Task<(BackgroundTask Task, string Token)> AddClaimedAsync(string prefix)
    {
        var type = UniqueType(prefix);
        var task = await AddAsync(NewTask(type, 1, Now.AddMinutes(-5), Now.AddMinutes(-10)));
        var token = $"claim-{Guid.NewGuid():N}";
        var claimed = await Dispatch.ClaimNextAsync([type], Now, token, Now.AddMinutes(1), CancellationToken.None);
        Assert.That(claimed?.Id, Is.EqualTo(task.Id), "precondition: the task is claimed");
        return (claimed!, token);
    }

    private static async Task<BackgroundTask> AddToAsync(TaskStore store, BackgroundTask task)
    {
        await store.Repository.AddAsync(task, CancellationToken.None);
        return task;
    }

    /// <summary>A running task started an hour ago with the given lease, stored through the repository.</summary>
    private static async Task<BackgroundTask> AddRunningToAsync(TaskStore store, string type, DateTime lease, DateTime? expiration = null)
    {
        var task = await AddToAsync(store, NewTask(type, 1, Now.AddHours(-2), Now.AddHours(-3), expiration));
        task.Start(Now.AddHours(-1), $"claim-{Guid.NewGuid():N}", lease);
        Assert.That(await store.Repository.SaveAsync(task, CancellationToken.None), Is.True, "precondition: started");
        return task;
    }

    private static long ToUnixMilliseconds(DateTime time) => new DateTimeOffset(time).ToUnixTimeMilliseconds();

    // ---- MongoDB -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Equalities on state and type first (either order), then exactly the claim order: priority descending,
    /// availableTime and createdTime ascending. With that prefix the index hands the tasks over already sorted, so
    /// the claim needs no in-memory sort and no <c>$or</c>; later keys (the expiration bound) do not disturb it.
    /// </summary>
    private static bool ServesTheClaim(BsonDocument keys)
    {
        var names = keys.Names.ToList();
        return names.Count >= 5
            && names.Take(2).Order(StringComparer.Ordinal).SequenceEqual(["state", "type"])
            && names[2] == "priority" && keys["priority"].ToDouble() < 0
            && names[3] == "availableTime" && keys["availableTime"].ToDouble() > 0
            && names[4] == "createdTime" && keys["createdTime"].ToDouble() > 0;
    }

    private async Task AssertMongoServesClaimAsync(string type)
    {
        var indexes = await QueryPlans.MongoIndexesAsync(Store);
        var serving = indexes.Where(index => ServesTheClaim(index["key"].AsBsonDocument)).ToList();
        Assert.That(serving, Is.Not.Empty, $"an index on state and type, then priority:-1, availableTime:1, createdTime:1; have {string.Join("; ", indexes.Select(QueryPlans.KeysOf))}");
        Assert.That(
            serving.Select(index => index["name"].AsString),
            Has.Member(MongoTaskCollection.ClaimIndexName),
            "the claim hints the index by this name, so the serving index must carry it");

        // The index list proves the index exists; only the query planner proves the claim uses it. The emulator
        // (mongomock behind a wire-protocol shim) keeps indexes as metadata only, has no query planner and answers
        // `explain` with an error, so this part runs only against a real MongoDB named by TASKSERVICE_TEST_MONGO.
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(TestMongo.EnvironmentVariable)))
        {
            return;
        }

        var stages = await MongoClaimPlanStagesAsync(type);
        var plan = string.Join(" > ", stages);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stages, Has.Some.EqualTo("IXSCAN"), $"plan: {plan}");
            Assert.That(stages, Has.None.EqualTo("COLLSCAN"), $"plan: {plan}");
            Assert.That(stages, Has.None.StartsWith("SORT"), $"no in-memory sort; plan: {plan}");
        }
    }

    /// <summary>
    /// The winning plan's stage names for the claim's findAndModify, written as <c>MongoDispatchStore</c> sends it
    /// for one type: the same query, sort, update and hint.
    /// </summary>
    private async Task<List<string>> MongoClaimPlanStagesAsync(string type)
    {
        var mongo = await TestMongo.SharedAsync();
        var now = new BsonDateTime(Now);
        var command = new BsonDocument
        {
            {
                "explain", new BsonDocument
                {
                    { "findAndModify", MongoTaskCollection.CollectionName },
                    {
                        "query", new BsonDocument
                        {
                            { "state", "pending" },
                            { "type", type },
                            { "availableTime", new BsonDocument("$lte", now) },
                            { "expirationTime", new BsonDocument("$gt", now) },
                        }
                    },
                    { "sort", new BsonDocument { { "priority", -1 }, { "availableTime", 1 }, { "createdTime", 1 } } },
                    {
                        "update", new BsonDocument
                        {
                            {
                                "$set", new BsonDocument
                                {
                                    { "state", "running" },
                                    { "runTime", now },
                                    { "claimToken", "explain-claim" },
                                    { "leaseExpiresTime", new BsonDateTime(Now.AddSeconds(30)) },
                                    { "modifiedTime", now },
                                }
                            },
                            { "$inc", new BsonDocument { { "attempts", 1 }, { "version", 1L } } },
                        }
                    },
                    { "new", true },
                    { "hint", MongoTaskCollection.ClaimIndexName },
                }
            },
            { "verbosity", "queryPlanner" },
        };
        var result = await new MongoClient(mongo.ConnectionString).GetDatabase(Store.MongoDatabase).RunCommandAsync<BsonDocument>(command);
        return QueryPlans.WinningPlanStages(result);
    }

    // ---- SQLite --------------------------------------------------------------------------------------------------

    private List<string> SqlitePlan(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Store.OpenSqliteConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql + ";";
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var plan = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            plan.Add(reader.GetString(reader.GetOrdinal("detail")));
        }

        return plan;
    }

    /// <summary>
    /// Asserts the plan searches <paramref name="index"/> with exactly the <paramref name="constraints"/> SQLite reports
    /// (its equality prefix and range, e.g. both state and type, not state alone), never sorts in a temporary b-tree and
    /// never scans the table itself.
    /// </summary>
    private static void AssertSqliteUsesIndexWithoutSortOrScan(List<string> plan, string index, string constraints)
    {
        var text = string.Join(" | ", plan);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(plan, Has.Some.Match($@"^SEARCH tasks USING (COVERING )?INDEX {index} \({Regex.Escape(constraints)}\)$"), $"searches {index} by {constraints}; plan: {text}");
            Assert.That(plan, Has.None.Contains("USE TEMP B-TREE"), $"no sort; plan: {text}");
            Assert.That(
                plan.Where(row => row.StartsWith("SCAN", StringComparison.Ordinal) && !row.Contains("USING", StringComparison.Ordinal)),
                Is.Empty,
                $"no full table scan; plan: {text}");
        }
    }
}
