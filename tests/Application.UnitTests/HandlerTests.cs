using TaskService.Application.Common.Exceptions;
using TaskService.Application.Common.Interfaces;
using TaskService.Application.Tasks;
using TaskService.Application.Tasks.Commands.CreateTask;
using TaskService.Application.Tasks.Commands.DeleteTask;
using TaskService.Application.Tasks.Commands.UpdateTask;
using TaskService.Application.Tasks.Queries.GetTask;
using TaskService.Application.Tasks.Queries.ListTasks;
using TaskService.Domain.Common;
using TaskService.Domain.Tasks;

namespace TaskService.Application.UnitTests;

internal static class DtoAssert
{
    public static void Matches(TaskDto dto, TaskSnapshot stored)
    {
        Assert.Multiple(() =>
        {
            Assert.That(dto.Id, Is.EqualTo(stored.Id));
            Assert.That(dto.Name, Is.EqualTo(stored.Name));
            Assert.That(dto.Type, Is.EqualTo(stored.Type));
            Assert.That(dto.Priority, Is.EqualTo(stored.Priority));
            Assert.That(dto.Data.GetRawText(), Is.EqualTo(stored.Data.Json));
            Assert.That(dto.AvailableTime, Is.EqualTo(stored.AvailableTime));
            Assert.That(dto.ExpirationTime, Is.EqualTo(stored.ExpirationTime));
            Assert.That(dto.State, Is.EqualTo(stored.State.ToWireName()));
            Assert.That(dto.Error, Is.EqualTo(stored.Error));
            Assert.That(dto.RunTime, Is.EqualTo(stored.RunTime));
            Assert.That(dto.Duration, Is.EqualTo(stored.Duration));
            Assert.That(dto.CreatedTime, Is.EqualTo(stored.CreatedTime));
            Assert.That(dto.ModifiedTime, Is.EqualTo(stored.ModifiedTime));
        });
    }
}

[TestFixture]
public sealed class CreateTaskCommandHandlerTests
{
    [Test]
    public async Task Handle_WhenValid_StoresPendingTaskAndReturnsItsDto()
    {
        var repository = new InMemoryTaskRepository();
        var handler = new CreateTaskCommandHandler(repository, Clock.Fake(), new RecordingSignal());
        var command = Commands.ValidCreate();

        var dto = await handler.Handle(command, CancellationToken.None);

        var stored = repository.Stored(TaskId.Parse(dto.Id));
        Assert.That(stored, Is.Not.Null);
        DtoAssert.Matches(dto, stored!);
        Assert.Multiple(() =>
        {
            Assert.That(dto.Id, Does.Match("^[0-9a-f]{32}$"));
            Assert.That(dto.Name, Is.EqualTo("nightly-report"));
            Assert.That(dto.Type, Is.EqualTo("report.generate"));
            Assert.That(dto.Priority, Is.EqualTo(5));
            Assert.That(dto.State, Is.EqualTo("pending"));
            Assert.That(dto.Data.GetRawText(), Is.EqualTo(Commands.DataJson));
            Assert.That(dto.Error, Is.Null);
            Assert.That(dto.RunTime, Is.Null);
            Assert.That(dto.Duration, Is.Null);
            Assert.That(stored!.Attempts, Is.Zero);
            Assert.That(stored.ClaimToken, Is.Null);
        });
    }

    [Test]
    public async Task Handle_WhenStored_WakesTheEngineForTheTasksAvailableTime()
    {
        var signal = new RecordingSignal();
        var handler = new CreateTaskCommandHandler(new InMemoryTaskRepository(), Clock.Fake(), signal);

        var dto = await handler.Handle(Commands.ValidCreate(), CancellationToken.None);

        Assert.That(signal.Notified, Is.EqualTo(new[] { dto.AvailableTime }));
    }

    [Test]
    public async Task Handle_WhenTimesHaveSubMillisecondsAndOffsets_ReturnsUtcMilliseconds()
    {
        var handler = new CreateTaskCommandHandler(new InMemoryTaskRepository(), Clock.Fake(), new RecordingSignal());
        var available = new DateTimeOffset(2030, 1, 1, 14, 30, 0, 250, TimeSpan.FromHours(2)).AddTicks(9999);
        var expiration = new DateTimeOffset(2030, 1, 1, 8, 0, 0, 500, TimeSpan.FromHours(-5)).AddTicks(1);
        var command = Commands.ValidCreate() with { AvailableTime = available, ExpirationTime = expiration };

        var dto = await handler.Handle(command, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(dto.AvailableTime, Is.EqualTo(new DateTime(2030, 1, 1, 12, 30, 0, 250, DateTimeKind.Utc)));
            Assert.That(dto.ExpirationTime, Is.EqualTo(new DateTime(2030, 1, 1, 13, 0, 0, 500, DateTimeKind.Utc)));
            Assert.That(dto.CreatedTime, Is.EqualTo(Clock.NowAtMilliseconds));
            Assert.That(dto.ModifiedTime, Is.EqualTo(Clock.NowAtMilliseconds));
            Assert.That(new[] { dto.AvailableTime, dto.ExpirationTime, dto.CreatedTime, dto.ModifiedTime }.Select(time => time.Kind),
                Is.All.EqualTo(DateTimeKind.Utc));
        });
    }

    [Test]
    public async Task Handle_WhenCreatedTwiceWithOtherNames_GivesDistinctIds()
    {
        var repository = new InMemoryTaskRepository();
        var handler = new CreateTaskCommandHandler(repository, Clock.Fake(), new RecordingSignal());

        var first = await handler.Handle(Commands.ValidCreate() with { Name = "one" }, CancellationToken.None);
        var second = await handler.Handle(Commands.ValidCreate() with { Name = "two" }, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(second.Id, Is.Not.EqualTo(first.Id));
            Assert.That(repository.Contains(TaskId.Parse(first.Id)), Is.True);
            Assert.That(repository.Contains(TaskId.Parse(second.Id)), Is.True);
        });
    }

    [Test]
    public void Handle_WhenNameTaken_PropagatesDuplicateName()
    {
        var repository = new InMemoryTaskRepository();
        repository.Seed(Tasks.Pending("nightly-report"));
        var handler = new CreateTaskCommandHandler(repository, Clock.Fake(), new RecordingSignal());

        Assert.That(async () => await handler.Handle(Commands.ValidCreate(), CancellationToken.None),
            Throws.TypeOf<DuplicateTaskNameException>());
    }
}

[TestFixture]
public sealed class GetTaskQueryHandlerTests
{
    [Test]
    public async Task Handle_WhenTaskExists_ReturnsItsDto()
    {
        var repository = new InMemoryTaskRepository();
        var task = repository.Seed(Tasks.Failed());

        var dto = await new GetTaskQueryHandler(repository).Handle(new GetTaskQuery(task.Id.Value), CancellationToken.None);

        DtoAssert.Matches(dto, task.ToSnapshot());
        Assert.That(dto.Error, Is.EqualTo("boom"));
    }

    [Test]
    public void Handle_WhenTaskUnknown_ThrowsNotFound()
    {
        var repository = new InMemoryTaskRepository();
        repository.Seed(Tasks.Pending());
        var unknown = TaskId.New().Value;

        Assert.That(async () => await new GetTaskQueryHandler(repository).Handle(new GetTaskQuery(unknown), CancellationToken.None),
            Throws.TypeOf<NotFoundException>().With.Message.Contains(unknown));
    }
}

[TestFixture]
public sealed class DeleteTaskCommandHandlerTests
{
    [Test]
    public async Task Handle_WhenTaskExists_RemovesIt()
    {
        var repository = new InMemoryTaskRepository();
        var task = repository.Seed(Tasks.Running());
        var other = repository.Seed(Tasks.Pending("other"));

        await new DeleteTaskCommandHandler(repository).Handle(new DeleteTaskCommand(task.Id.Value), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(repository.Contains(task.Id), Is.False);
            Assert.That(repository.Contains(other.Id), Is.True);
        });
    }

    [Test]
    public void Handle_WhenTaskUnknown_ThrowsNotFound()
    {
        var repository = new InMemoryTaskRepository();
        var unknown = TaskId.New().Value;

        Assert.That(async () => await new DeleteTaskCommandHandler(repository).Handle(new DeleteTaskCommand(unknown), CancellationToken.None),
            Throws.TypeOf<NotFoundException>().With.Message.Contains(unknown));
    }

    [Test]
    public async Task Handle_WhenDeletedTwice_SecondThrowsNotFound()
    {
        var repository = new InMemoryTaskRepository();
        var task = repository.Seed(Tasks.Pending());
        var handler = new DeleteTaskCommandHandler(repository);
        await handler.Handle(new DeleteTaskCommand(task.Id.Value), CancellationToken.None);

        Assert.That(async () => await handler.Handle(new DeleteTaskCommand(task.Id.Value), CancellationToken.None),
            Throws.TypeOf<NotFoundException>());
    }
}

[TestFixture]
public sealed class UpdateTaskCommandHandlerTests
{
    private InMemoryTaskRepository _repository = null!;
    private UpdateTaskCommandHandler _handler = null!;

    [SetUp]
    public void CreateHandler()
    {
        _repository = new InMemoryTaskRepository();
        _handler = new UpdateTaskCommandHandler(_repository, Clock.Fake(), new RecordingSignal());
    }

    [Test]
    public async Task Handle_WhenPending_ReplacesScheduleAndStoresIt()
    {
        var task = _repository.Seed(Tasks.Pending());
        var before = task.ToSnapshot();

        var dto = await _handler.Handle(Commands.ValidUpdate(task.Id.Value), CancellationToken.None);

        var stored = _repository.Stored(task.Id)!;
        DtoAssert.Matches(dto, stored);
        Assert.Multiple(() =>
        {
            Assert.That(stored, Is.EqualTo(before with
            {
                Priority = 9,
                Data = TaskData.Parse("""{"updated":1.5}"""),
                AvailableTime = Instant.Normalize(Clock.Now.AddMinutes(30)),
                ExpirationTime = Instant.Normalize(Clock.Now.AddHours(2)),
                ModifiedTime = Clock.NowAtMilliseconds,
                Version = before.Version + 1,
            }));
            Assert.That(dto.State, Is.EqualTo("pending"));
            Assert.That(_repository.SaveCalls, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Handle_WhenRunning_UpdatesAndKeepsTheRun()
    {
        var task = _repository.Seed(Tasks.Running());

        var dto = await _handler.Handle(Commands.ValidUpdate(task.Id.Value), CancellationToken.None);

        var stored = _repository.Stored(task.Id)!;
        Assert.Multiple(() =>
        {
            Assert.That(dto.State, Is.EqualTo("running"));
            Assert.That(dto.Priority, Is.EqualTo(9));
            Assert.That(stored.ClaimToken, Is.EqualTo(Tasks.WorkerClaim));
            Assert.That(stored.Attempts, Is.EqualTo(1));
        });
    }

    [TestCase(TaskState.Completed)]
    [TestCase(TaskState.Failed)]
    public void Handle_WhenFinal_ThrowsDomainExceptionAndStoresNothing(TaskState state)
    {
        var task = _repository.Seed(state == TaskState.Completed ? Tasks.Completed() : Tasks.Failed());
        var before = task.ToSnapshot();

        Assert.Multiple(() =>
        {
            Assert.That(async () => await _handler.Handle(Commands.ValidUpdate(task.Id.Value), CancellationToken.None),
                Throws.TypeOf<DomainException>().With.Message.Contains("final state"));
            Assert.That(_repository.SaveCalls, Is.Zero);
            Assert.That(_repository.Stored(task.Id), Is.EqualTo(before));
        });
    }

    [Test]
    public void Handle_WhenUnknown_ThrowsNotFound()
    {
        var unknown = TaskId.New().Value;

        Assert.That(async () => await _handler.Handle(Commands.ValidUpdate(unknown), CancellationToken.None),
            Throws.TypeOf<NotFoundException>().With.Message.Contains(unknown));
    }

    [Test]
    public async Task Handle_WhenTaskStartsBetweenReadAndSave_RetriesOnFreshCopyAndKeepsRunning()
    {
        var task = _repository.Seed(Tasks.Pending());
        _repository.BeforeSave = call =>
        {
            if (call == 1)
            {
                _repository.ChangeConcurrently(task.Id, fresh => fresh.Start(Clock.Now.UtcDateTime, "concurrent-claim", Clock.Now.UtcDateTime.AddMinutes(1)));
            }
        };

        var dto = await _handler.Handle(Commands.ValidUpdate(task.Id.Value), CancellationToken.None);

        var stored = _repository.Stored(task.Id)!;
        DtoAssert.Matches(dto, stored);
        Assert.Multiple(() =>
        {
            Assert.That(_repository.GetCalls, Is.EqualTo(2), "the handler must read the task again after a lost race");
            Assert.That(_repository.SaveCalls, Is.EqualTo(2));
            Assert.That(dto.State, Is.EqualTo("running"), "the concurrent start must not be overwritten");
            Assert.That(stored.State, Is.EqualTo(TaskState.Running));
            Assert.That(stored.ClaimToken, Is.EqualTo("concurrent-claim"));
            Assert.That(stored.Attempts, Is.EqualTo(1));
            Assert.That(stored.RunTime, Is.EqualTo(Clock.NowAtMilliseconds));
            Assert.That(stored.Priority, Is.EqualTo(9), "the update must not be lost either");
            Assert.That(stored.Data.Json, Is.EqualTo("""{"updated":1.5}"""));
            Assert.That(stored.Version, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Handle_WhenTaskStartedConcurrently_RunCanStillCompleteWithTheUpdate()
    {
        var task = _repository.Seed(Tasks.Pending());
        _repository.BeforeSave = call =>
        {
            if (call == 1)
            {
                _repository.ChangeConcurrently(task.Id, fresh => fresh.Start(Clock.Now.UtcDateTime, "concurrent-claim", Clock.Now.UtcDateTime.AddMinutes(1)));
            }
        };
        await _handler.Handle(Commands.ValidUpdate(task.Id.Value), CancellationToken.None);

        var worker = BackgroundTask.Restore(_repository.Stored(task.Id)!);
        worker.Complete(Clock.Now.UtcDateTime.AddSeconds(5), "concurrent-claim");

        Assert.Multiple(() =>
        {
            Assert.That(worker.State, Is.EqualTo(TaskState.Completed));
            Assert.That(worker.Priority, Is.EqualTo(9));
        });
    }

    [Test]
    public void Handle_WhenTaskEndsBetweenReadAndSave_ThrowsDomainExceptionOnRetry()
    {
        var task = _repository.Seed(Tasks.Running());
        _repository.BeforeSave = call =>
        {
            if (call == 1)
            {
                _repository.ChangeConcurrently(task.Id, fresh => fresh.Complete(Clock.Now.UtcDateTime, Tasks.WorkerClaim));
            }
        };

        Assert.Multiple(() =>
        {
            Assert.That(async () => await _handler.Handle(Commands.ValidUpdate(task.Id.Value), CancellationToken.None),
                Throws.TypeOf<DomainException>());
            Assert.That(_repository.Stored(task.Id)!.State, Is.EqualTo(TaskState.Completed));
            Assert.That(_repository.Stored(task.Id)!.Priority, Is.EqualTo(1));
        });
    }

    [Test]
    public void Handle_WhenTaskDeletedBetweenReadAndSave_ThrowsNotFoundOnRetry()
    {
        var task = _repository.Seed(Tasks.Pending());
        _repository.BeforeSave = call =>
        {
            if (call == 1)
            {
                _repository.DeleteConcurrently(task.Id);
            }
        };

        Assert.Multiple(() =>
        {
            Assert.That(async () => await _handler.Handle(Commands.ValidUpdate(task.Id.Value), CancellationToken.None),
                Throws.TypeOf<NotFoundException>());
            Assert.That(_repository.GetCalls, Is.EqualTo(2));
        });
    }

    [Test]
    public void Handle_WhenEverySaveLosesTheRace_GivesUpAfterTenTries()
    {
        var task = _repository.Seed(Tasks.Running());
        _repository.BeforeSave = call =>
            _repository.ChangeConcurrently(task.Id, fresh => fresh.RenewLease(Tasks.WorkerClaim, Clock.Now.UtcDateTime.AddMinutes(call)));

        Assert.Multiple(() =>
        {
            Assert.That(async () => await _handler.Handle(Commands.ValidUpdate(task.Id.Value), CancellationToken.None),
                Throws.InvalidOperationException.With.Message.Contains("10 tries"));
            Assert.That(_repository.SaveCalls, Is.EqualTo(10));
            Assert.That(_repository.Stored(task.Id)!.Priority, Is.EqualTo(1));
        });
    }
}

[TestFixture]
public sealed class ListTasksQueryHandlerTests
{
    [Test]
    public async Task Handle_WhenNothingGiven_PassesEmptyFilterAndDefaultPaging()
    {
        var queries = new RecordingTaskQueries([]);

        var result = await new ListTasksQueryHandler(queries).Handle(new ListTasksQuery(null, null, null, null, null), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Empty);
            Assert.That(queries.Calls, Is.EqualTo(1));
            Assert.That(queries.Filter, Is.EqualTo(new TaskListFilter(null, null, null)));
            Assert.That(queries.Page, Is.Zero);
            Assert.That(queries.Size, Is.EqualTo(100));
            Assert.That(queries.Size, Is.EqualTo(ListTasksQuery.DefaultSize));
        });
    }

    [TestCase("pending", TaskState.Pending)]
    [TestCase("running", TaskState.Running)]
    [TestCase("completed", TaskState.Completed)]
    [TestCase("failed", TaskState.Failed)]
    public async Task Handle_WhenEverythingGiven_PassesFilterAndPaging(string state, TaskState expected)
    {
        var queries = new RecordingTaskQueries([]);

        await new ListTasksQueryHandler(queries).Handle(new ListTasksQuery("n", "t", state, 3, 25), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(queries.Filter, Is.EqualTo(new TaskListFilter("n", "t", expected)));
            Assert.That(queries.Page, Is.EqualTo(3));
            Assert.That(queries.Size, Is.EqualTo(25));
        });
    }

    [Test]
    public async Task Handle_WhenStoreReturnsTasks_MapsEachInOrder()
    {
        var tasks = new[] { Tasks.Completed("c"), Tasks.Pending("a"), Tasks.Running("b") };
        var queries = new RecordingTaskQueries(tasks);

        var result = await new ListTasksQueryHandler(queries).Handle(new ListTasksQuery(null, null, null, null, null), CancellationToken.None);

        Assert.That(result, Has.Count.EqualTo(3));
        for (var index = 0; index < tasks.Length; index++)
        {
            DtoAssert.Matches(result[index], tasks[index].ToSnapshot());
        }
    }
}
