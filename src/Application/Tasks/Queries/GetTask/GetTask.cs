using Mediator;
using TaskService.Application.Common.Exceptions;
using TaskService.Application.Common.Validation;
using TaskService.Domain.Tasks;

namespace TaskService.Application.Tasks.Queries.GetTask;

public sealed record GetTaskQuery(string TaskId) : IQuery<TaskDto>;

public sealed class GetTaskQueryHandler(ITaskRepository repository) : IQueryHandler<GetTaskQuery, TaskDto>
{
    public async ValueTask<TaskDto> Handle(GetTaskQuery query, CancellationToken cancellationToken)
    {
        var id = TaskId.Parse(query.TaskId);
        var task = await repository.GetAsync(id, cancellationToken) ?? throw new NotFoundException($"Task {id} was not found.");
        return task.ToDto();
    }
}

public sealed class GetTaskQueryValidator : IValidator<GetTaskQuery>
{
    public IEnumerable<ValidationFailure> Validate(GetTaskQuery query) => TaskRules.TaskIdentifier(query.TaskId);
}
