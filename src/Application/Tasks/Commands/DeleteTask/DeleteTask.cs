using Mediator;
using TaskService.Application.Common.Exceptions;
using TaskService.Application.Common.Validation;
using TaskService.Domain.Tasks;

namespace TaskService.Application.Tasks.Commands.DeleteTask;

public sealed record DeleteTaskCommand(string TaskId) : ICommand;

public sealed class DeleteTaskCommandHandler(ITaskRepository repository) : ICommandHandler<DeleteTaskCommand>
{
    public async ValueTask<Unit> Handle(DeleteTaskCommand command, CancellationToken cancellationToken)
    {
        var id = TaskId.Parse(command.TaskId);
        if (!await repository.DeleteAsync(id, cancellationToken))
        {
            throw new NotFoundException($"Task {id} was not found.");
        }

        return Unit.Value;
    }
}

public sealed class DeleteTaskCommandValidator : IValidator<DeleteTaskCommand>
{
    public IEnumerable<ValidationFailure> Validate(DeleteTaskCommand command) => TaskRules.TaskIdentifier(command.TaskId);
}
