using TaskService.Domain.Tasks;

namespace TaskService.Domain.UnitTests;

/// <summary>The fixed clock of the scenarios: every time is an offset in seconds from <see cref="T0"/>.</summary>
internal static class Times
{
    public static readonly DateTime T0 = new(2030, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    public static DateTime At(double seconds) => T0.AddSeconds(seconds);
}

/// <summary>Builds tasks and walks them to a state through the public transition methods only.</summary>
internal sealed class TaskBuilder
{
    public const string Claim = "claim-1";

    public static readonly DateTime CreatedAt = Times.At(-60);
    public static readonly DateTime Available = Times.T0;
    public static readonly DateTime Expiration = Times.At(3600);
    public static readonly DateTime StartedAt = Times.At(1);
    public static readonly DateTime LeaseUntil = Times.At(61);
    public static readonly DateTime EndedAt = Times.At(11);

    private string _name = "nightly-report";
    private string _type = "report.generate";
    private int _priority = 5;
    private TaskData _data = TaskData.Parse("""{"customer":42,"ratio":1.5}""");
    private DateTime _available = Available;
    private DateTime _expiration = Expiration;
    private DateTime _now = CreatedAt;

    public TaskBuilder WithName(string name)
    {
        _name = name;
        return this;
    }

    public TaskBuilder WithType(string type)
    {
        _type = type;
        return this;
    }

    public TaskBuilder WithPriority(int priority)
    {
        _priority = priority;
        return this;
    }

    public TaskBuilder WithData(string json)
    {
        _data = TaskData.Parse(json);
        return this;
    }

    public TaskBuilder WithSchedule(DateTime available, DateTime expiration)
    {
        _available = available;
        _expiration = expiration;
        return this;
    }

    public TaskBuilder CreatedAtTime(DateTime now)
    {
        _now = now;
        return this;
    }

    public BackgroundTask Pending() => BackgroundTask.Create(_name, _type, _priority, _data, _available, _expiration, _now);

    public BackgroundTask Running()
    {
        var task = Pending();
        task.Start(StartedAt, Claim, LeaseUntil);
        return task;
    }

    public BackgroundTask Completed()
    {
        var task = Running();
        task.Complete(EndedAt, Claim);
        return task;
    }

    public BackgroundTask Failed()
    {
        var task = Running();
        task.Fail(EndedAt, Claim, "boom");
        return task;
    }

    /// <summary>Reaches the state by one of its routes (see <see cref="Route"/>).</summary>
    public BackgroundTask Via(Route route)
    {
        switch (route)
        {
            case Route.Created:
                return Pending();
            case Route.Released:
            {
                var task = Running();
                task.Release(EndedAt, Claim);
                return task;
            }

            case Route.Rescheduled:
            {
                var task = Running();
                task.Reschedule(EndedAt, Claim, Times.At(300), "try again");
                return task;
            }

            case Route.LeaseRecovered:
            {
                var task = Running();
                task.RecoverExpiredLease(LeaseUntil, maxAttempts: 3);
                return task;
            }

            case Route.Started:
                return Running();
            case Route.Completed:
                return Completed();
            case Route.Failed:
                return Failed();
            case Route.Expired:
            {
                var task = Pending();
                task.Expire(Expiration);
                return task;
            }

            case Route.LeaseExhausted:
            {
                var task = Running();
                task.RecoverExpiredLease(LeaseUntil, maxAttempts: 1);
                return task;
            }

            case Route.RescheduledPastExpiration:
            {
                var task = Running();
                task.Reschedule(EndedAt, Claim, Expiration);
                return task;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(route), route, null);
        }
    }
}

/// <summary>The ways a task reaches each state through the public methods.</summary>
public enum Route
{
    /// <summary>pending: Create.</summary>
    Created,

    /// <summary>pending: Create → Start → Release.</summary>
    Released,

    /// <summary>pending: Create → Start → Reschedule.</summary>
    Rescheduled,

    /// <summary>pending: Create → Start → RecoverExpiredLease with attempts left.</summary>
    LeaseRecovered,

    /// <summary>running: Create → Start.</summary>
    Started,

    /// <summary>completed: Create → Start → Complete.</summary>
    Completed,

    /// <summary>failed: Create → Start → Fail.</summary>
    Failed,

    /// <summary>failed: Create → Expire.</summary>
    Expired,

    /// <summary>failed: Create → Start → RecoverExpiredLease with no attempts left.</summary>
    LeaseExhausted,

    /// <summary>failed: Create → Start → Reschedule at the expiration time.</summary>
    RescheduledPastExpiration,
}

/// <summary>Every public method that changes a task.</summary>
public enum Transition
{
    Start,
    RenewLease,
    Complete,
    Fail,
    Reschedule,
    Release,
    RecoverExpiredLease,
    Expire,
    Update,
}
