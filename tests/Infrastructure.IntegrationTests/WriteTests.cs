using TaskService.Domain.Tasks;
using TaskService.Infrastructure.IntegrationTests.Support;

namespace TaskService.Infrastructure.IntegrationTests;

/// <summary>Writes are conditional on the version, deletes say whether there was a task, and names are unique.</summary>
public sealed class WriteTests(string provider) : StoreContractTestBase(provider)
{
    [Test]
    public async Task SaveAsync_WhenTaskIsAtTheVersionItWasRead_StoresTheChangeAndIncrementsVersion()
    {
        var added = await AddAsync(Tasks.New(type: UniqueType()));
        var copy = await GetRequiredAsync(added.Id);
        Tasks.Start(copy);

        var saved = await Repository.SaveAsync(copy, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(saved, Is.True);
            Assert.That(copy.Version, Is.EqualTo(1), "the saved object knows its new version");
        }

        var stored = await GetRequiredAsync(added.Id);
        AssertSameTask(stored, copy);
        Assert.That(stored.Version, Is.EqualTo(1));

        var token = stored.ClaimToken!;
        stored.Complete(stored.ModifiedTime.AddSeconds(1), token);
        Assert.That(await Repository.SaveAsync(stored, CancellationToken.None), Is.True, "the next save works from the new version");
        Assert.That((await GetRequiredAsync(added.Id)).Version, Is.EqualTo(2));
    }

    [Test]
    public async Task SaveAsync_WhenCopyIsStale_ReturnsFalseAndChangesNothing()
    {
        var added = await AddAsync(Tasks.New(type: UniqueType()));
        var first = await GetRequiredAsync(added.Id);
        var second = await GetRequiredAsync(added.Id);
        Tasks.Start(first);
        await SaveRequiredAsync(first);

        Tasks.Start(second);
        var saved = await Repository.SaveAsync(second, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(saved, Is.False);
            Assert.That(second.Version, Is.Zero, "a refused save leaves the object's version alone");
        }

        AssertSameTask(await GetRequiredAsync(added.Id), first);
    }

    [Test]
    public async Task SaveAsync_WhenCopyIsStaleAfterSeveralChanges_ReturnsFalseAtEveryOlderVersion()
    {
        var added = await AddAsync(Tasks.New(type: UniqueType()));
        var stale = await GetRequiredAsync(added.Id);
        var current = await GetRequiredAsync(added.Id);
        var token = Tasks.Start(current);
        await SaveRequiredAsync(current);
        current.Reschedule(current.ModifiedTime.AddSeconds(1), token, current.ModifiedTime.AddMinutes(1), "retry");
        await SaveRequiredAsync(current);
        var middle = await GetRequiredAsync(added.Id);
        Tasks.Start(current, current.AvailableTime);
        await SaveRequiredAsync(current);

        Tasks.Start(stale);
        Tasks.Start(middle, middle.AvailableTime.AddSeconds(1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Repository.SaveAsync(stale, CancellationToken.None), Is.False, "version 0 of 3");
            Assert.That(await Repository.SaveAsync(middle, CancellationToken.None), Is.False, "version 2 of 3");
        }

        AssertSameTask(await GetRequiredAsync(added.Id), current);
    }

    [Test]
    public async Task SaveAsync_WhenTaskWasDeleted_ReturnsFalseAndDoesNotRecreateIt()
    {
        var task = await AddAsync(Tasks.New(type: UniqueType()));
        Assert.That(await Repository.DeleteAsync(task.Id, CancellationToken.None), Is.True);
        Tasks.Start(task);

        var saved = await Repository.SaveAsync(task, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(saved, Is.False);
            Assert.That(await Repository.GetAsync(task.Id, CancellationToken.None), Is.Null);
            Assert.That(await ListAsync(type: task.Type), Is.Empty);
        }
    }

    [Test]
    public async Task SaveAsync_WhenTaskWasNeverAdded_ReturnsFalseAndStoresNothing()
    {
        var task = Tasks.New(type: UniqueType());

        var saved = await Repository.SaveAsync(task, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(saved, Is.False);
            Assert.That(await Repository.GetAsync(task.Id, CancellationToken.None), Is.Null);
        }
    }

    [Test]
    public async Task SaveAsync_WhenCopiesRace_ExactlyOneWins()
    {
        var added = await AddAsync(Tasks.New(type: UniqueType()));
        var copies = new List<BackgroundTask>();
        for (var i = 0; i < 20; i++)
        {
            var copy = await GetRequiredAsync(added.Id);
            Tasks.Start(copy);
            copies.Add(copy);
        }

        var results = await Task.WhenAll(copies.Select(copy => Task.Run(() => Repository.SaveAsync(copy, CancellationToken.None))));

        Assert.That(results.Count(saved => saved), Is.EqualTo(1), "one conditional write wins, the others see a changed version");
        var winner = copies[Array.IndexOf(results, true)];
        AssertSameTask(await GetRequiredAsync(added.Id), winner);
    }

    [Test]
    public async Task DeleteAsync_WhenTaskExists_ReturnsTrueAndRemovesOnlyIt()
    {
        var type = UniqueType();
        var task = await AddAsync(Tasks.New(type: type));
        var other = await AddAsync(Tasks.New(type: type));

        var deleted = await Repository.DeleteAsync(task.Id, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(deleted, Is.True);
            Assert.That(await Repository.GetAsync(task.Id, CancellationToken.None), Is.Null);
            Assert.That((await ListAsync(type: type)).Select(t => t.Id), Is.EqualTo(new[] { other.Id }));
        }
    }

    [Test]
    public async Task DeleteAsync_WhenAlreadyDeleted_ReturnsFalse()
    {
        var task = await AddAsync(Tasks.New(type: UniqueType()));
        await Repository.DeleteAsync(task.Id, CancellationToken.None);

        Assert.That(await Repository.DeleteAsync(task.Id, CancellationToken.None), Is.False);
    }

    [Test]
    public async Task DeleteAsync_WhenIdIsUnknown_ReturnsFalse()
    {
        Assert.That(await Repository.DeleteAsync(TaskId.New(), CancellationToken.None), Is.False);
    }

    [Test]
    public async Task AddAsync_WhenNameOfADeletedTaskIsReused_Succeeds()
    {
        var name = Tasks.UniqueName();
        var first = await AddAsync(Tasks.New(name: name, type: UniqueType()));
        await Repository.DeleteAsync(first.Id, CancellationToken.None);

        var second = await AddAsync(Tasks.New(name: name, type: UniqueType()));

        AssertSameTask(await GetRequiredAsync(second.Id), second);
    }

    [Test]
    public async Task AddAsync_WhenNameIsTaken_ThrowsDuplicateTaskNameExceptionAndStoresNothing()
    {
        var name = Tasks.UniqueName();
        var first = await AddAsync(Tasks.New(name: name, type: UniqueType()));
        var duplicate = Tasks.New(name: name, type: UniqueType(), data: """{"other":true}""");

        var exception = Assert.ThrowsAsync<DuplicateTaskNameException>(() => Repository.AddAsync(duplicate, CancellationToken.None));

        Assert.That(exception!.Name, Is.EqualTo(name));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Repository.GetAsync(duplicate.Id, CancellationToken.None), Is.Null, "the duplicate is not stored");
            Assert.That(await ListAsync(type: duplicate.Type), Is.Empty, "nothing of the duplicate's type");
            Assert.That((await ListAsync(name: name)).Select(task => task.Id), Is.EqualTo(new[] { first.Id }));
        }

        AssertSameTask(await GetRequiredAsync(first.Id), first);
    }

    [Test]
    public async Task AddAsync_WhenNamesDifferOnlyInCaseOrTrailingSpace_StoresBoth()
    {
        var name = Tasks.UniqueName("Case");
        var type = UniqueType();
        string[] names = [name, name.ToUpperInvariant(), name.ToLowerInvariant(), name + " ", "\u00e9" + name, "e\u0301" + name];

        foreach (var variant in names)
        {
            await AddAsync(Tasks.New(name: variant, type: type));
        }

        Assert.That((await ListAsync(type: type)).Select(task => task.Name), Is.EquivalentTo(names), "names compare by exact code units");
    }

    [Test]
    public async Task AddAsync_WhenFiftyRaceForOneName_ExactlyOneSucceeds()
    {
        var name = Tasks.UniqueName("race");
        var type = UniqueType();
        var candidates = Enumerable.Range(0, 50).Select(i => Tasks.New(name: name, type: type, data: $$"""{"candidate":{{i}}}""")).ToList();

        var outcomes = await Task.WhenAll(candidates.Select(task => Task.Run(async () =>
        {
            try
            {
                await Repository.AddAsync(task, CancellationToken.None);
                return null;
            }
            catch (Exception exception)
            {
                return exception;
            }
        })));

        var winners = candidates.Where((_, i) => outcomes[i] is null).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(winners, Has.Count.EqualTo(1), "exactly one add succeeds");
            Assert.That(outcomes.Where(outcome => outcome is not null), Has.Exactly(49).TypeOf<DuplicateTaskNameException>(), "the others are told the name is taken");
        }

        var stored = await ListAsync(name: name);
        Assert.That(stored.Select(task => task.Id), Is.EqualTo(winners.Select(task => task.Id)), "one task stored: the winner");
        Assert.That(await ListAsync(type: type), Has.Count.EqualTo(1));
        AssertSameTask(stored[0], winners[0]);
    }
}
