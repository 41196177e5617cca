using TaskService.Domain.Tasks;

namespace TaskService.Application.Tasks.Execution;

/// <summary>The store operations of the execution engine, beside <see cref="ITaskRepository"/>.</summary>
public interface ITaskDispatchStore
{
    /// <summary>
    /// Atomically claims the next runnable task: <c>pending</c>, of one of <paramref name="types"/>, with
    /// <c>availableTime ≤ now &lt; expirationTime</c>; highest priority first, then earliest availableTime, then earliest
    /// createdTime. The claim does what <see cref="BackgroundTask.Start"/> does (running, runTime, attempt counted,
    /// claim token, lease) in one conditional write, so two instances never claim the same task. Null when none.
    /// </summary>
    Task<BackgroundTask?> ClaimNextAsync(
        IReadOnlyCollection<string> types, DateTime now, string claimToken, DateTime leaseExpiresTime, CancellationToken cancellationToken);

    /// <summary>Extends the lease of a run; false when the task is gone or no longer claimed with this token.</summary>
    Task<bool> RenewLeaseAsync(TaskId id, string claimToken, DateTime leaseExpiresTime, CancellationToken cancellationToken);

    /// <summary>Of the given runs, the ids of those whose task still exists and is still claimed by that token.</summary>
    Task<IReadOnlySet<string>> StillClaimedAsync(IReadOnlyCollection<ClaimedRun> runs, CancellationToken cancellationToken);

    /// <summary>Tasks the sweep must settle: pending past their expiration time, and running past their lease.</summary>
    Task<IReadOnlyList<BackgroundTask>> FindOverdueAsync(DateTime now, int limit, CancellationToken cancellationToken);
}

public sealed record ClaimedRun(string Id, string ClaimToken);
