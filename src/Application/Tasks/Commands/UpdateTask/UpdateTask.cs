using System.Text.Json;
using Mediator;
using TaskService.Application.Common.Exceptions;
using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;

namespace TaskService.Application.Tasks.Commands.UpdateTask;

/// <summary>Replaces the priority, data and schedule of a task that has not ended.</summary>
public sealed record UpdateTaskCommand(string TaskId, TaskUpdate Update) : ICommand<TaskDto>;

/// <summary>The body of an update: every property is required; nullable only so the validator can name what is missing.</summary>
public sealed record TaskUpdate(
    int? Priority,
    JsonElement? Data,
    DateTimeOffset? AvailableTime,
    DateTimeOffset? ExpirationTime);

public sealed class UpdateTaskCommandHandler(ITaskRepository repository, TimeProvider timeProvider, ITaskSignal signal)
    : ICommandHandler<UpdateTaskCommand, TaskDto>
{
    // A concurrent write (an engine transition, another update) makes the conditional save fail; the update is
    // then applied again to what is stored now, so neither write is lost.
    private const int MaxAttempts = 10;

    public async ValueTask<TaskDto> Handle(UpdateTaskCommand command, CancellationToken cancellationToken)
    {
        var id = Domain.Tasks.TaskId.Parse(command.TaskId);
        var update = command.Update;
        var data = TaskData.Parse(update.Data!.Value.GetRawText());
        for (var attempt = 1; ; attempt++)
        {
            var task = await repository.GetAsync(id, cancellationToken)
                ?? throw new NotFoundException($"Task {id} was not found.");
            task.Update(
                update.Priority!.Value,
                data,
                update.AvailableTime!.Value.UtcDateTime,
                update.ExpirationTime!.Value.UtcDateTime,
                timeProvider.GetUtcNow().UtcDateTime);
            if (await repository.SaveAsync(task, cancellationToken))
            {
                signal.Notify(task.AvailableTime);
                return task.ToDto();
            }

            if (attempt == MaxAttempts)
            {
                throw new InvalidOperationException($"Task {id} kept changing while being updated ({MaxAttempts} tries).");
            }
        }
    }
}
