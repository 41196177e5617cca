using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;

namespace TaskService.Application.UnitTests;

/// <summary>
/// A store in memory with the repository's contract: every read gives a fresh copy, and a save only succeeds when
/// the stored version is the one that was read. <see cref="BeforeSave"/> lets a test change the stored task
/// between a handler's read and its save, as a concurrent writer would.
/// </summary>
internal sealed class InMemoryTaskRepository : ITaskRepository
{
    private readonly Dictionary<string, TaskSnapshot> _tasks = new(StringComparer.Ordinal);

    public int GetCalls { get; private set; }

    public int SaveCalls { get; private set; }

    /// <summary>Runs at the start of every <see cref="SaveAsync"/> with the number of that call (1, 2, …).</summary>
    public Action<int>? BeforeSave { get; set; }

    public BackgroundTask Seed(BackgroundTask task)
    {
        _tasks[task.Id.Value] = task.ToSnapshot();
        return task;
    }

    public TaskSnapshot? Stored(TaskId id) => _tasks.GetValueOrDefault(id.Value);

    public bool Contains(TaskId id) => _tasks.ContainsKey(id.Value);

    /// <summary>Changes the stored task as another writer would: read, change, conditional write.</summary>
    public void ChangeConcurrently(TaskId id, Action<BackgroundTask> change)
    {
        var task = BackgroundTask.Restore(_tasks[id.Value]);
        change(task);
        task.MarkStored();
        _tasks[id.Value] = task.ToSnapshot();
    }

    public void DeleteConcurrently(TaskId id) => _tasks.Remove(id.Value);

    public Task AddAsync(BackgroundTask task, CancellationToken cancellationToken)
    {
        if (_tasks.Values.Any(stored => stored.Name == task.Name))
        {
            throw new DuplicateTaskNameException(task.Name);
        }

        _tasks.Add(task.Id.Value, task.ToSnapshot());
        return Task.CompletedTask;
    }

    public Task<BackgroundTask?> GetAsync(TaskId id, CancellationToken cancellationToken)
    {
        GetCalls++;
        return Task.FromResult(_tasks.TryGetValue(id.Value, out var snapshot) ? BackgroundTask.Restore(snapshot) : null);
    }

    public Task<bool> SaveAsync(BackgroundTask task, CancellationToken cancellationToken)
    {
        SaveCalls++;
        BeforeSave?.Invoke(SaveCalls);
        if (!_tasks.TryGetValue(task.Id.Value, out var stored) || stored.Version != task.Version)
        {
            return Task.FromResult(false);
        }

        task.MarkStored();
        _tasks[task.Id.Value] = task.ToSnapshot();
        return Task.FromResult(true);
    }

    public Task<bool> DeleteAsync(TaskId id, CancellationToken cancellationToken) => Task.FromResult(_tasks.Remove(id.Value));
}

/// <summary>Records what the list handler asks for and answers with a fixed list.</summary>
internal sealed class RecordingTaskQueries(IReadOnlyList<BackgroundTask> result) : ITaskQueries
{
    public TaskListFilter? Filter { get; private set; }

    public int? Page { get; private set; }

    public int? Size { get; private set; }

    public int Calls { get; private set; }

    public Task<IReadOnlyList<BackgroundTask>> ListAsync(TaskListFilter filter, int page, int size, CancellationToken cancellationToken)
    {
        Calls++;
        Filter = filter;
        Page = page;
        Size = size;
        return Task.FromResult(result);
    }
}

/// <summary>Records the engine wake-ups the handlers send.</summary>
public sealed class RecordingSignal : TaskService.Application.Common.Interfaces.ITaskSignal
{
    public List<DateTime> Notified { get; } = [];

    public void Notify(DateTime availableTime) => Notified.Add(availableTime);
}
