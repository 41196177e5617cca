using System.Text.Json;
using TaskService.Application.Common.Validation;
using TaskService.Domain.Common;
using TaskService.Domain.Tasks;

namespace TaskService.Application.Tasks;

/// <summary>Field rules shared by the create and update validators.</summary>
internal static class TaskRules
{
    public static IEnumerable<ValidationFailure> Required<T>(T? value, string field)
    {
        if (value is null)
        {
            yield return new ValidationFailure($"/{field}", $"{field} is required.");
        }
    }

    public static IEnumerable<ValidationFailure> NonEmptyText(string? value, string field)
    {
        if (value is null)
        {
            yield return new ValidationFailure($"/{field}", $"{field} is required.");
        }
        else if (value.Length == 0)
        {
            yield return new ValidationFailure($"/{field}", $"{field} must not be empty.");
        }
    }

    public static IEnumerable<ValidationFailure> Priority(int? priority)
    {
        if (priority is null)
        {
            yield return new ValidationFailure("/priority", "priority is required.");
        }
        else if (priority < 0)
        {
            yield return new ValidationFailure("/priority", "priority must be an integer from 0 to 2147483647.");
        }
    }

    public static IEnumerable<ValidationFailure> Data(JsonElement? data)
    {
        if (data is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            yield return new ValidationFailure("/data", "data is required.");
            yield break;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            yield return new ValidationFailure("/data", "data must be a JSON object.");
            yield break;
        }

        InvalidTaskDataException? invalid = null;
        try
        {
            TaskData.Parse(element.GetRawText());
        }
        catch (InvalidTaskDataException exception)
        {
            invalid = exception;
        }

        if (invalid is not null)
        {
            yield return new ValidationFailure($"/data{invalid.Path}", invalid.Message);
        }
    }

    public static IEnumerable<ValidationFailure> Schedule(DateTimeOffset? availableTime, DateTimeOffset? expirationTime, DateTimeOffset now)
    {
        if (availableTime is null)
        {
            yield return new ValidationFailure("/availableTime", "availableTime is required.");
        }

        if (expirationTime is null)
        {
            yield return new ValidationFailure("/expirationTime", "expirationTime is required.");
            yield break;
        }

        var expiration = Instant.Normalize(expirationTime.Value);
        if (availableTime is { } available && expiration <= Instant.Normalize(available))
        {
            yield return new ValidationFailure("/expirationTime", "expirationTime must be later than availableTime.");
        }

        if (expiration <= Instant.Normalize(now))
        {
            yield return new ValidationFailure("/expirationTime", "expirationTime must be in the future.");
        }
    }

    public static IEnumerable<ValidationFailure> TaskIdentifier(string? taskId)
    {
        if (!TaskId.IsValid(taskId))
        {
            yield return new ValidationFailure("taskId", $"taskId must be {TaskId.Length} lowercase hexadecimal characters.");
        }
    }
}
