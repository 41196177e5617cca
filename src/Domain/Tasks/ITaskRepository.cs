namespace TaskService.Domain.Tasks;

/// <summary>Stores tasks. Writes are conditional on <see cref="BackgroundTask.Version"/>, so no change is lost.</summary>
public interface ITaskRepository
{
    /// <summary>Stores a new task; throws <see cref="DuplicateTaskNameException"/> when its name is taken.</summary>
    Task AddAsync(BackgroundTask task, CancellationToken cancellationToken);

    Task<BackgroundTask?> GetAsync(TaskId id, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the task's changes if nobody changed it since it was read; returns false (and stores nothing)
    /// when it was changed or deleted meanwhile.
    /// </summary>
    Task<bool> SaveAsync(BackgroundTask task, CancellationToken cancellationToken);

    /// <summary>Deletes the task; returns false when there was none.</summary>
    Task<bool> DeleteAsync(TaskId id, CancellationToken cancellationToken);
}
