using System.Text.Json;
using Riok.Mapperly.Abstractions;
using TaskService.Domain.Tasks;

namespace TaskService.Application.Tasks;

[Mapper]
public static partial class TaskMapper
{
    [MapperIgnoreSource(nameof(BackgroundTask.Attempts))]
    [MapperIgnoreSource(nameof(BackgroundTask.ClaimToken))]
    [MapperIgnoreSource(nameof(BackgroundTask.LeaseExpiresTime))]
    [MapperIgnoreSource(nameof(BackgroundTask.Version))]
    public static partial TaskDto ToDto(this BackgroundTask task);

    private static string MapId(TaskId id) => id.Value;

    private static string MapState(TaskState state) => state.ToWireName();

    private static JsonElement MapData(TaskData data)
    {
        using var document = JsonDocument.Parse(data.Json);
        return document.RootElement.Clone();
    }
}
