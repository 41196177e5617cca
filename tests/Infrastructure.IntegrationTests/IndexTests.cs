using Microsoft.Data.Sqlite;
using MongoDB.Bson;
using MongoDB.Driver;
using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;
using TaskService.Infrastructure.IntegrationTests.Support;
using TaskService.Infrastructure.Sqlite;
using TaskService.TestSupport;

namespace TaskService.Infrastructure.IntegrationTests;

/// <summary>
/// Start-up gives every list query an index that filters and orders it (so a list never scans or sorts the whole
/// store), and a unique index on name; running start-up again changes nothing. The evidence is the store's own:
/// MongoDB's index list (and its query planner on a real server), SQLite's schema and <c>EXPLAIN QUERY PLAN</c>.
/// </summary>
public sealed class IndexTests(string provider) : StoreContractTestBase(provider)
{
    /// <summary>Every filter the list takes: none, one, two or all three of name, type and state.</summary>
    public static IEnumerable<TestCaseData> FilterShapes() =>
        from byName in new[] { false, true }
        from byType in new[] { false, true }
        from byState in new[] { false, true }
        select new TestCaseData(byName, byType, byState).SetArgDisplayNames(
            string.Join("+", new[] { byName ? "name" : null, byType ? "type" : null, byState ? "state" : null }.OfType<string>().DefaultIfEmpty("none")));

    [Test]
    public async Task Startup_CreatesAUniqueIndexOnName()
    {
        if (Provider == TaskStore.Mongo)
        {
            var indexes = await QueryPlans.MongoIndexesAsync(Store);
            Assert.That(
                indexes.Where(index => QueryPlans.KeysOf(index) == "name:1" && index.GetValue("unique", false).ToBoolean()).ToList(),
                Has.Count.EqualTo(1),
                $"a unique index on name alone; have {string.Join("; ", indexes.Select(QueryPlans.KeysOf))}");
        }
        else
        {
            var uniqueIndexes = SqliteUniqueIndexColumns();
            Assert.That(uniqueIndexes, Has.Some.EqualTo("name"), $"a unique index on name alone; have {string.Join("; ", uniqueIndexes)}");
        }
    }

    [TestCaseSource(nameof(FilterShapes))]
    public async Task ListAsync_ForEveryFilterShape_IsServedByAnIndexWithoutSortingOrScanning(bool byName, bool byType, bool byState)
    {
        await SeedAsync();
        var filter = new TaskListFilter(byName ? "list-name" : null, byType ? "some-type" : null, byState ? TaskState.Running : null);
        Assert.That(await Queries.ListAsync(filter, 2, 10, CancellationToken.None), Has.Count.LessThanOrEqualTo(10), "the query itself runs");

        if (Provider == TaskStore.Mongo)
        {
            await AssertMongoServesListAsync(filter);
        }
        else
        {
            AssertSqliteServesList(filter);
        }
    }

    [Test]
    public async Task Startup_WhenRunAgainOnTheSameStore_IsHarmlessAndChangesNothing()
    {
        var task = await AddAsync(Tasks.New(type: UniqueType()));
        var before = await DescribeSchemaAsync();

        await Store.RunStartupsAsync();
        await using (var second = await TaskStore.StartAsync(Store.Settings))
        {
            AssertSameTask(await second.Repository.GetAsync(task.Id, CancellationToken.None) ?? throw new AssertionException("task lost"), task);
            await second.RunStartupsAsync();
        }

        Assert.That(await DescribeSchemaAsync(), Is.EqualTo(before));
        AssertSameTask(await GetRequiredAsync(task.Id), task);
        var copy = await GetRequiredAsync(task.Id);
        Tasks.Start(copy);
        await SaveRequiredAsync(copy);
    }

    private async Task SeedAsync()
    {
        if ((await ListAsync(size: 1)).Count == 0)
        {
            for (var i = 0; i < 30; i++)
            {
                var task = await AddAsync(Tasks.New(type: $"seed-{i % 3}", now: Tasks.Now.AddSeconds(i)));
                if (i % 2 == 0)
                {
                    Tasks.Start(task);
                    await SaveRequiredAsync(task);
                }
            }
        }
    }

    private async Task<string[]> DescribeSchemaAsync()
    {
        if (Provider == TaskStore.Mongo)
        {
            return (await QueryPlans.MongoIndexesAsync(Store)).Select(index => index.ToJson()).Order(StringComparer.Ordinal).ToArray();
        }

        using var connection = Store.OpenSqliteConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master ORDER BY name; ";
        var rows = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                rows.Add(reader.GetString(0));
            }
        }

        command.CommandText = "PRAGMA user_version;";
        rows.Add($"user_version {command.ExecuteScalar()}");
        return [.. rows];
    }

    // ---- MongoDB -------------------------------------------------------------------------------------------------

    private async Task AssertMongoServesListAsync(TaskListFilter filter)
    {
        var indexes = await QueryPlans.MongoIndexesAsync(Store);
        var equality = new List<string>();
        if (filter.Name is not null)
        {
            equality.Add("name");
        }

        if (filter.Type is not null)
        {
            equality.Add("type");
        }

        if (filter.State is not null)
        {
            equality.Add("state");
        }

        if (filter.Name is null)
        {
            // The list order must come from the index: its keys are the equality fields (any order, any direction),
            // then createdTime and _id descending, and nothing else.
            var serving = indexes.Where(index => ServesInOrder(index["key"].AsBsonDocument, equality)).ToList();
            Assert.That(serving, Is.Not.Empty, $"an index on [{string.Join(",", equality)}] then createdTime:-1, _id:-1; have {string.Join("; ", indexes.Select(QueryPlans.KeysOf))}");
        }
        else
        {
            // A name matches at most one task: the unique name index finds it, and ordering one task is free.
            Assert.That(indexes.Where(index => QueryPlans.KeysOf(index) == "name:1" && index.GetValue("unique", false).ToBoolean()), Is.Not.Empty);
        }

        // The index list proves an index exists; only the query planner proves the list uses it. The emulator
        // (mongomock behind a wire-protocol shim) has no planner and no `explain`, so this part runs only against
        // a real MongoDB named by TASKSERVICE_TEST_MONGO.
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(TestMongo.EnvironmentVariable)))
        {
            var stages = await MongoWinningPlanStagesAsync(filter);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(stages, Has.Some.EqualTo("IXSCAN"), $"plan: {string.Join(" > ", stages)}");
                Assert.That(stages, Has.None.EqualTo("COLLSCAN"), $"plan: {string.Join(" > ", stages)}");
                if (filter.Name is null)
                {
                    Assert.That(stages, Has.None.StartsWith("SORT"), $"no in-memory sort; plan: {string.Join(" > ", stages)}");
                }
            }
        }
    }

    private static bool ServesInOrder(BsonDocument keys, List<string> equality)
    {
        var names = keys.Names.ToList();
        return names.Count == equality.Count + 2
            && names.Take(equality.Count).Order(StringComparer.Ordinal).SequenceEqual(equality.Order(StringComparer.Ordinal))
            && names[^2] == "createdTime" && keys["createdTime"].ToDouble() < 0
            && names[^1] == "_id" && keys["_id"].ToDouble() < 0;
    }

    /// <summary>The stage names of the winning plan of the list's find (filter, sort, skip, limit), classic or slot-based.</summary>
    private async Task<List<string>> MongoWinningPlanStagesAsync(TaskListFilter filter)
    {
        var mongo = await TestMongo.SharedAsync();
        var query = new BsonDocument();
        if (filter.Name is not null)
        {
            query.Add("name", filter.Name);
        }

        if (filter.Type is not null)
        {
            query.Add("type", filter.Type);
        }

        if (filter.State is { } state)
        {
            query.Add("state", state.ToWireName());
        }

        var explain = new BsonDocument
        {
            {
                "explain", new BsonDocument
                {
                    { "find", "tasks" },
                    { "filter", query },
                    { "sort", new BsonDocument { { "createdTime", -1 }, { "_id", -1 } } },
                    { "skip", 20 },
                    { "limit", 10 },
                }
            },
            { "verbosity", "queryPlanner" },
        };
        var result = await new MongoClient(mongo.ConnectionString).GetDatabase(Store.MongoDatabase).RunCommandAsync<BsonDocument>(explain);
        return QueryPlans.WinningPlanStages(result);
    }

    // ---- SQLite --------------------------------------------------------------------------------------------------

    /// <summary>The column lists of the unique indexes on <c>tasks</c>.</summary>
    private List<string> SqliteUniqueIndexColumns()
    {
        using var connection = Store.OpenSqliteConnection();
        var unique = new List<string>();
        foreach (var index in Rows(connection, "PRAGMA index_list(tasks);").Where(row => Convert.ToInt64(row["unique"], System.Globalization.CultureInfo.InvariantCulture) == 1))
        {
            var columns = Rows(connection, $"PRAGMA index_info(\"{index["name"]}\");").OrderBy(row => Convert.ToInt64(row["seqno"], System.Globalization.CultureInfo.InvariantCulture));
            unique.Add(string.Join(",", columns.Select(row => row["name"])));
        }

        return unique;
    }

    /// <summary>
    /// Runs <c>EXPLAIN QUERY PLAN</c> on the list's query for this filter shape, as the adapter writes it, and asserts
    /// it searches or walks an index and never sorts in a temporary b-tree or scans the table itself.
    /// </summary>
    private void AssertSqliteServesList(TaskListFilter filter)
    {
        using var connection = Store.OpenSqliteConnection();
        using var command = connection.CreateCommand();
        command.Parameters.AddWithValue("@name", filter.Name ?? "");
        command.Parameters.AddWithValue("@type", filter.Type ?? "");
        command.Parameters.AddWithValue("@state", filter.State?.ToWireName() ?? "");
        command.Parameters.AddWithValue("@limit", 10);
        command.Parameters.AddWithValue("@offset", 20);
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteTaskRepository.ListSql(filter);
        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(reader.GetOrdinal("detail")));
            }
        }

        var text = string.Join(" | ", plan);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(plan, Has.Some.Contains("USING INDEX").Or.Some.Contains("USING COVERING INDEX"), text);
            Assert.That(plan, Has.None.Contains("USE TEMP B-TREE FOR ORDER BY"), $"no sort; plan: {text}");
            Assert.That(plan.Where(row => row.StartsWith("SCAN", StringComparison.Ordinal) && !row.Contains("USING", StringComparison.Ordinal)), Is.Empty, $"no full table scan; plan: {text}");
        }
    }

    private static List<Dictionary<string, object>> Rows(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<Dictionary<string, object>>();
        while (reader.Read())
        {
            rows.Add(Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, reader.GetValue));
        }

        return rows;
    }
}
