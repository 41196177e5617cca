using System.Text.Json;

namespace TaskService.Application.Tasks.Execution;

/// <summary>
/// Code that runs tasks of one or more types. Register implementations in DI as <see cref="ITaskRunner"/>; an
/// instance claims only tasks whose type one of its runners handles. An exception thrown by
/// <see cref="RunAsync"/> is a failed attempt (retried per the type's retry policy).
/// </summary>
public interface ITaskRunner
{
    IReadOnlyCollection<string> Types { get; }

    /// <param name="cancellationToken">Cancelled when the task is deleted, its claim is lost, or the instance stops.</param>
    Task<RunOutcome> RunAsync(TaskRun run, CancellationToken cancellationToken);
}

/// <summary>What a runner gets: the task's identity, priority and data, and which attempt this is (1 for the first).</summary>
public sealed record TaskRun(string Id, string Name, string Type, int Priority, JsonElement Data, int Attempt);

/// <summary>How a run ended.</summary>
public abstract record RunOutcome
{
    /// <summary>Done. <paramref name="data"/>, when given, replaces the task's data (unless the API changed it during the run).</summary>
    public static RunOutcome Completed(JsonElement? data = null) => new CompletedOutcome(data);

    /// <summary>Failed for good: no retry.</summary>
    public static RunOutcome Failed(string error) => new FailedOutcome(error);

    /// <summary>Run again at <paramref name="at"/> (a repeat or a retry the runner schedules itself); the attempt counter is not reset.</summary>
    public static RunOutcome RunAgainAt(DateTimeOffset at, string? error = null, JsonElement? data = null) => new RunAgainOutcome(at, null, error, data);

    /// <summary>Run again after <paramref name="delay"/>.</summary>
    public static RunOutcome RunAgainAfter(TimeSpan delay, string? error = null, JsonElement? data = null) => new RunAgainOutcome(null, delay, error, data);

    /// <summary>A transient failure: retried with the type's backoff until its attempts run out, then failed with <paramref name="error"/>.</summary>
    public static RunOutcome Retry(string error, TimeSpan? notBefore = null) => new RetryOutcome(error, notBefore);
}

public sealed record CompletedOutcome(JsonElement? Data) : RunOutcome;

public sealed record FailedOutcome(string Error) : RunOutcome;

public sealed record RunAgainOutcome(DateTimeOffset? At, TimeSpan? After, string? Error, JsonElement? Data) : RunOutcome;

/// <param name="NotBefore">A minimum delay the callee asked for (an HTTP <c>Retry-After</c>), honoured over the backoff when longer.</param>
public sealed record RetryOutcome(string Error, TimeSpan? NotBefore) : RunOutcome;
