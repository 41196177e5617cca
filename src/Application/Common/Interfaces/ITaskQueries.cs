using TaskService.Domain.Tasks;

namespace TaskService.Application.Common.Interfaces;

/// <summary>The read side of the store: lists tasks without loading them for change.</summary>
public interface ITaskQueries
{
    /// <summary>Tasks matching every given filter, newest <c>createdTime</c> first, ties broken by id.</summary>
    Task<IReadOnlyList<BackgroundTask>> ListAsync(TaskListFilter filter, int page, int size, CancellationToken cancellationToken);
}

public sealed record TaskListFilter(string? Name, string? Type, TaskState? State);
