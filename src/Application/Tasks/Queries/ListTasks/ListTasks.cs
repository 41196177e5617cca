using Mediator;
using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;

namespace TaskService.Application.Tasks.Queries.ListTasks;

public sealed record ListTasksQuery(string? Name, string? Type, string? State, int? Page, int? Size) : IQuery<IReadOnlyList<TaskDto>>
{
    public const int DefaultSize = 100;
    public const int MaxSize = 1000;
}

public sealed class ListTasksQueryHandler(ITaskQueries queries) : IQueryHandler<ListTasksQuery, IReadOnlyList<TaskDto>>
{
    public async ValueTask<IReadOnlyList<TaskDto>> Handle(ListTasksQuery query, CancellationToken cancellationToken)
    {
        TaskState? state = TaskStateExtensions.TryParseWireName(query.State, out var parsed) ? parsed : null;
        var tasks = await queries.ListAsync(
            new TaskListFilter(query.Name, query.Type, state),
            query.Page ?? 0,
            query.Size ?? ListTasksQuery.DefaultSize,
            cancellationToken);
        return tasks.Select(task => task.ToDto()).ToList();
    }
}
