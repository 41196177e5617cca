using TaskService.Domain.Tasks;
using TaskService.Infrastructure.IntegrationTests.Support;

namespace TaskService.Infrastructure.IntegrationTests;

/// <summary>
/// Lists filter by name, type and state (ANDed), order by createdTime descending then id descending, and page
/// stably. The fixture seeds its own store once (tasks of two types in every state, many sharing a createdTime,
/// added in shuffled order); the tests only read it, so the unfiltered list is exact.
/// </summary>
public sealed class ListTests(string provider) : StoreContractTestBase(provider)
{
    private static readonly TaskState[] States = Enum.GetValues<TaskState>();

    private readonly string _typeA = $"list-a-{Guid.NewGuid():N}";
    private readonly string _typeB = $"list-b-{Guid.NewGuid():N}";
    private List<BackgroundTask> _seeded = [];

    [OneTimeSetUp]
    public async Task SeedAsync()
    {
        var tasks = new List<BackgroundTask>();
        for (var i = 0; i < 40; i++)
        {
            // Groups of three share a createdTime: only the id orders them.
            var created = Tasks.Now.AddSeconds(i / 3);
            tasks.Add(BackgroundTask.Create(
                $"list-{i:D2}-{Guid.NewGuid():N}", i % 3 == 1 ? _typeB : _typeA, i % 5, TaskData.Parse($$"""{"i":{{i}}}"""),
                created.AddMinutes(-1), created.AddDays(1), created));
        }

        foreach (var (task, index) in tasks.Select((task, index) => (task, index)).OrderBy(_ => Random.Shared.Next()))
        {
            await Repository.AddAsync(task, CancellationToken.None);
            switch (States[index % States.Length])
            {
                case TaskState.Running:
                    Tasks.Start(task);
                    await SaveRequiredAsync(task);
                    break;
                case TaskState.Completed:
                    task.Complete(task.ModifiedTime.AddSeconds(1), Tasks.Start(task));
                    await SaveRequiredAsync(task);
                    break;
                case TaskState.Failed:
                    task.Fail(task.ModifiedTime.AddSeconds(1), Tasks.Start(task), "failed");
                    await SaveRequiredAsync(task);
                    break;
                case TaskState.Pending:
                default:
                    break;
            }
        }

        _seeded = tasks;
        Assert.That(_seeded.GroupBy(task => task.CreatedTime).Count(group => group.Count() > 1), Is.GreaterThan(5), "ties to break");
    }

    public static IEnumerable<TestCaseData> FilterShapes()
    {
        foreach (var byName in new[] { false, true })
        {
            foreach (var type in new[] { null, "A", "B" })
            {
                foreach (TaskState? state in new TaskState?[] { null, TaskState.Pending, TaskState.Running, TaskState.Completed, TaskState.Failed })
                {
                    yield return new TestCaseData(byName, type, state)
                        .SetArgDisplayNames($"name={(byName ? "yes" : "-")}", $"type={type ?? "-"}", $"state={state?.ToWireName() ?? "-"}");
                }
            }
        }
    }

    [TestCaseSource(nameof(FilterShapes))]
    public async Task ListAsync_WhenFiltered_ReturnsExactlyTheMatchesNewestFirstThenByIdDescending(bool byName, string? type, TaskState? state)
    {
        var typeName = type switch { "A" => _typeA, "B" => _typeB, _ => null };
        var named = _seeded[7];
        var name = byName ? named.Name : null;

        var listed = await ListAsync(name, typeName, state);

        var expected = Expected(name, typeName, state);
        if (byName)
        {
            Assert.That(expected, Has.Count.LessThanOrEqualTo(1));
        }
        else
        {
            Assert.That(expected, Is.Not.Empty, "the seed covers this combination");
        }

        Assert.That(listed.Select(Describe), Is.EqualTo(expected.Select(Describe)));
        for (var i = 0; i < listed.Count; i++)
        {
            AssertSameTask(listed[i], expected[i]);
        }
    }

    [Test]
    public async Task ListAsync_WhenNameIsUnknown_ReturnsEmpty()
    {
        Assert.That(await ListAsync(name: Tasks.UniqueName("nobody")), Is.Empty);
    }

    [Test]
    public async Task ListAsync_WhenTypeIsUnknown_ReturnsEmpty()
    {
        Assert.That(await ListAsync(type: UniqueType("nothing"), state: TaskState.Pending), Is.Empty);
    }

    [Test]
    public async Task ListAsync_WhenFilterValuesDifferOnlyInCaseOrHaveAPrefix_MatchesNothing()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await ListAsync(name: _seeded[0].Name.ToUpperInvariant()), Is.Empty, "names match exactly");
            Assert.That(await ListAsync(name: _seeded[0].Name[..10]), Is.Empty, "no prefix match");
            Assert.That(await ListAsync(type: _typeA.ToUpperInvariant()), Is.Empty, "types match exactly");
            Assert.That(await ListAsync(type: _typeA[..8]), Is.Empty, "no prefix match");
        }
    }

    [Test]
    public async Task ListAsync_WhenTasksShareACreatedTime_OrdersThemByIdDescending()
    {
        var listed = await ListAsync();

        var ties = listed.GroupBy(task => task.CreatedTime).Where(group => group.Count() > 1).ToList();
        Assert.That(ties, Has.Count.GreaterThan(5));
        foreach (var group in ties)
        {
            Assert.That(group.Select(task => task.Id.Value), Is.EqualTo(group.Select(task => task.Id.Value).OrderDescending(StringComparer.Ordinal)), $"ties at {group.Key:O}");
        }
    }

    [TestCase(null, null, 1)]
    [TestCase(null, null, 3)]
    [TestCase(null, null, 7)]
    [TestCase("A", null, 4)]
    [TestCase(null, TaskState.Pending, 2)]
    [TestCase("B", TaskState.Running, 1)]
    [TestCase("A", TaskState.Failed, 5)]
    public async Task ListAsync_WhenPagedThrough_ReturnsEveryMatchOnceInOrder(string? type, TaskState? state, int size)
    {
        var typeName = type switch { "A" => _typeA, "B" => _typeB, _ => null };
        var expected = Expected(null, typeName, state);
        var pages = new List<IReadOnlyList<BackgroundTask>>();
        for (var page = 0; page <= expected.Count; page++)
        {
            var listed = await ListAsync(type: typeName, state: state, page: page, size: size);
            if (listed.Count == 0)
            {
                break;
            }

            pages.Add(listed);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(pages.SelectMany(page => page).Select(Describe), Is.EqualTo(expected.Select(Describe)), "complete, in order, no repeats");
            Assert.That(pages.SkipLast(1).Select(page => page.Count), Has.All.EqualTo(size), "every page but the last is full");
            Assert.That(pages, Has.Count.EqualTo((expected.Count + size - 1) / size));
        }

        var again = await ListAsync(type: typeName, state: state, page: 1, size: size);
        Assert.That(again.Select(Describe), Is.EqualTo(pages.ElementAtOrDefault(1)?.Select(Describe) ?? []), "a page read twice is the same");
    }

    [TestCase(1)]
    [TestCase(10)]
    [TestCase(1000)]
    public async Task ListAsync_WhenPageIsJustBeyondTheEnd_ReturnsEmpty(int size)
    {
        var pages = (_seeded.Count + size - 1) / size;

        var listed = await ListAsync(page: pages, size: size);

        Assert.That(listed, Is.Empty);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(100)]
    [TestCase(1000)]
    public async Task ListAsync_WhenPageIsHuge_ReturnsEmpty(int size)
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await ListAsync(page: int.MaxValue, size: size), Is.Empty, "int.MaxValue");
            Assert.That(await ListAsync(page: int.MaxValue / size, size: size), Is.Empty, "just within int range of items");
            Assert.That(await ListAsync(type: _typeA, state: TaskState.Pending, page: int.MaxValue, size: size), Is.Empty, "filtered");
        }
    }

    [Test]
    public async Task ListAsync_WhenSizeIsLargerThanTheMatches_ReturnsThemAll()
    {
        var listed = await ListAsync(page: 0, size: int.MaxValue);

        Assert.That(listed.Select(Describe), Is.EqualTo(Expected(null, null, null).Select(Describe)));
    }

    private List<BackgroundTask> Expected(string? name, string? type, TaskState? state) => _seeded
        .Where(task => (name is null || task.Name == name) && (type is null || task.Type == type) && (state is null || task.State == state))
        .OrderByDescending(task => task.CreatedTime)
        .ThenByDescending(task => task.Id.Value, StringComparer.Ordinal)
        .ToList();

    private static string Describe(BackgroundTask task) => $"{task.CreatedTime:HH:mm:ss.fff} {task.Id} {task.Name}";
}
