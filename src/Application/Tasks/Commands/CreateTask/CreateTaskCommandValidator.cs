using TaskService.Application.Common.Validation;

namespace TaskService.Application.Tasks.Commands.CreateTask;

public sealed class CreateTaskCommandValidator(TimeProvider timeProvider) : IValidator<CreateTaskCommand>
{
    public IEnumerable<ValidationFailure> Validate(CreateTaskCommand command) =>
        TaskRules.NonEmptyText(command.Name, "name")
            .Concat(TaskRules.NonEmptyText(command.Type, "type"))
            .Concat(TaskRules.Priority(command.Priority))
            .Concat(TaskRules.Data(command.Data))
            .Concat(TaskRules.Schedule(command.AvailableTime, command.ExpirationTime, timeProvider.GetUtcNow()));
}
