using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using NSwag.Annotations;
using TaskService.Api.Errors;
using TaskService.Application.Tasks;
using TaskService.Application.Tasks.Commands.CreateTask;
using TaskService.Application.Tasks.Commands.DeleteTask;
using TaskService.Application.Tasks.Commands.UpdateTask;
using TaskService.Application.Tasks.Queries.GetTask;
using TaskService.Application.Tasks.Queries.ListTasks;

namespace TaskService.Api.Controllers;

[ApiController]
[Authorize]
[Route("v1/tasks")]
[Produces("application/json")]
[OpenApiTags("Tasks", "Internal")]
[ProducesResponseType<ErrorResponse>(StatusCodes.Status400BadRequest)]
[ProducesResponseType<ErrorResponse>(StatusCodes.Status401Unauthorized)]
[ProducesResponseType<ErrorResponse>(StatusCodes.Status500InternalServerError)]
public sealed class TasksController(ISender sender) : ControllerBase
{
    [HttpGet]
    [OpenApiOperation("ListTasks", "List Tasks",
        "Returns list of tasks. The list can be filtered with the `name`, `type`, or `state` query parameters. " +
        "It can also be paginated with the `page` and `size` query parameters.")]
    [ProducesResponseType<IReadOnlyList<TaskDto>>(StatusCodes.Status200OK)]
    public async Task<IReadOnlyList<TaskDto>> ListTasks(
        [FromQuery] string? name,
        [FromQuery] string? type,
        [FromQuery] string? state,
        [FromQuery] int? page,
        [FromQuery] int? size,
        CancellationToken cancellationToken) =>
        await sender.Send(new ListTasksQuery(name, type, state, page, size), cancellationToken);

    [HttpPost]
    [Consumes("application/json")]
    [OpenApiOperation("CreateTask", "Create New Task", "Creates a new task.")]
    [ProducesResponseType<TaskDto>(StatusCodes.Status200OK)]
    [ProducesResponseType<ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<TaskDto> CreateTask([FromBody] CreateTaskCommand command, CancellationToken cancellationToken)
    {
        var task = await sender.Send(command, cancellationToken);
        Response.Headers.Location = $"/v1/tasks/{task.Id}";
        return task;
    }

    [HttpGet("{taskId}")]
    [OpenApiOperation("GetTask", "Get Task", "Returns the task identified by `taskId`.")]
    [ProducesResponseType<TaskDto>(StatusCodes.Status200OK)]
    [ProducesResponseType<ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<TaskDto> GetTask(string taskId, CancellationToken cancellationToken) =>
        await sender.Send(new GetTaskQuery(taskId), cancellationToken);

    [HttpPut("{taskId}")]
    [Consumes("application/json")]
    [OpenApiOperation("UpdateTask", "Update Task", "Updates the task identified by `taskId`.")]
    [ProducesResponseType<TaskDto>(StatusCodes.Status200OK)]
    [ProducesResponseType<ErrorResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<TaskDto> UpdateTask(string taskId, [FromBody] TaskUpdate update, CancellationToken cancellationToken) =>
        await sender.Send(new UpdateTaskCommand(taskId, update), cancellationToken);

    [HttpDelete("{taskId}")]
    [OpenApiOperation("DeleteTask", "Delete Task", "Deletes the task identified by `taskId`.")]
    [ProducesResponseType(StatusCodes.Status200OK)]
    [ProducesResponseType<ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<IActionResult> DeleteTask(string taskId, CancellationToken cancellationToken)
    {
        await sender.Send(new DeleteTaskCommand(taskId), cancellationToken);
        return Ok();
    }
}
