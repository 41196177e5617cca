using System.Text.Json;

namespace TaskService.Application.Tasks;

/// <summary>The task resource as the API returns it. Internal bookkeeping (leases, attempts, versions) stays out.</summary>
public sealed record TaskDto(
    string Id,
    string Name,
    string Type,
    int Priority,
    JsonElement Data,
    DateTime AvailableTime,
    DateTime ExpirationTime,
    string State,
    string? Error,
    DateTime? RunTime,
    double? Duration,
    DateTime CreatedTime,
    DateTime ModifiedTime);
