using TaskService.Application.Common.Validation;

namespace TaskService.Application.Tasks.Commands.UpdateTask;

public sealed class UpdateTaskCommandValidator(TimeProvider timeProvider) : IValidator<UpdateTaskCommand>
{
    public IEnumerable<ValidationFailure> Validate(UpdateTaskCommand command) =>
        TaskRules.TaskIdentifier(command.TaskId)
            .Concat(TaskRules.Priority(command.Update.Priority))
            .Concat(TaskRules.Data(command.Update.Data))
            .Concat(TaskRules.Schedule(command.Update.AvailableTime, command.Update.ExpirationTime, timeProvider.GetUtcNow()));
}
