using TaskService.Domain.Common;
using TaskService.Domain.Tasks;

namespace TaskService.Domain.UnitTests;

/// <summary>
/// Every reachable state (by every route into it) × every transition method: a legal move lands in the documented
/// state, an illegal one throws <see cref="DomainException"/> and leaves the task exactly as it was.
/// </summary>
[TestFixture]
public sealed class BackgroundTaskTransitionTableTests
{
    private const string UpdatedDataJson = """{"updated":true}""";

    private static readonly Dictionary<Route, TaskState> RouteStates = new()
    {
        [Route.Created] = TaskState.Pending,
        [Route.Released] = TaskState.Pending,
        [Route.Rescheduled] = TaskState.Pending,
        [Route.LeaseRecovered] = TaskState.Pending,
        [Route.Started] = TaskState.Running,
        [Route.Completed] = TaskState.Completed,
        [Route.Failed] = TaskState.Failed,
        [Route.Expired] = TaskState.Failed,
        [Route.LeaseExhausted] = TaskState.Failed,
        [Route.RescheduledPastExpiration] = TaskState.Failed,
    };

    /// <summary>The documented state machine: the state a legal move leads to; absent means illegal.</summary>
    private static readonly Dictionary<(TaskState From, Transition Move), TaskState> LegalMoves = new()
    {
        [(TaskState.Pending, Transition.Start)] = TaskState.Running,
        [(TaskState.Pending, Transition.Expire)] = TaskState.Failed,
        [(TaskState.Pending, Transition.Update)] = TaskState.Pending,
        [(TaskState.Running, Transition.RenewLease)] = TaskState.Running,
        [(TaskState.Running, Transition.Complete)] = TaskState.Completed,
        [(TaskState.Running, Transition.Fail)] = TaskState.Failed,
        [(TaskState.Running, Transition.Reschedule)] = TaskState.Pending,
        [(TaskState.Running, Transition.Release)] = TaskState.Pending,
        [(TaskState.Running, Transition.RecoverExpiredLease)] = TaskState.Pending,
        [(TaskState.Running, Transition.Update)] = TaskState.Running,
    };

    public static IEnumerable<TestCaseData> LegalCases() =>
        from route in Enum.GetValues<Route>()
        from move in Enum.GetValues<Transition>()
        where LegalMoves.ContainsKey((RouteStates[route], move))
        select new TestCaseData(route, move, LegalMoves[(RouteStates[route], move)])
            .SetArgDisplayNames(route.ToString(), move.ToString());

    public static IEnumerable<TestCaseData> IllegalCases() =>
        from route in Enum.GetValues<Route>()
        from move in Enum.GetValues<Transition>()
        where !LegalMoves.ContainsKey((RouteStates[route], move))
        select new TestCaseData(route, move).SetArgDisplayNames(route.ToString(), move.ToString());

    [Test]
    public void Route_WhenFollowed_ReachesItsState([Values] Route route)
    {
        var task = new TaskBuilder().Via(route);

        Assert.That(task.State, Is.EqualTo(RouteStates[route]));
    }

    [Test]
    public void Table_WhenEnumerated_CoversEveryStateAndTransition()
    {
        var covered = LegalCases().Concat(IllegalCases())
            .Select(testCase => (RouteStates[(Route)testCase.Arguments[0]!], (Transition)testCase.Arguments[1]!))
            .Distinct()
            .Count();

        Assert.Multiple(() =>
        {
            Assert.That(covered, Is.EqualTo(Enum.GetValues<TaskState>().Length * Enum.GetValues<Transition>().Length));
            Assert.That(RouteStates.Keys, Is.EquivalentTo(Enum.GetValues<Route>()));
        });
    }

    [TestCaseSource(nameof(LegalCases))]
    public void Transition_WhenLegal_MovesToDocumentedState(Route route, Transition move, TaskState expected)
    {
        var task = new TaskBuilder().Via(route);
        var before = task.ToSnapshot();

        Apply(task, move);

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(expected));
            Assert.That(task.ToSnapshot(), Is.Not.EqualTo(before));
            Assert.That(task.Id, Is.EqualTo(TaskId.Parse(before.Id)));
        });
    }

    [TestCaseSource(nameof(IllegalCases))]
    public void Transition_WhenIllegal_ThrowsDomainExceptionAndChangesNothing(Route route, Transition move)
    {
        var task = new TaskBuilder().Via(route);
        var before = task.ToSnapshot();

        Assert.Multiple(() =>
        {
            Assert.That(() => Apply(task, move), Throws.TypeOf<DomainException>());
            Assert.That(task.ToSnapshot(), Is.EqualTo(before));
        });
    }

    /// <summary>
    /// Calls the transition with arguments that satisfy every precondition except the state, so a throw on an
    /// illegal move comes from the state check alone.
    /// </summary>
    private static void Apply(BackgroundTask task, Transition move)
    {
        var claim = task.ClaimToken ?? TaskBuilder.Claim;
        var runEnd = (task.RunTime ?? Times.T0).AddSeconds(10);
        switch (move)
        {
            case Transition.Start:
                var startAt = task.AvailableTime;
                task.Start(startAt, "claim-2", startAt.AddSeconds(60));
                break;
            case Transition.RenewLease:
                task.RenewLease(claim, Times.At(120));
                break;
            case Transition.Complete:
                task.Complete(runEnd, claim);
                break;
            case Transition.Fail:
                task.Fail(runEnd, claim, "boom");
                break;
            case Transition.Reschedule:
                task.Reschedule(runEnd, claim, Times.At(900));
                break;
            case Transition.Release:
                task.Release(runEnd, claim);
                break;
            case Transition.RecoverExpiredLease:
                task.RecoverExpiredLease(task.LeaseExpiresTime ?? task.ExpirationTime, maxAttempts: 3);
                break;
            case Transition.Expire:
                task.Expire(task.ExpirationTime);
                break;
            case Transition.Update:
                task.Update(9, TaskData.Parse(UpdatedDataJson), Times.At(600), Times.At(7200), Times.At(30));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(move), move, null);
        }
    }
}
