using TaskService.Domain.Common;
using TaskService.Domain.Tasks;

namespace TaskService.Application.Tasks.Execution;

public enum RecordResult
{
    /// <summary>The outcome is stored.</summary>
    Recorded,

    /// <summary>Stored, but the runner's new data was dropped: the API changed the task's data during the run.</summary>
    RecordedWithoutRunnerData,

    /// <summary>Nothing stored: the task was deleted during the run.</summary>
    TaskDeleted,

    /// <summary>Nothing stored: another claim replaced this run (its lease ran out), so this worker must not write.</summary>
    ClaimLost,
}

/// <summary>
/// Stores what the engine learns about runs, always through the domain's transitions and the repository's
/// version-conditional save: a write that meets a concurrent change (an API update, a lease renewal) re-reads the
/// task and applies itself again, and a worker whose claim was replaced changes nothing (fencing by claim token).
/// </summary>
public sealed class RunRecorder(ITaskRepository repository, TimeProvider timeProvider)
{
    private const int MaxWriteAttempts = 20;

    /// <param name="run">What the runner was given; its data tells whether the API changed the data meanwhile.</param>
    /// <param name="claimed">
    /// The task as claimed, when the caller still has it: the first write is tried on it without reading the task again
    /// (any change since, such as an API update or a lease renewal, makes that write fail and the task is re-read).
    /// </param>
    public Task<RecordResult> RecordAsync(
        TaskRun run, string claimToken, RunOutcome outcome, RetryPolicy policy, CancellationToken cancellationToken, BackgroundTask? claimed = null)
    {
        var dataGivenToRunner = claimed?.Data ?? TaskData.Parse(run.Data.GetRawText());
        return WriteAsync(run.Id, claimToken, claimed, task =>
        {
            var now = timeProvider.GetUtcNow().UtcDateTime;
            var keepRunnerData = true;
            TaskData? RunnerData(System.Text.Json.JsonElement? data)
            {
                if (data is not { } element)
                {
                    return null;
                }

                keepRunnerData = task.Data.Equals(dataGivenToRunner);
                return keepRunnerData ? TaskData.Parse(element.GetRawText()) : null;
            }

            switch (outcome)
            {
                case CompletedOutcome completed:
                    task.Complete(now, claimToken, RunnerData(completed.Data));
                    break;
                case FailedOutcome failed:
                    task.Fail(now, claimToken, failed.Error);
                    break;
                case RunAgainOutcome again:
                    var at = again.At?.UtcDateTime ?? now + (again.After ?? TimeSpan.Zero);
                    task.Reschedule(now, claimToken, at, again.Error, RunnerData(again.Data));
                    break;
                case RetryOutcome retry when task.Attempts >= policy.MaxAttempts:
                    task.Fail(now, claimToken, $"{retry.Error} (gave up after {task.Attempts} attempts)");
                    break;
                case RetryOutcome retry:
                    var backoff = policy.Backoff(task.Attempts, Random.Shared.NextDouble());
                    var delay = retry.NotBefore is { } notBefore && notBefore > backoff ? notBefore : backoff;
                    task.Reschedule(now, claimToken, now + delay, retry.Error);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown run outcome.");
            }

            return keepRunnerData ? RecordResult.Recorded : RecordResult.RecordedWithoutRunnerData;
        }, cancellationToken);
    }

    /// <summary>Gives a run back without counting the attempt (graceful shutdown): pending, available at once.</summary>
    public Task<RecordResult> ReleaseAsync(string taskId, string claimToken, CancellationToken cancellationToken) =>
        WriteAsync(taskId, claimToken, null, task =>
        {
            task.Release(timeProvider.GetUtcNow().UtcDateTime, claimToken);
            return RecordResult.Recorded;
        }, cancellationToken);

    /// <summary>
    /// Settles one overdue task: a pending task past its expiration fails as expired; a running task whose lease ran
    /// out goes back to pending, or fails when its attempts are used up. False when it was no longer overdue.
    /// </summary>
    public async Task<bool> SettleOverdueAsync(BackgroundTask task, RetryPolicy policy, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow().UtcDateTime;
        try
        {
            switch (task.State)
            {
                case TaskState.Pending when task.ExpirationTime <= now:
                    task.Expire(now);
                    break;
                case TaskState.Running when task.LeaseExpiresTime is { } lease && lease <= now:
                    task.RecoverExpiredLease(now, policy.MaxAttempts);
                    break;
                default:
                    return false;
            }
        }
        catch (DomainException)
        {
            return false;
        }

        // Conditional on the version read by the sweep: if anything changed since, another writer got there first.
        return await repository.SaveAsync(task, cancellationToken);
    }

    private async Task<RecordResult> WriteAsync(
        string taskId, string claimToken, BackgroundTask? claimed, Func<BackgroundTask, RecordResult> change, CancellationToken cancellationToken)
    {
        var id = TaskId.Parse(taskId);
        for (var attempt = 1; ; attempt++)
        {
            var task = attempt == 1 && claimed is not null ? claimed : await repository.GetAsync(id, cancellationToken);
            if (task is null)
            {
                return RecordResult.TaskDeleted;
            }

            if (task.State != TaskState.Running || !string.Equals(task.ClaimToken, claimToken, StringComparison.Ordinal))
            {
                return RecordResult.ClaimLost;
            }

            var result = change(task);
            if (await repository.SaveAsync(task, cancellationToken))
            {
                return result;
            }

            if (attempt == MaxWriteAttempts)
            {
                throw new InvalidOperationException($"Task {id} kept changing while its run was being recorded.");
            }
        }
    }
}
