using Microsoft.Extensions.Time.Testing;
using TaskService.Application.Tasks.Execution;
using TaskService.Domain.Tasks;

namespace TaskService.Application.UnitTests;

/// <summary>
/// The recorder stores run outcomes through the domain's transitions and the repository's version-conditional save:
/// it is fenced by the claim token, re-reads and re-applies itself on a concurrent change, keeps the API's data over
/// the runner's when the API changed it during the run, and settles overdue tasks only from the copy the sweep read.
/// </summary>
[TestFixture]
public sealed class RunRecorderTests
{
    private const string Token = "claim-under-test";
    private const string InputData = """{"input":1,"list":[1.0,"x"]}""";
    private const string RunnerData = """{"result":2.5,"ok":true}""";
    private const string ApiData = """{"changed":"by the api"}""";

    /// <summary>"Now" at millisecond precision; the clock itself carries sub-millisecond ticks, which the domain drops.</summary>
    private static readonly DateTime Now = Clock.NowAtMilliseconds;

    private static readonly DateTime StartedAt = Now.AddSeconds(-90);

    private InMemoryTaskRepository _repository = null!;
    private FakeTimeProvider _clock = null!;
    private RunRecorder _recorder = null!;

    [SetUp]
    public void CreateRecorder()
    {
        _repository = new InMemoryTaskRepository();
        _clock = Clock.Fake();
        _recorder = new RunRecorder(_repository, _clock);
    }

    // ---- Completed ---------------------------------------------------------------------------------------------

    [Test]
    public async Task RecordAsync_WhenCompleted_CompletesWithTheElapsedDurationAndClearsTheError()
    {
        var task = Seed(NewRunning(attempts: 2));
        Assert.That(task.Error, Is.EqualTo("error of attempt 1"), "precondition: the earlier attempt left an error");

        var result = await RecordAsync(task, RunOutcome.Completed());

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded));
            Assert.That(stored.State, Is.EqualTo(TaskState.Completed));
            Assert.That(stored.Duration, Is.EqualTo(90.0), "seconds from runTime to now");
            Assert.That(stored.Error, Is.Null);
            Assert.That(stored.Data.Json, Is.EqualTo(TaskData.Parse(InputData).Json), "no data from the runner: the task's is kept");
            Assert.That(stored.ClaimToken, Is.Null);
            Assert.That(stored.LeaseExpiresTime, Is.Null);
            Assert.That(stored.ModifiedTime, Is.EqualTo(Now));
            Assert.That(stored.RunTime, Is.EqualTo(StartedAt));
            Assert.That(stored.Attempts, Is.EqualTo(2));
            Assert.That(stored.Version, Is.EqualTo(task.Version + 1));
        }
    }

    [Test]
    public async Task RecordAsync_WhenCompletedWithData_StoresTheRunnersData()
    {
        var task = Seed(NewRunning());

        var result = await RecordAsync(task, RunOutcome.Completed(Json.Element(RunnerData)));

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded));
            Assert.That(stored.State, Is.EqualTo(TaskState.Completed));
            Assert.That(stored.Data.Json, Is.EqualTo(TaskData.Parse(RunnerData).Json));
        }
    }

    [Test]
    public async Task RecordAsync_WhenTheApiChangedTheDataDuringTheRun_CompletesWithTheApisDataAndSaysSo()
    {
        var task = Seed(NewRunning());
        var run = RunOf(task);
        UpdateThroughApi(task, priority: 8, data: ApiData);

        var result = await _recorder.RecordAsync(run, Token, RunOutcome.Completed(Json.Element(RunnerData)), RetryPolicy.Default, CancellationToken.None);

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.RecordedWithoutRunnerData));
            Assert.That(stored.State, Is.EqualTo(TaskState.Completed));
            Assert.That(stored.Data.Json, Is.EqualTo(TaskData.Parse(ApiData).Json), "the API's data wins");
            Assert.That(stored.Priority, Is.EqualTo(8), "the API's update is kept");
        }
    }

    [Test]
    public async Task RecordAsync_WhenTheApiChangedOnlyThePriorityDuringTheRun_StoresTheRunnersData()
    {
        var task = Seed(NewRunning());
        var run = RunOf(task);
        UpdateThroughApi(task, priority: 9, data: InputData);

        var result = await _recorder.RecordAsync(run, Token, RunOutcome.Completed(Json.Element(RunnerData)), RetryPolicy.Default, CancellationToken.None);

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded));
            Assert.That(stored.Data.Json, Is.EqualTo(TaskData.Parse(RunnerData).Json));
            Assert.That(stored.Priority, Is.EqualTo(9));
        }
    }

    [Test]
    public async Task RecordAsync_WhenCompletedWithoutDataAfterAnApiDataChange_IsRecordedWithTheApisData()
    {
        var task = Seed(NewRunning());
        var run = RunOf(task);
        UpdateThroughApi(task, priority: 3, data: ApiData);

        var result = await _recorder.RecordAsync(run, Token, RunOutcome.Completed(), RetryPolicy.Default, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded), "nothing of the runner's was dropped");
            Assert.That(Stored(task).Data.Json, Is.EqualTo(TaskData.Parse(ApiData).Json));
        }
    }

    // ---- Failed ------------------------------------------------------------------------------------------------

    [Test]
    public async Task RecordAsync_WhenFailed_FailsWithTheErrorWithoutARetry()
    {
        var task = Seed(NewRunning());

        var result = await RecordAsync(task, RunOutcome.Failed("bad input: no such customer"), new RetryPolicy(10, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)));

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded));
            Assert.That(stored.State, Is.EqualTo(TaskState.Failed), "failed for good although attempts are left");
            Assert.That(stored.Error, Is.EqualTo("bad input: no such customer"));
            Assert.That(stored.AvailableTime, Is.EqualTo(task.AvailableTime), "not rescheduled");
            Assert.That(stored.Duration, Is.EqualTo(90.0));
            Assert.That(stored.ClaimToken, Is.Null);
            Assert.That(stored.Attempts, Is.EqualTo(1));
        }
    }

    // ---- Run again ---------------------------------------------------------------------------------------------

    [Test]
    public async Task RecordAsync_WhenRunAgainAfterADelay_IsPendingAtNowPlusTheDelayWithTheErrorAndData()
    {
        var task = Seed(NewRunning(attempts: 2));

        var result = await RecordAsync(task, RunOutcome.RunAgainAfter(TimeSpan.FromMinutes(10), "not yet", Json.Element(RunnerData)));

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded));
            Assert.That(stored.State, Is.EqualTo(TaskState.Pending));
            Assert.That(stored.AvailableTime, Is.EqualTo(Now.AddMinutes(10)));
            Assert.That(stored.Error, Is.EqualTo("not yet"));
            Assert.That(stored.Data.Json, Is.EqualTo(TaskData.Parse(RunnerData).Json));
            Assert.That(stored.Attempts, Is.EqualTo(2), "the attempt counter is not reset");
            Assert.That(stored.Duration, Is.EqualTo(90.0));
            Assert.That(stored.ClaimToken, Is.Null);
            Assert.That(stored.LeaseExpiresTime, Is.Null);
        }
    }

    [Test]
    public async Task RecordAsync_WhenRunAgainAtATime_IsPendingAtThatTimeWithoutAnError()
    {
        var task = Seed(NewRunning(attempts: 2));

        var result = await RecordAsync(task, RunOutcome.RunAgainAt(Clock.Now.AddMinutes(20)));

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded));
            Assert.That(stored.State, Is.EqualTo(TaskState.Pending));
            Assert.That(stored.AvailableTime, Is.EqualTo(Now.AddMinutes(20)), "at millisecond precision");
            Assert.That(stored.Error, Is.Null, "a repeat without an error clears the earlier one");
            Assert.That(stored.Data.Json, Is.EqualTo(TaskData.Parse(InputData).Json));
        }
    }

    [Test]
    public async Task RecordAsync_WhenRunAgainAtATimeInThePast_IsPendingAndAvailableNow()
    {
        var task = Seed(NewRunning());

        await RecordAsync(task, RunOutcome.RunAgainAt(Clock.Now.AddHours(-3)));

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.State, Is.EqualTo(TaskState.Pending));
            Assert.That(stored.AvailableTime, Is.EqualTo(Now));
        }
    }

    [TestCase(0)]
    [TestCase(1)]
    public async Task RecordAsync_WhenRunAgainAtOrAfterExpiration_FailsAsExpired(int millisecondsAfterExpiration)
    {
        var task = Seed(NewRunning(expiration: Now.AddMinutes(30)));

        var result = await RecordAsync(task, RunOutcome.RunAgainAt(new DateTimeOffset(Now.AddMinutes(30).AddMilliseconds(millisecondsAfterExpiration)), "still busy"));

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded));
            Assert.That(stored.State, Is.EqualTo(TaskState.Failed));
            Assert.That(stored.Error, Does.StartWith("The task expired at").And.Contain("Last error: still busy"));
            Assert.That(stored.ClaimToken, Is.Null);
        }
    }

    [Test]
    public async Task RecordAsync_WhenRunAgainAfterADelayReachingExpiration_FailsAsExpired()
    {
        var task = Seed(NewRunning(expiration: Now.AddMinutes(5)));

        await RecordAsync(task, RunOutcome.RunAgainAfter(TimeSpan.FromMinutes(5)));

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.State, Is.EqualTo(TaskState.Failed));
            Assert.That(stored.Error, Does.StartWith("The task expired at"));
        }
    }

    // ---- Retry -------------------------------------------------------------------------------------------------

    [TestCase(1, 5, 10)]
    [TestCase(3, 20, 40)]
    [TestCase(4, 40, 80)]
    public async Task RecordAsync_WhenRetryBelowMaxAttempts_IsPendingAfterTheBackoffOfThatAttempt(int attempts, int floorSeconds, int ceilingSeconds)
    {
        var policy = new RetryPolicy(5, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10));
        var availableTimes = new List<DateTime>();
        for (var i = 0; i < 20; i++)
        {
            var task = Seed(NewRunning(attempts: attempts));

            var result = await RecordAsync(task, RunOutcome.Retry("transient: 503"), policy);

            var stored = Stored(task);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(result, Is.EqualTo(RecordResult.Recorded));
                Assert.That(stored.State, Is.EqualTo(TaskState.Pending));
                Assert.That(stored.Error, Is.EqualTo("transient: 503"));
                Assert.That(stored.Attempts, Is.EqualTo(attempts));
                Assert.That(stored.ClaimToken, Is.Null);
                Assert.That(stored.AvailableTime, Is.InRange(Now.AddSeconds(floorSeconds), Now.AddSeconds(ceilingSeconds)), "now + backoff, in [ceiling/2, ceiling]");
            }

            availableTimes.Add(stored.AvailableTime);
        }

        Assert.That(availableTimes.Distinct().Count(), Is.GreaterThan(1), "jittered: twenty retries do not all wait the same");
    }

    [Test]
    public async Task RecordAsync_WhenRetryAsksForLongerThanTheBackoff_WaitsWhatItAskedFor()
    {
        var task = Seed(NewRunning());

        await RecordAsync(task, RunOutcome.Retry("429 Too Many Requests", TimeSpan.FromHours(1)), new RetryPolicy(5, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)));

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.State, Is.EqualTo(TaskState.Pending));
            Assert.That(stored.AvailableTime, Is.EqualTo(Now.AddHours(1)));
            Assert.That(stored.Error, Is.EqualTo("429 Too Many Requests"));
        }
    }

    [Test]
    public async Task RecordAsync_WhenRetryAsksForLessThanTheBackoff_WaitsTheBackoff()
    {
        var task = Seed(NewRunning());

        await RecordAsync(task, RunOutcome.Retry("429", TimeSpan.FromMilliseconds(1)), new RetryPolicy(5, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1)));

        Assert.That(Stored(task).AvailableTime, Is.InRange(Now.AddSeconds(5), Now.AddSeconds(10)));
    }

    [TestCase(3, 3)]
    [TestCase(4, 3)]
    [TestCase(1, 1)]
    public async Task RecordAsync_WhenRetryWithAttemptsUsedUp_FailsAndSaysItGaveUp(int attempts, int maxAttempts)
    {
        var task = Seed(NewRunning(attempts: attempts));

        var result = await RecordAsync(task, RunOutcome.Retry("timeout"), new RetryPolicy(maxAttempts, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)));

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded));
            Assert.That(stored.State, Is.EqualTo(TaskState.Failed));
            Assert.That(stored.Error, Does.StartWith("timeout").And.Contain($"gave up after {attempts} attempts"));
            Assert.That(stored.AvailableTime, Is.EqualTo(task.AvailableTime));
        }
    }

    [Test]
    public async Task RecordAsync_WhenRetryBackoffPassesExpiration_FailsAsExpiredWithTheLastError()
    {
        var task = Seed(NewRunning(expiration: Now.AddSeconds(2)));

        await RecordAsync(task, RunOutcome.Retry("transient"), new RetryPolicy(5, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1)));

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.State, Is.EqualTo(TaskState.Failed));
            Assert.That(stored.Error, Does.StartWith("The task expired at").And.Contain("Last error: transient"));
        }
    }

    // ---- Fencing -----------------------------------------------------------------------------------------------

    public static IEnumerable<TestCaseData> Outcomes()
    {
        yield return new TestCaseData(RunOutcome.Completed(Json.Element(RunnerData))).SetArgDisplayNames("completed");
        yield return new TestCaseData(RunOutcome.Failed("boom")).SetArgDisplayNames("failed");
        yield return new TestCaseData(RunOutcome.RunAgainAfter(TimeSpan.FromMinutes(1), "again")).SetArgDisplayNames("run again");
        yield return new TestCaseData(RunOutcome.Retry("transient")).SetArgDisplayNames("retry");
    }

    [TestCaseSource(nameof(Outcomes))]
    public async Task RecordAsync_WhenClaimTokenIsNotTheTasks_ReturnsClaimLostAndChangesNothing(RunOutcome outcome)
    {
        var task = Seed(NewRunning());
        var before = Stored(task);

        var result = await _recorder.RecordAsync(RunOf(task), "someone-elses-claim", outcome, RetryPolicy.Default, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.ClaimLost));
            Assert.That(Stored(task), Is.EqualTo(before));
            Assert.That(_repository.SaveCalls, Is.Zero);
        }
    }

    [TestCaseSource(nameof(Outcomes))]
    public async Task RecordAsync_WhenTheTaskWasDeleted_ReturnsTaskDeletedAndStoresNothing(RunOutcome outcome)
    {
        var task = Seed(NewRunning());
        _repository.DeleteConcurrently(task.Id);

        var result = await RecordAsync(task, outcome);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.TaskDeleted));
            Assert.That(_repository.Contains(task.Id), Is.False, "not recreated");
            Assert.That(_repository.SaveCalls, Is.Zero);
        }
    }

    public static IEnumerable<TestCaseData> NoLongerRunning()
    {
        yield return new TestCaseData(new Action<BackgroundTask>(task => task.RecoverExpiredLease(Now.AddSeconds(-1), 5)))
            .SetArgDisplayNames("lease expired, back to pending");
        yield return new TestCaseData(new Action<BackgroundTask>(task =>
        {
            task.RecoverExpiredLease(Now.AddSeconds(-2), 5);
            task.Start(Now.AddSeconds(-1), "the-next-claim", Now.AddSeconds(30));
        })).SetArgDisplayNames("re-claimed by another worker");
        yield return new TestCaseData(new Action<BackgroundTask>(task => task.Complete(Now.AddSeconds(-1), Token)))
            .SetArgDisplayNames("already recorded as completed");
        yield return new TestCaseData(new Action<BackgroundTask>(task => task.Fail(Now.AddSeconds(-1), Token, "first")))
            .SetArgDisplayNames("already recorded as failed");
    }

    [TestCaseSource(nameof(NoLongerRunning))]
    public async Task RecordAsync_WhenTheTaskIsNoLongerRunningUnderThisClaim_ReturnsClaimLostAndChangesNothing(Action<BackgroundTask> change)
    {
        var task = Seed(NewRunning(lease: Now.AddSeconds(-5)));
        _repository.ChangeConcurrently(task.Id, change);
        var before = Stored(task);

        var result = await RecordAsync(task, RunOutcome.Completed(Json.Element(RunnerData)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.ClaimLost));
            Assert.That(Stored(task), Is.EqualTo(before));
            Assert.That(_repository.SaveCalls, Is.Zero);
        }
    }

    // ---- Concurrent changes ------------------------------------------------------------------------------------

    [Test]
    public async Task RecordAsync_WhenTheTaskChangesBetweenReadAndSave_ReReadsAndAppliesTheOutcomeToTheFreshCopy()
    {
        var task = Seed(NewRunning());
        var run = RunOf(task);
        _repository.BeforeSave = call =>
        {
            if (call == 1)
            {
                _repository.ChangeConcurrently(task.Id, fresh => fresh.Update(7, fresh.Data, fresh.AvailableTime, fresh.ExpirationTime, Now.AddMilliseconds(-1)));
            }
        };

        var result = await _recorder.RecordAsync(run, Token, RunOutcome.Completed(Json.Element(RunnerData)), RetryPolicy.Default, CancellationToken.None);

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded));
            Assert.That(_repository.GetCalls, Is.EqualTo(2), "read again after the refused save");
            Assert.That(_repository.SaveCalls, Is.EqualTo(2));
            Assert.That(stored.State, Is.EqualTo(TaskState.Completed));
            Assert.That(stored.Priority, Is.EqualTo(7), "the concurrent change is kept");
            Assert.That(stored.Data.Json, Is.EqualTo(TaskData.Parse(RunnerData).Json));
            Assert.That(stored.Version, Is.EqualTo(task.Version + 2));
        }
    }

    [Test]
    public async Task RecordAsync_WhenTheApiChangesTheDataBetweenReadAndSave_KeepsTheApisDataOnTheFreshCopy()
    {
        var task = Seed(NewRunning());
        var run = RunOf(task);
        _repository.BeforeSave = call =>
        {
            if (call == 1)
            {
                UpdateThroughApi(task, priority: 4, data: ApiData);
            }
        };

        var result = await _recorder.RecordAsync(run, Token, RunOutcome.RunAgainAfter(TimeSpan.FromMinutes(1), data: Json.Element(RunnerData)), RetryPolicy.Default, CancellationToken.None);

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.RecordedWithoutRunnerData));
            Assert.That(stored.State, Is.EqualTo(TaskState.Pending));
            Assert.That(stored.AvailableTime, Is.EqualTo(Now.AddMinutes(1)));
            Assert.That(stored.Data.Json, Is.EqualTo(TaskData.Parse(ApiData).Json));
            Assert.That(stored.Priority, Is.EqualTo(4));
        }
    }

    [Test]
    public async Task RecordAsync_WhenTheLeaseIsRenewedBetweenReadAndSave_StillRecordsTheOutcome()
    {
        var task = Seed(NewRunning());
        _repository.BeforeSave = call =>
        {
            if (call == 1)
            {
                _repository.ChangeConcurrently(task.Id, fresh => fresh.RenewLease(Token, Now.AddMinutes(1)));
            }
        };

        var result = await RecordAsync(task, RunOutcome.Failed("boom"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded));
            Assert.That(Stored(task).State, Is.EqualTo(TaskState.Failed));
            Assert.That(Stored(task).LeaseExpiresTime, Is.Null);
        }
    }

    [Test]
    public async Task RecordAsync_WhenTheTaskIsDeletedBetweenReadAndSave_ReturnsTaskDeleted()
    {
        var task = Seed(NewRunning());
        _repository.BeforeSave = call =>
        {
            if (call == 1)
            {
                _repository.DeleteConcurrently(task.Id);
            }
        };

        var result = await RecordAsync(task, RunOutcome.Completed());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.TaskDeleted));
            Assert.That(_repository.Contains(task.Id), Is.False);
        }
    }

    [Test]
    public async Task RecordAsync_WhenTheTaskIsReclaimedBetweenReadAndSave_ReturnsClaimLostAndKeepsTheNewClaim()
    {
        var task = Seed(NewRunning(lease: Now.AddSeconds(-5)));
        _repository.BeforeSave = call =>
        {
            if (call == 1)
            {
                _repository.ChangeConcurrently(task.Id, fresh =>
                {
                    fresh.RecoverExpiredLease(Now, 5);
                    fresh.Start(Now, "the-next-claim", Now.AddSeconds(30));
                });
            }
        };

        var result = await RecordAsync(task, RunOutcome.Completed());

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.ClaimLost));
            Assert.That(stored.State, Is.EqualTo(TaskState.Running));
            Assert.That(stored.ClaimToken, Is.EqualTo("the-next-claim"));
            Assert.That(_repository.SaveCalls, Is.EqualTo(1));
        }
    }

    [Test]
    public void RecordAsync_WhenTheTaskKeepsChanging_GivesUpAfterBoundedAttempts()
    {
        var task = Seed(NewRunning());
        _repository.BeforeSave = _ => _repository.ChangeConcurrently(task.Id, fresh => fresh.RenewLease(Token, Now.AddMinutes(1)));

        Assert.ThrowsAsync<InvalidOperationException>(() => RecordAsync(task, RunOutcome.Completed()));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_repository.SaveCalls, Is.EqualTo(20));
            Assert.That(Stored(task).State, Is.EqualTo(TaskState.Running));
        }
    }

    // ---- Release -----------------------------------------------------------------------------------------------

    [Test]
    public async Task ReleaseAsync_WhenClaimed_ReturnsTheTaskToPendingWithoutCountingTheAttempt()
    {
        var task = Seed(NewRunning(attempts: 2));

        var result = await _recorder.ReleaseAsync(task.Id.Value, Token, CancellationToken.None);

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded));
            Assert.That(stored.State, Is.EqualTo(TaskState.Pending));
            Assert.That(stored.Attempts, Is.EqualTo(1), "the given-back attempt is not counted");
            Assert.That(stored.ClaimToken, Is.Null);
            Assert.That(stored.LeaseExpiresTime, Is.Null);
            Assert.That(stored.AvailableTime, Is.EqualTo(task.AvailableTime).And.LessThanOrEqualTo(Now), "available at once");
            Assert.That(stored.ModifiedTime, Is.EqualTo(Now));
            Assert.That(stored.Version, Is.EqualTo(task.Version + 1));
        }
    }

    [Test]
    public async Task ReleaseAsync_WhenTheApiMovedAvailableTimeIntoTheFuture_MakesItAvailableNow()
    {
        var task = Seed(NewRunning());
        _repository.ChangeConcurrently(task.Id, fresh => fresh.Update(fresh.Priority, fresh.Data, Now.AddHours(1), fresh.ExpirationTime, Now.AddSeconds(-1)));

        var result = await _recorder.ReleaseAsync(task.Id.Value, Token, CancellationToken.None);

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.Recorded));
            Assert.That(stored.State, Is.EqualTo(TaskState.Pending));
            Assert.That(stored.AvailableTime, Is.EqualTo(Now));
        }
    }

    [Test]
    public async Task ReleaseAsync_WhenClaimTokenIsNotTheTasks_ReturnsClaimLostAndChangesNothing()
    {
        var task = Seed(NewRunning());
        var before = Stored(task);

        var result = await _recorder.ReleaseAsync(task.Id.Value, "someone-elses-claim", CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result, Is.EqualTo(RecordResult.ClaimLost));
            Assert.That(Stored(task), Is.EqualTo(before));
        }
    }

    // ---- Settling overdue tasks --------------------------------------------------------------------------------

    [TestCase(0)]
    [TestCase(60_000)]
    public async Task SettleOverdueAsync_WhenPendingAtOrPastExpiration_FailsItAsExpired(int millisecondsPast)
    {
        var expiration = Now.AddMilliseconds(-millisecondsPast);
        var task = Seed(BackgroundTask.Create(
            UniqueName(), "type-a", 1, TaskData.Parse(InputData), expiration.AddHours(-2), expiration, expiration.AddHours(-3)));
        var read = await ReadAsync(task);

        var settled = await AtExactlyNow().SettleOverdueAsync(read, RetryPolicy.Default, CancellationToken.None);

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(settled, Is.True);
            Assert.That(stored.State, Is.EqualTo(TaskState.Failed));
            Assert.That(stored.Error, Does.Contain("expired"));
            Assert.That(stored.ModifiedTime, Is.EqualTo(Now));
            Assert.That(stored.Version, Is.EqualTo(task.Version + 1));
        }
    }

    [TestCase(0)]
    [TestCase(1_000)]
    public async Task SettleOverdueAsync_WhenRunningPastItsLeaseWithAttemptsLeft_ReturnsItToPending(int millisecondsPast)
    {
        var task = Seed(NewRunning(attempts: 2, lease: Now.AddMilliseconds(-millisecondsPast)));
        var read = await ReadAsync(task);

        var settled = await AtExactlyNow().SettleOverdueAsync(read, new RetryPolicy(3, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)), CancellationToken.None);

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(settled, Is.True);
            Assert.That(stored.State, Is.EqualTo(TaskState.Pending));
            Assert.That(stored.Error, Does.Contain("lease expired"));
            Assert.That(stored.Attempts, Is.EqualTo(2), "the lost attempt counts");
            Assert.That(stored.ClaimToken, Is.Null);
            Assert.That(stored.LeaseExpiresTime, Is.Null);
        }
    }

    [Test]
    public async Task SettleOverdueAsync_WhenRunningPastItsLeaseWithAttemptsUsedUp_FailsIt()
    {
        var task = Seed(NewRunning(attempts: 3, lease: Now.AddSeconds(-1)));
        var read = await ReadAsync(task);

        var settled = await _recorder.SettleOverdueAsync(read, new RetryPolicy(3, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)), CancellationToken.None);

        var stored = Stored(task);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(settled, Is.True);
            Assert.That(stored.State, Is.EqualTo(TaskState.Failed));
            Assert.That(stored.Error, Does.Contain("lease expired").And.Contain("Gave up after 3 attempts"));
            Assert.That(stored.ClaimToken, Is.Null);
        }
    }

    public static IEnumerable<TestCaseData> NotOverdue()
    {
        yield return new TestCaseData(new Func<BackgroundTask>(() => BackgroundTask.Create(
            UniqueName(), "type-a", 1, TaskData.Parse(InputData), Now.AddHours(-1), Now.AddMilliseconds(1), Now.AddHours(-2))))
            .SetArgDisplayNames("pending, expiring in a millisecond");
        yield return new TestCaseData(new Func<BackgroundTask>(() => NewRunning(lease: Now.AddMilliseconds(1))))
            .SetArgDisplayNames("running, lease ending in a millisecond");
        yield return new TestCaseData(new Func<BackgroundTask>(() =>
        {
            var task = NewRunning(expiration: Now.AddMinutes(-1), lease: Now.AddSeconds(-30));
            task.Complete(Now.AddSeconds(-1), Token);
            return task;
        })).SetArgDisplayNames("completed, past its expiration and its old lease");
        yield return new TestCaseData(new Func<BackgroundTask>(() =>
        {
            var task = NewRunning(expiration: Now.AddMinutes(-1), lease: Now.AddSeconds(-30));
            task.Fail(Now.AddSeconds(-1), Token, "boom");
            return task;
        })).SetArgDisplayNames("failed, past its expiration and its old lease");
    }

    [TestCaseSource(nameof(NotOverdue))]
    public async Task SettleOverdueAsync_WhenTheTaskIsNotOverdue_ReturnsFalseAndChangesNothing(Func<BackgroundTask> make)
    {
        var task = Seed(make());
        var before = Stored(task);
        var read = await ReadAsync(task);

        var settled = await _recorder.SettleOverdueAsync(read, RetryPolicy.Default, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(settled, Is.False);
            Assert.That(Stored(task), Is.EqualTo(before));
            Assert.That(_repository.SaveCalls, Is.Zero);
        }
    }

    [Test]
    public async Task SettleOverdueAsync_WhenPendingCopyIsStale_ReturnsFalseAndKeepsTheNewerChange()
    {
        var task = Seed(BackgroundTask.Create(
            UniqueName(), "type-a", 1, TaskData.Parse(InputData), Now.AddHours(-2), Now.AddMinutes(-1), Now.AddHours(-3)));
        var read = await ReadAsync(task);
        _repository.ChangeConcurrently(task.Id, fresh => fresh.Update(fresh.Priority, fresh.Data, fresh.AvailableTime, Now.AddHours(1), Now.AddSeconds(-1)));
        var after = Stored(task);

        var settled = await _recorder.SettleOverdueAsync(read, RetryPolicy.Default, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(settled, Is.False);
            Assert.That(Stored(task), Is.EqualTo(after));
            Assert.That(Stored(task).State, Is.EqualTo(TaskState.Pending));
        }
    }

    [Test]
    public async Task SettleOverdueAsync_WhenRunningCopyIsStaleBecauseTheLeaseWasRenewed_ReturnsFalseAndLeavesItRunning()
    {
        var task = Seed(NewRunning(lease: Now.AddSeconds(-1)));
        var read = await ReadAsync(task);
        _repository.ChangeConcurrently(task.Id, fresh => fresh.RenewLease(Token, Now.AddSeconds(30)));
        var after = Stored(task);

        var settled = await _recorder.SettleOverdueAsync(read, RetryPolicy.Default, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(settled, Is.False);
            Assert.That(Stored(task), Is.EqualTo(after));
            Assert.That(Stored(task).State, Is.EqualTo(TaskState.Running));
        }
    }

    // ---- Helpers -----------------------------------------------------------------------------------------------

    private static string UniqueName() => $"recorder-{Guid.NewGuid():N}";

    /// <summary>
    /// A task claimed with <see cref="Token"/> at <see cref="StartedAt"/>, on its <paramref name="attempts"/>-th run:
    /// the earlier runs were claimed with other tokens and rescheduled with an error each.
    /// </summary>
    private static BackgroundTask NewRunning(int attempts = 1, DateTime? expiration = null, DateTime? lease = null)
    {
        var created = Now.AddHours(-1);
        var task = BackgroundTask.Create(UniqueName(), "type-a", 3, TaskData.Parse(InputData), created, expiration ?? Now.AddHours(2), created);
        for (var run = 1; run < attempts; run++)
        {
            var at = created.AddMinutes(run);
            var earlierClaim = $"earlier-claim-{run}";
            task.Start(at, earlierClaim, at.AddSeconds(30));
            task.Reschedule(at.AddSeconds(1), earlierClaim, at.AddSeconds(1), $"error of attempt {run}");
        }

        task.Start(StartedAt, Token, lease ?? Now.AddSeconds(30));
        Assert.That(task.Attempts, Is.EqualTo(attempts), "precondition: attempts");
        return task;
    }

    /// <summary>A recorder whose clock reads exactly <see cref="Now"/>, for boundaries that sub-millisecond ticks would blur.</summary>
    private RunRecorder AtExactlyNow() => new(_repository, new FakeTimeProvider(new DateTimeOffset(Now)));

    private BackgroundTask Seed(BackgroundTask task) => _repository.Seed(task);

    private TaskSnapshot Stored(BackgroundTask task) =>
        _repository.Stored(task.Id) ?? throw new AssertionException($"task {task.Id} is not stored");

    private async Task<BackgroundTask> ReadAsync(BackgroundTask task) =>
        await _repository.GetAsync(task.Id, CancellationToken.None) ?? throw new AssertionException($"task {task.Id} is not stored");

    /// <summary>What the engine gives the runner: the task as claimed.</summary>
    private static TaskRun RunOf(BackgroundTask task) =>
        new(task.Id.Value, task.Name, task.Type, task.Priority, Json.Element(task.Data.Json), task.Attempts);

    private Task<RecordResult> RecordAsync(BackgroundTask task, RunOutcome outcome, RetryPolicy? policy = null) =>
        _recorder.RecordAsync(RunOf(task), Token, outcome, policy ?? RetryPolicy.Default, CancellationToken.None);

    /// <summary>The API's update, made while the task runs (it keeps the schedule and replaces priority and data).</summary>
    private void UpdateThroughApi(BackgroundTask task, int priority, string data) =>
        _repository.ChangeConcurrently(task.Id, fresh => fresh.Update(priority, TaskData.Parse(data), fresh.AvailableTime, fresh.ExpirationTime, Now.AddMilliseconds(-1)));
}
