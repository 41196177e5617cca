using TaskService.Application.Common.Validation;

namespace TaskService.Application.Tasks.Commands.UpdateTask;

public sealed class UpdateTaskCommandValidator(TimeProvider timeProvider) : IValidator<UpdateTaskCommand>
{
    public IEnumerable<ValidationFailure> Validate(UpdateTaskCommand command) =>
        TaskRules.TaskIdentifier(command.TaskId)
            .Concat(TaskRules.Priority(command.Priority))
            .Concat(TaskRules.Data(command.Data))
            .Concat(TaskRules.Schedule(command.AvailableTime, command.ExpirationTime, timeProvider.GetUtcNow()));
}
