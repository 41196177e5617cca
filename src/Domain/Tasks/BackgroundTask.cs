using TaskService.Domain.Common;

namespace TaskService.Domain.Tasks;

/// <summary>
/// A generic background task: the aggregate of the Task API. Every change goes through one method per
/// transition of the state machine <c>pending → running → completed | failed</c>, <c>running → pending</c> and
/// <c>pending → failed</c>; an illegal move throws <see cref="DomainException"/>. Times are UTC at millisecond
/// precision and always come in from the caller.
/// </summary>
public sealed class BackgroundTask
{
    public const int MaxErrorLength = 4096;

    private BackgroundTask()
    {
        Id = TaskId.New();
        Name = "";
        Type = "";
        Data = TaskData.Empty;
    }

    public TaskId Id { get; private set; }
    public string Name { get; private set; }
    public string Type { get; private set; }
    public int Priority { get; private set; }
    public TaskData Data { get; private set; }
    public DateTime AvailableTime { get; private set; }
    public DateTime ExpirationTime { get; private set; }
    public TaskState State { get; private set; }
    public string? Error { get; private set; }
    public DateTime? RunTime { get; private set; }
    public double? Duration { get; private set; }
    public DateTime CreatedTime { get; private set; }
    public DateTime ModifiedTime { get; private set; }

    /// <summary>Runs started so far, the current one included.</summary>
    public int Attempts { get; private set; }

    /// <summary>Identifies the current run; every write about a run must present it.</summary>
    public string? ClaimToken { get; private set; }

    public DateTime? LeaseExpiresTime { get; private set; }

    /// <summary>Incremented by every stored change; stores write conditionally on it.</summary>
    public long Version { get; private set; }

    public static BackgroundTask Create(
        string name, string type, int priority, TaskData data, DateTime availableTime, DateTime expirationTime, DateTime now)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new DomainException("A task needs a name.");
        }

        if (string.IsNullOrEmpty(type))
        {
            throw new DomainException("A task needs a type.");
        }

        now = Instant.Normalize(now);
        var task = new BackgroundTask
        {
            Id = TaskId.New(),
            Name = name,
            Type = type,
            State = TaskState.Pending,
            CreatedTime = now,
        };
        task.SetSchedule(priority, data, availableTime, expirationTime, now);
        return task;
    }

    /// <summary>Rebuilds a stored task. For persistence adapters only: it checks nothing.</summary>
    public static BackgroundTask Restore(TaskSnapshot snapshot) => new()
    {
        Id = TaskId.Parse(snapshot.Id),
        Name = snapshot.Name,
        Type = snapshot.Type,
        Priority = snapshot.Priority,
        Data = snapshot.Data,
        AvailableTime = snapshot.AvailableTime,
        ExpirationTime = snapshot.ExpirationTime,
        State = snapshot.State,
        Error = snapshot.Error,
        RunTime = snapshot.RunTime,
        Duration = snapshot.Duration,
        CreatedTime = snapshot.CreatedTime,
        ModifiedTime = snapshot.ModifiedTime,
        Attempts = snapshot.Attempts,
        ClaimToken = snapshot.ClaimToken,
        LeaseExpiresTime = snapshot.LeaseExpiresTime,
        Version = snapshot.Version,
    };

    public TaskSnapshot ToSnapshot() => new(
        Id.Value, Name, Type, Priority, Data, AvailableTime, ExpirationTime, State, Error, RunTime, Duration,
        CreatedTime, ModifiedTime, Attempts, ClaimToken, LeaseExpiresTime, Version);

    /// <summary>The API's update: replaces the schedule of a task that has not ended, even while it runs.</summary>
    public void Update(int priority, TaskData data, DateTime availableTime, DateTime expirationTime, DateTime now)
    {
        if (State.IsFinal())
        {
            throw new DomainException($"Task {Id} is {State.ToWireName()}, a final state: it can no longer be updated.");
        }

        SetSchedule(priority, data, availableTime, expirationTime, Instant.Normalize(now));
    }

    /// <summary>pending → running: a worker claimed the task.</summary>
    public void Start(DateTime now, string claimToken, DateTime leaseExpiresTime)
    {
        now = Instant.Normalize(now);
        EnsureState(TaskState.Pending, TaskState.Running);
        if (now < AvailableTime)
        {
            throw new DomainException($"Task {Id} is not available until {AvailableTime:O}.");
        }

        if (now >= ExpirationTime)
        {
            throw new DomainException($"Task {Id} expired at {ExpirationTime:O} and can no longer start.");
        }

        State = TaskState.Running;
        RunTime = now;
        Attempts++;
        ClaimToken = claimToken;
        LeaseExpiresTime = Instant.Normalize(leaseExpiresTime);
        Touch(now);
    }

    /// <summary>Extends the lease of the current run.</summary>
    public void RenewLease(string claimToken, DateTime leaseExpiresTime)
    {
        EnsureRun(claimToken, "renew its lease");
        LeaseExpiresTime = Instant.Normalize(leaseExpiresTime);
    }

    /// <summary>running → completed. <paramref name="data"/>, when given, replaces the task's data.</summary>
    public void Complete(DateTime now, string claimToken, TaskData? data = null)
    {
        EnsureRun(claimToken, "complete");
        now = Instant.Normalize(now);
        EndRun(now);
        State = TaskState.Completed;
        Error = null;
        Data = data ?? Data;
    }

    /// <summary>running → failed, for good.</summary>
    public void Fail(DateTime now, string claimToken, string error)
    {
        EnsureRun(claimToken, "fail");
        now = Instant.Normalize(now);
        EndRun(now);
        State = TaskState.Failed;
        Error = Truncate(error);
    }

    /// <summary>
    /// running → pending, to run again at <paramref name="availableTime"/> (a retry or a repeat). When that is not
    /// before the expiration time the task can never start again, so it ends failed as expired instead.
    /// </summary>
    public void Reschedule(DateTime now, string claimToken, DateTime availableTime, string? error = null, TaskData? data = null)
    {
        EnsureRun(claimToken, "reschedule");
        now = Instant.Normalize(now);
        availableTime = Instant.Normalize(availableTime);
        if (availableTime < now)
        {
            availableTime = now;
        }

        EndRun(now);
        Data = data ?? Data;
        if (availableTime >= ExpirationTime)
        {
            State = TaskState.Failed;
            Error = Truncate(ExpiredError + (error is null ? "" : $" Last error: {error}"));
            return;
        }

        State = TaskState.Pending;
        Error = error is null ? null : Truncate(error);
        AvailableTime = availableTime;
    }

    /// <summary>running → pending without counting the attempt: the instance gave the run back (graceful shutdown).</summary>
    public void Release(DateTime now, string claimToken)
    {
        EnsureRun(claimToken, "release");
        now = Instant.Normalize(now);
        State = TaskState.Pending;
        Attempts = Math.Max(0, Attempts - 1);
        ClaimToken = null;
        LeaseExpiresTime = null;
        if (AvailableTime > now)
        {
            AvailableTime = now;
        }

        Touch(now);
    }

    /// <summary>
    /// running → pending (or failed once <paramref name="maxAttempts"/> are used up): the lease ran out, so the
    /// worker is presumed dead. Counting the attempt keeps a task that crashes its process from looping forever.
    /// </summary>
    public void RecoverExpiredLease(DateTime now, int maxAttempts)
    {
        now = Instant.Normalize(now);
        EnsureState(TaskState.Running, TaskState.Pending);
        if (LeaseExpiresTime is { } lease && lease > now)
        {
            throw new DomainException($"Task {Id} still holds a lease until {lease:O}.");
        }

        const string lostWorker = "The worker running this task stopped responding (its lease expired).";
        EndRun(now);
        if (Attempts >= maxAttempts)
        {
            State = TaskState.Failed;
            Error = $"{lostWorker} Gave up after {Attempts} attempts.";
        }
        else
        {
            State = TaskState.Pending;
            Error = lostWorker;
        }
    }

    /// <summary>pending → failed: the expiration time passed before the task could start.</summary>
    public void Expire(DateTime now)
    {
        now = Instant.Normalize(now);
        EnsureState(TaskState.Pending, TaskState.Failed);
        if (now < ExpirationTime)
        {
            throw new DomainException($"Task {Id} does not expire until {ExpirationTime:O}.");
        }

        State = TaskState.Failed;
        Error = ExpiredError;
        Touch(now);
    }

    /// <summary>Marks the change as stored: the store has written this object at <see cref="Version"/> + 1.</summary>
    public void MarkStored() => Version++;

    private string ExpiredError => $"The task expired at {ExpirationTime:yyyy-MM-ddTHH:mm:ss.fffZ} before it could run.";

    private void SetSchedule(int priority, TaskData data, DateTime availableTime, DateTime expirationTime, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (priority < 0)
        {
            throw new DomainException("A task's priority cannot be negative.");
        }

        availableTime = Instant.Normalize(availableTime);
        expirationTime = Instant.Normalize(expirationTime);
        if (expirationTime <= availableTime)
        {
            throw new DomainException("A task's expiration time must be later than its available time.");
        }

        if (expirationTime <= now)
        {
            throw new DomainException("A task's expiration time must be in the future.");
        }

        Priority = priority;
        Data = data;
        AvailableTime = availableTime;
        ExpirationTime = expirationTime;
        Touch(now);
    }

    private void EnsureState(TaskState required, TaskState target)
    {
        if (State != required)
        {
            throw new DomainException(
                $"Task {Id} cannot move from {State.ToWireName()} to {target.ToWireName()}; it must be {required.ToWireName()}.");
        }
    }

    private void EnsureRun(string claimToken, string action)
    {
        if (State != TaskState.Running)
        {
            throw new DomainException($"Task {Id} is {State.ToWireName()}, not running: cannot {action}.");
        }

        if (!string.Equals(ClaimToken, claimToken, StringComparison.Ordinal))
        {
            throw new LostClaimException(Id);
        }
    }

    private void EndRun(DateTime now)
    {
        Duration = RunTime is { } started ? Math.Max(0, (now - started).TotalSeconds) : 0;
        ClaimToken = null;
        LeaseExpiresTime = null;
        Touch(now);
    }

    private void Touch(DateTime now) => ModifiedTime = now;

    private static string Truncate(string error)
    {
        if (error.Length <= MaxErrorLength)
        {
            return error;
        }

        // Never cut between the two halves of a surrogate pair: half a character is not valid text in any store.
        var keep = char.IsHighSurrogate(error[MaxErrorLength - 2]) ? MaxErrorLength - 2 : MaxErrorLength - 1;
        return string.Concat(error.AsSpan(0, keep), "…");
    }
}

/// <summary>The stored form of a task, for persistence adapters.</summary>
public sealed record TaskSnapshot(
    string Id,
    string Name,
    string Type,
    int Priority,
    TaskData Data,
    DateTime AvailableTime,
    DateTime ExpirationTime,
    TaskState State,
    string? Error,
    DateTime? RunTime,
    double? Duration,
    DateTime CreatedTime,
    DateTime ModifiedTime,
    int Attempts,
    string? ClaimToken,
    DateTime? LeaseExpiresTime,
    long Version);

/// <summary>A worker wrote about a run it no longer owns: another claim replaced it.</summary>
public sealed class LostClaimException(TaskId id) : DomainException($"Task {id} is no longer claimed by this run.");
