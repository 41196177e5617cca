using MongoDB.Bson;
using MongoDB.Driver;
using TaskService.Domain.Tasks;
using TaskService.Infrastructure.IntegrationTests.Support;
using TaskService.TestSupport;

namespace TaskService.Infrastructure.IntegrationTests;

/// <summary>What is stored comes back exactly: every field, in every state, with any data.</summary>
public sealed class RoundTripTests(string provider) : StoreContractTestBase(provider)
{
    [TestCaseSource(typeof(Tasks), nameof(Tasks.Paths))]
    public async Task GetAsync_WhenTaskWasDrivenThroughItsStates_ReturnsEveryFieldAsSaved(TaskPath path)
    {
        var task = await AddAsync(Tasks.New(type: UniqueType(), priority: 7, data: """{"b":2,"a":[1,1.5]}"""));
        var saves = 0;

        await path.Drive(task, async () =>
        {
            await SaveRequiredAsync(task);
            saves++;
        });

        Assert.That(task.Version, Is.EqualTo(saves), "each save counts one version");
        AssertSameTask(await GetRequiredAsync(task.Id), task);
    }

    [Test]
    public async Task GetAsync_WhenTaskIsNew_ReturnsItAsAddedWithAbsentFieldsNull()
    {
        var task = await AddAsync(Tasks.New(type: UniqueType()));

        var stored = await GetRequiredAsync(task.Id);

        AssertSameTask(stored, task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.State, Is.EqualTo(TaskState.Pending));
            Assert.That(stored.Version, Is.Zero);
            Assert.That(stored.Attempts, Is.Zero);
            Assert.That(stored.Error, Is.Null);
            Assert.That(stored.RunTime, Is.Null);
            Assert.That(stored.Duration, Is.Null);
            Assert.That(stored.ClaimToken, Is.Null);
            Assert.That(stored.LeaseExpiresTime, Is.Null);
        }
    }

    [Test]
    public async Task SaveAsync_WhenOptionalFieldsBecomeNull_StoresThemAbsent()
    {
        var task = await AddAsync(Tasks.New(type: UniqueType()));
        var token = Tasks.Start(task);
        await SaveRequiredAsync(task);
        Assert.That(await StoredOptionalFieldsAsync(task.Id), Is.EquivalentTo(new[] { "runTime", "claimToken", "leaseExpiresTime" }), "while running");

        task.Complete(task.ModifiedTime.AddSeconds(1), token);
        await SaveRequiredAsync(task);

        Assert.That(await StoredOptionalFieldsAsync(task.Id), Is.EquivalentTo(new[] { "runTime", "duration" }), "the claim is gone once completed");
        AssertSameTask(await GetRequiredAsync(task.Id), task);
    }

    [Test]
    public async Task GetAsync_WhenTimesHaveSubMillisecondTicksAndAnyKind_ReturnsThemAsUtcMilliseconds()
    {
        var local = new DateTime(2031, 1, 2, 3, 4, 5, 678, DateTimeKind.Local).AddTicks(9999);
        var unspecified = new DateTime(2031, 6, 7, 8, 9, 10, 999, DateTimeKind.Unspecified).AddTicks(9999);
        var task = BackgroundTask.Create(
            Tasks.UniqueName(), UniqueType(), 0, TaskData.Empty, availableTime: local, expirationTime: unspecified, now: local.AddHours(-1));
        await AddAsync(task);

        var stored = await GetRequiredAsync(task.Id);

        AssertSameTask(stored, task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.AvailableTime, Is.EqualTo(new DateTime(2031, 1, 2, 3, 4, 5, 678, DateTimeKind.Local).ToUniversalTime()));
            Assert.That(stored.ExpirationTime, Is.EqualTo(new DateTime(2031, 6, 7, 8, 9, 10, 999, DateTimeKind.Utc)));
        }
    }

    [Test]
    public async Task GetAsync_WhenTimesAreAtTheEdgesOfTheCalendar_ReturnsThemExactly()
    {
        var first = new DateTime(1, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var last = DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc);
        var task = BackgroundTask.Create(
            Tasks.UniqueName(), UniqueType(), int.MaxValue, TaskData.Empty, availableTime: first, expirationTime: last, now: new DateTime(1969, 12, 31, 23, 59, 59, 999, DateTimeKind.Utc));
        await AddAsync(task);

        var stored = await GetRequiredAsync(task.Id);

        Assert.That(task.ExpirationTime, Is.EqualTo(new DateTime(9999, 12, 31, 23, 59, 59, 999, DateTimeKind.Utc)), "the domain keeps milliseconds");
        AssertSameTask(stored, task);
    }

    public static IEnumerable<TestCaseData> DataCases()
    {
        yield return Data("key order is kept, not sorted", """{"z":1,"a":2,"m":{"y":1,"b":2},"_id":3,"A":4}""");
        yield return Data("integers stay integers and fractions stay fractions", """{"int":1,"fraction":1.0,"half":0.5,"negative":-7,"negativeFraction":-7.0,"zero":0,"zeroFraction":0.0}""");
        yield return Data("negative zero is canonically 0.0 on every store", """{"negativeZero":-0.0,"nested":{"z":-0.0},"list":[-0.0]}""");
        yield return Data("64-bit integer limits", """{"max":9223372036854775807,"min":-9223372036854775808,"int32Max":2147483647,"int32Min":-2147483648,"aboveInt32":2147483648,"belowInt32":-2147483649}""");
        yield return Data("double extremes", """{"max":1.7976931348623157E+308,"tiny":5E-324,"small":1E-07,"third":0.3333333333333333,"big":1E+300,"exponentInteger":1e2}""");
        yield return Data("unicode text and escapes", """{"text":"ünïcødé 日本語 עברית 🎉 e\u0301 \u0000 \u001f \"quoted\" back\\slash \/ <>&'","emoji🔑":"🎉","日本":"語"}""");
        yield return Data("keys with dots, dollars and percents", """{"a.b":1,"$dollar":2,"%":3,"%2E":4,"%25":5,"%24":6,"%00":7,"key.with.$.and.%":8,"$":9,".":10,"..":11,"trailing.":12,"mid$dle":13,"%2524":14}""");
        yield return Data("keys with dots and dollars when nested and inside arrays", """{"outer.key":{"$inner":{"a.b.c":[{"$x.y":1},{"%2E":[{"$":null}]}]}},"list":[[],{},[{"$in.ner":1}]]}""");
        yield return Data("empty and NUL keys", """{"":1,"nul\u0000key":2,"\u0000":3}""");
        yield return Data("every JSON value kind", """{"string":"s","int":1,"fraction":2.5,"true":true,"false":false,"null":null,"object":{},"array":[],"mixed":[1,"two",3.0,null,true,{"k":[]}]}""");
        yield return Data("the empty object", "{}");
        yield return Data("the deepest nesting allowed", Nested(TaskData.MaxDepth));
    }

    [TestCaseSource(nameof(DataCases))]
    public async Task GetAsync_WhenDataHas_ReturnsTheSameCanonicalJson(string json)
    {
        var data = TaskData.Parse(json);
        var task = await AddAsync(Tasks.New(type: UniqueType(), data: data.Json));

        var stored = await GetRequiredAsync(task.Id);

        Assert.That(stored.Data.Json, Is.EqualTo(data.Json));
    }

    [Test]
    public async Task GetAsync_WhenDataHasIntegersAndFractions_KeepsThemApart()
    {
        var task = await AddAsync(Tasks.New(type: UniqueType(), data: """{"one":1,"oneFraction":1.0,"max":9223372036854775807,"big":1e2}"""));

        var stored = await GetRequiredAsync(task.Id);

        Assert.That(stored.Data.Json, Is.EqualTo("""{"one":1,"oneFraction":1.0,"max":9223372036854775807,"big":100.0}"""));
    }

    [Test]
    public async Task GetAsync_WhenTextFieldsHoldAnyCharacters_ReturnsThemExactly()
    {
        var suffix = $"{Guid.NewGuid():N} ünï 日本語 🎉 \"q\" \\ . $ % \t\n \u0000 end";
        var task = await AddAsync(Tasks.New(name: $"name {suffix}", type: $"type {suffix}"));
        var token = Tasks.Start(task);
        await SaveRequiredAsync(task);
        task.Fail(task.ModifiedTime.AddSeconds(1), token, $"error {suffix}");
        await SaveRequiredAsync(task);

        var stored = await GetRequiredAsync(task.Id);

        AssertSameTask(stored, task);
        Assert.That(await ListAsync(name: task.Name, type: task.Type, state: TaskState.Failed), Has.Count.EqualTo(1), "found by its exact name and type");
    }

    [Test]
    public async Task GetAsync_WhenIdIsUnknown_ReturnsNull()
    {
        await AddAsync(Tasks.New(type: UniqueType()));

        Assert.That(await Repository.GetAsync(TaskId.New(), CancellationToken.None), Is.Null);
    }

    /// <summary>
    /// The optional fields (error, runTime, duration, claimToken, leaseExpiresTime) the store holds a value for, read
    /// around the adapter: keys present in the MongoDB document, non-NULL columns in the SQLite row.
    /// </summary>
    private async Task<List<string>> StoredOptionalFieldsAsync(TaskId id)
    {
        string[] optional = ["error", "runTime", "duration", "claimToken", "leaseExpiresTime"];
        if (Provider == TaskStore.Mongo)
        {
            var mongo = await TestMongo.SharedAsync();
            var document = await Store.OpenMongoCollection(mongo.ConnectionString)
                .Find(new BsonDocument("_id", id.Value)).SingleAsync();
            Assert.That(document.Values, Has.None.EqualTo(BsonNull.Value), "no field is stored as null");
            return optional.Where(document.Contains).ToList();
        }

        using var connection = Store.OpenSqliteConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT error, run_time, duration, claim_token, lease_expires_time FROM tasks WHERE id = @id;";
        command.Parameters.AddWithValue("@id", id.Value);
        using var reader = command.ExecuteReader();
        Assert.That(reader.Read(), Is.True);
        return optional.Where((_, column) => !reader.IsDBNull(column)).ToList();
    }

    private static TestCaseData Data(string name, string json) => new TestCaseData(json).SetArgDisplayNames(name);

    private static string Nested(int depth)
    {
        var json = "1";
        for (var level = 1; level < depth; level++)
        {
            json = level % 2 == 0 ? $"[{json}]" : $$"""{"k.{{level}}":{{json}}}""";
        }

        return $$"""{"root":{{json}}}""";
    }
}
