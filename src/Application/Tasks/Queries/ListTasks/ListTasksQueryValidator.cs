using TaskService.Application.Common.Validation;
using TaskService.Domain.Tasks;

namespace TaskService.Application.Tasks.Queries.ListTasks;

public sealed class ListTasksQueryValidator : IValidator<ListTasksQuery>
{
    public IEnumerable<ValidationFailure> Validate(ListTasksQuery query)
    {
        if (query.Name is { Length: 0 })
        {
            yield return new ValidationFailure("name", "name must not be empty when given.");
        }

        if (query.Type is { Length: 0 })
        {
            yield return new ValidationFailure("type", "type must not be empty when given.");
        }

        if (query.State is not null && !TaskStateExtensions.TryParseWireName(query.State, out _))
        {
            yield return new ValidationFailure("state", "state must be one of pending, running, completed, failed.");
        }

        if (query.Page < 0)
        {
            yield return new ValidationFailure("page", "page must be an integer of 0 or more.");
        }

        if (query.Size is < 1 or > ListTasksQuery.MaxSize)
        {
            yield return new ValidationFailure("size", $"size must be an integer from 1 to {ListTasksQuery.MaxSize}.");
        }
    }
}
