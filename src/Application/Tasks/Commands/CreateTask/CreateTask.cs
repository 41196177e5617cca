using System.Text.Json;
using Mediator;
using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;

namespace TaskService.Application.Tasks.Commands.CreateTask;

/// <summary>Creates a pending task. Every property is required; nullable only so the validator can name what is missing.</summary>
public sealed record CreateTaskCommand(
    string? Name,
    string? Type,
    int? Priority,
    JsonElement? Data,
    DateTimeOffset? AvailableTime,
    DateTimeOffset? ExpirationTime) : ICommand<TaskDto>;

public sealed class CreateTaskCommandHandler(ITaskRepository repository, TimeProvider timeProvider, ITaskSignal signal)
    : ICommandHandler<CreateTaskCommand, TaskDto>
{
    public async ValueTask<TaskDto> Handle(CreateTaskCommand command, CancellationToken cancellationToken)
    {
        var task = BackgroundTask.Create(
            command.Name!,
            command.Type!,
            command.Priority!.Value,
            TaskData.Parse(command.Data!.Value.GetRawText()),
            command.AvailableTime!.Value.UtcDateTime,
            command.ExpirationTime!.Value.UtcDateTime,
            timeProvider.GetUtcNow().UtcDateTime);
        await repository.AddAsync(task, cancellationToken);
        signal.Notify(task.AvailableTime);
        return task.ToDto();
    }
}
