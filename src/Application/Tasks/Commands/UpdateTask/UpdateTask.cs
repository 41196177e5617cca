using System.Text.Json;
using System.Text.Json.Serialization;
using Mediator;
using TaskService.Application.Common.Exceptions;
using TaskService.Domain.Tasks;

namespace TaskService.Application.Tasks.Commands.UpdateTask;

/// <summary>Replaces the priority, data and schedule of a task that has not ended.</summary>
public sealed record UpdateTaskCommand(
    int? Priority,
    JsonElement? Data,
    DateTimeOffset? AvailableTime,
    DateTimeOffset? ExpirationTime) : ICommand<TaskDto>
{
    [JsonIgnore]
    public string TaskId { get; init; } = "";
}

public sealed class UpdateTaskCommandHandler(ITaskRepository repository, TimeProvider timeProvider)
    : ICommandHandler<UpdateTaskCommand, TaskDto>
{
    // A concurrent write (an engine transition, another update) makes the conditional save fail; the update is
    // then applied again to what is stored now, so neither write is lost.
    private const int MaxAttempts = 10;

    public async ValueTask<TaskDto> Handle(UpdateTaskCommand command, CancellationToken cancellationToken)
    {
        var id = Domain.Tasks.TaskId.Parse(command.TaskId);
        var data = TaskData.Parse(command.Data!.Value.GetRawText());
        for (var attempt = 1; ; attempt++)
        {
            var task = await repository.GetAsync(id, cancellationToken)
                ?? throw new NotFoundException($"Task {id} was not found.");
            task.Update(
                command.Priority!.Value,
                data,
                command.AvailableTime!.Value.UtcDateTime,
                command.ExpirationTime!.Value.UtcDateTime,
                timeProvider.GetUtcNow().UtcDateTime);
            if (await repository.SaveAsync(task, cancellationToken))
            {
                return task.ToDto();
            }

            if (attempt == MaxAttempts)
            {
                throw new InvalidOperationException($"Task {id} kept changing while being updated ({MaxAttempts} tries).");
            }
        }
    }
}
