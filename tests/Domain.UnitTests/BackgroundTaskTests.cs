using TaskService.Domain.Common;
using TaskService.Domain.Tasks;

namespace TaskService.Domain.UnitTests;

[TestFixture]
public sealed class BackgroundTaskTests
{
    private const string WrongClaim = "someone-else";

    // ---- Create ----

    [Test]
    public void Create_WhenValid_IsPendingWithGivenFieldsAndNoRun()
    {
        var data = TaskData.Parse("""{"x":[1,2.5,"y"]}""");

        var task = BackgroundTask.Create("name-1", "type-1", 7, data, TaskBuilder.Available, TaskBuilder.Expiration, TaskBuilder.CreatedAt);

        Assert.Multiple(() =>
        {
            Assert.That(TaskId.IsValid(task.Id.Value), Is.True);
            Assert.That(task.Name, Is.EqualTo("name-1"));
            Assert.That(task.Type, Is.EqualTo("type-1"));
            Assert.That(task.Priority, Is.EqualTo(7));
            Assert.That(task.Data, Is.EqualTo(data));
            Assert.That(task.AvailableTime, Is.EqualTo(TaskBuilder.Available));
            Assert.That(task.ExpirationTime, Is.EqualTo(TaskBuilder.Expiration));
            Assert.That(task.State, Is.EqualTo(TaskState.Pending));
            Assert.That(task.Error, Is.Null);
            Assert.That(task.RunTime, Is.Null);
            Assert.That(task.Duration, Is.Null);
            Assert.That(task.CreatedTime, Is.EqualTo(TaskBuilder.CreatedAt));
            Assert.That(task.ModifiedTime, Is.EqualTo(TaskBuilder.CreatedAt));
            Assert.That(task.Attempts, Is.Zero);
            Assert.That(task.ClaimToken, Is.Null);
            Assert.That(task.LeaseExpiresTime, Is.Null);
            Assert.That(task.Version, Is.Zero);
        });
    }

    [Test]
    public void Create_WhenCalledTwice_GivesDifferentIds()
    {
        var builder = new TaskBuilder();
        var first = builder.Pending();
        var second = builder.Pending();

        Assert.That(second.Id, Is.Not.EqualTo(first.Id));
    }

    [TestCase(0)]
    [TestCase(int.MaxValue)]
    public void Create_WhenPriorityAtBound_Accepts(int priority)
    {
        var task = new TaskBuilder().WithPriority(priority).Pending();

        Assert.That(task.Priority, Is.EqualTo(priority));
    }

    [TestCase(-1)]
    [TestCase(int.MinValue)]
    public void Create_WhenPriorityNegative_Throws(int priority)
    {
        Assert.That(() => new TaskBuilder().WithPriority(priority).Pending(),
            Throws.TypeOf<DomainException>().With.Message.Contains("priority"));
    }

    [TestCase("")]
    [TestCase(null)]
    public void Create_WhenNameEmpty_Throws(string? name)
    {
        Assert.That(() => new TaskBuilder().WithName(name!).Pending(),
            Throws.TypeOf<DomainException>().With.Message.Contains("name"));
    }

    [TestCase("")]
    [TestCase(null)]
    public void Create_WhenTypeEmpty_Throws(string? type)
    {
        Assert.That(() => new TaskBuilder().WithType(type!).Pending(),
            Throws.TypeOf<DomainException>().With.Message.Contains("type"));
    }

    [TestCase(0, TestName = "Create_WhenExpirationEqualsAvailable_Throws")]
    [TestCase(-1, TestName = "Create_WhenExpirationBeforeAvailable_Throws")]
    public void Create_WhenExpirationNotAfterAvailable_Throws(double expirationOffsetSeconds)
    {
        var builder = new TaskBuilder().WithSchedule(Times.T0, Times.T0.AddSeconds(expirationOffsetSeconds));

        Assert.That(() => builder.Pending(), Throws.TypeOf<DomainException>().With.Message.Contains("later than its available time"));
    }

    [Test]
    public void Create_WhenExpirationLessThanOneMillisecondAfterAvailable_Throws()
    {
        // Both times are cut to the millisecond first, so they become equal.
        var builder = new TaskBuilder().WithSchedule(Times.T0.AddTicks(1000), Times.T0.AddTicks(9000));

        Assert.That(() => builder.Pending(), Throws.TypeOf<DomainException>());
    }

    [TestCase(0, TestName = "Create_WhenExpirationEqualsNow_Throws")]
    [TestCase(-10, TestName = "Create_WhenExpirationBeforeNow_Throws")]
    public void Create_WhenExpirationNotAfterNow_Throws(double expirationOffsetFromNowSeconds)
    {
        var now = Times.At(100);
        var builder = new TaskBuilder()
            .WithSchedule(Times.T0, now.AddSeconds(expirationOffsetFromNowSeconds))
            .CreatedAtTime(now);

        Assert.That(() => builder.Pending(), Throws.TypeOf<DomainException>().With.Message.Contains("in the future"));
    }

    [Test]
    public void Create_WhenAvailableTimeInThePast_KeepsItAndCanStartNow()
    {
        var now = Times.At(100);
        var task = new TaskBuilder().WithSchedule(Times.At(-1000), Times.At(3600)).CreatedAtTime(now).Pending();

        task.Start(now, TaskBuilder.Claim, now.AddSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(task.AvailableTime, Is.EqualTo(Times.At(-1000)));
            Assert.That(task.State, Is.EqualTo(TaskState.Running));
        });
    }

    [Test]
    public void Create_WhenDataNull_ThrowsArgumentNull()
    {
        Assert.That(
            () => BackgroundTask.Create("n", "t", 0, null!, TaskBuilder.Available, TaskBuilder.Expiration, TaskBuilder.CreatedAt),
            Throws.ArgumentNullException);
    }

    [Test]
    public void Create_WhenTimesHaveSubMillisecondTicksOrUnspecifiedKind_NormalizesToUtcMilliseconds()
    {
        var available = new DateTime(2030, 1, 1, 12, 0, 0, 123, DateTimeKind.Unspecified).AddTicks(4567);
        var expiration = new DateTime(2030, 1, 1, 13, 0, 0, 456, DateTimeKind.Utc).AddTicks(9999);
        var now = new DateTime(2030, 1, 1, 11, 0, 0, 789, DateTimeKind.Utc).AddTicks(1);

        var task = new TaskBuilder().WithSchedule(available, expiration).CreatedAtTime(now).Pending();

        Assert.Multiple(() =>
        {
            Assert.That(task.AvailableTime, Is.EqualTo(new DateTime(2030, 1, 1, 12, 0, 0, 123, DateTimeKind.Utc)));
            Assert.That(task.AvailableTime.Kind, Is.EqualTo(DateTimeKind.Utc));
            Assert.That(task.ExpirationTime, Is.EqualTo(new DateTime(2030, 1, 1, 13, 0, 0, 456, DateTimeKind.Utc)));
            Assert.That(task.ExpirationTime.Kind, Is.EqualTo(DateTimeKind.Utc));
            Assert.That(task.CreatedTime, Is.EqualTo(new DateTime(2030, 1, 1, 11, 0, 0, 789, DateTimeKind.Utc)));
            Assert.That(task.CreatedTime.Kind, Is.EqualTo(DateTimeKind.Utc));
            Assert.That(task.ModifiedTime, Is.EqualTo(task.CreatedTime));
        });
    }

    // ---- Start ----

    [Test]
    public void Start_WhenPendingAndAvailable_RunsAndCountsAttempt()
    {
        var task = new TaskBuilder().Pending();

        task.Start(TaskBuilder.StartedAt, TaskBuilder.Claim, TaskBuilder.LeaseUntil);

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Running));
            Assert.That(task.RunTime, Is.EqualTo(TaskBuilder.StartedAt));
            Assert.That(task.Attempts, Is.EqualTo(1));
            Assert.That(task.ClaimToken, Is.EqualTo(TaskBuilder.Claim));
            Assert.That(task.LeaseExpiresTime, Is.EqualTo(TaskBuilder.LeaseUntil));
            Assert.That(task.ModifiedTime, Is.EqualTo(TaskBuilder.StartedAt));
            Assert.That(task.Duration, Is.Null);
        });
    }

    [Test]
    public void Start_WhenExactlyAtAvailableTime_Runs()
    {
        var task = new TaskBuilder().Pending();

        task.Start(TaskBuilder.Available, TaskBuilder.Claim, TaskBuilder.LeaseUntil);

        Assert.That(task.State, Is.EqualTo(TaskState.Running));
    }

    [Test]
    public void Start_WhenOneMillisecondBeforeExpiration_Runs()
    {
        var task = new TaskBuilder().Pending();

        task.Start(TaskBuilder.Expiration.AddMilliseconds(-1), TaskBuilder.Claim, TaskBuilder.Expiration);

        Assert.That(task.State, Is.EqualTo(TaskState.Running));
    }

    [Test]
    public void Start_WhenBeforeAvailableTime_ThrowsAndChangesNothing()
    {
        var task = new TaskBuilder().Pending();
        var before = task.ToSnapshot();

        Assert.Multiple(() =>
        {
            Assert.That(() => task.Start(TaskBuilder.Available.AddMilliseconds(-1), TaskBuilder.Claim, TaskBuilder.LeaseUntil),
                Throws.TypeOf<DomainException>().With.Message.Contains("not available until"));
            Assert.That(task.ToSnapshot(), Is.EqualTo(before));
        });
    }

    [TestCase(0, TestName = "Start_WhenAtExpirationTime_ThrowsAndChangesNothing")]
    [TestCase(60, TestName = "Start_WhenAfterExpirationTime_ThrowsAndChangesNothing")]
    public void Start_WhenNotBeforeExpiration_ThrowsAndChangesNothing(double secondsAfterExpiration)
    {
        var task = new TaskBuilder().Pending();
        var before = task.ToSnapshot();
        var now = TaskBuilder.Expiration.AddSeconds(secondsAfterExpiration);

        Assert.Multiple(() =>
        {
            Assert.That(() => task.Start(now, TaskBuilder.Claim, now.AddMinutes(1)),
                Throws.TypeOf<DomainException>().With.Message.Contains("expired"));
            Assert.That(task.ToSnapshot(), Is.EqualTo(before));
        });
    }

    [Test]
    public void Start_WhenBeforeRawAvailableTimeButInSameMillisecond_Runs()
    {
        // The available time is stored cut to the millisecond, so 0.3 ms before the raw value is not "before".
        var task = new TaskBuilder().WithSchedule(Times.At(10).AddTicks(5000), TaskBuilder.Expiration).Pending();

        task.Start(Times.At(10).AddTicks(2000), TaskBuilder.Claim, TaskBuilder.LeaseUntil);

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Running));
            Assert.That(task.RunTime, Is.EqualTo(Times.At(10)));
        });
    }

    [Test]
    public void Start_WhenSecondRun_CountsSecondAttempt()
    {
        var task = new TaskBuilder().Via(Route.Rescheduled);

        task.Start(Times.At(300), "claim-2", Times.At(360));

        Assert.Multiple(() =>
        {
            Assert.That(task.Attempts, Is.EqualTo(2));
            Assert.That(task.ClaimToken, Is.EqualTo("claim-2"));
            Assert.That(task.RunTime, Is.EqualTo(Times.At(300)));
        });
    }

    // ---- Wrong claim ----

    public static IEnumerable<TestCaseData> ClaimedWrites()
    {
        yield return new TestCaseData((Action<BackgroundTask>)(t => t.Complete(TaskBuilder.EndedAt, WrongClaim))).SetArgDisplayNames("Complete");
        yield return new TestCaseData((Action<BackgroundTask>)(t => t.Fail(TaskBuilder.EndedAt, WrongClaim, "x"))).SetArgDisplayNames("Fail");
        yield return new TestCaseData((Action<BackgroundTask>)(t => t.Reschedule(TaskBuilder.EndedAt, WrongClaim, Times.At(300)))).SetArgDisplayNames("Reschedule");
        yield return new TestCaseData((Action<BackgroundTask>)(t => t.RenewLease(WrongClaim, Times.At(300)))).SetArgDisplayNames("RenewLease");
        yield return new TestCaseData((Action<BackgroundTask>)(t => t.Release(TaskBuilder.EndedAt, WrongClaim))).SetArgDisplayNames("Release");
        yield return new TestCaseData((Action<BackgroundTask>)(t => t.Complete(TaskBuilder.EndedAt, TaskBuilder.Claim.ToUpperInvariant()))).SetArgDisplayNames("CompleteWithClaimInOtherCase");
        yield return new TestCaseData((Action<BackgroundTask>)(t => t.Complete(TaskBuilder.EndedAt, ""))).SetArgDisplayNames("CompleteWithEmptyClaim");
    }

    [TestCaseSource(nameof(ClaimedWrites))]
    public void RunWrite_WhenClaimTokenWrong_ThrowsLostClaimAndChangesNothing(Action<BackgroundTask> write)
    {
        var task = new TaskBuilder().Running();
        var before = task.ToSnapshot();

        Assert.Multiple(() =>
        {
            Assert.That(() => write(task), Throws.TypeOf<LostClaimException>().With.Message.Contains(task.Id.Value));
            Assert.That(task.ToSnapshot(), Is.EqualTo(before));
        });
    }

    [Test]
    public void RunWrite_WhenClaimFromPreviousRun_ThrowsLostClaim()
    {
        var task = new TaskBuilder().Via(Route.Rescheduled);
        task.Start(Times.At(300), "claim-2", Times.At(360));

        Assert.That(() => task.Complete(Times.At(310), TaskBuilder.Claim), Throws.TypeOf<LostClaimException>());
    }

    // ---- RenewLease ----

    [Test]
    public void RenewLease_WhenClaimMatches_ChangesOnlyTheLease()
    {
        var task = new TaskBuilder().Running();
        var before = task.ToSnapshot();
        var renewed = Times.At(500).AddTicks(1234);

        task.RenewLease(TaskBuilder.Claim, renewed);

        Assert.That(task.ToSnapshot(), Is.EqualTo(before with { LeaseExpiresTime = Times.At(500) }));
    }

    // ---- Complete ----

    [Test]
    public void Complete_WhenRunning_EndsRunAndMeasuresDuration()
    {
        var task = new TaskBuilder().Running();
        var data = task.Data;
        var end = TaskBuilder.StartedAt.AddMilliseconds(2500);

        task.Complete(end, TaskBuilder.Claim);

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Completed));
            Assert.That(task.Duration, Is.EqualTo(2.5));
            Assert.That(task.RunTime, Is.EqualTo(TaskBuilder.StartedAt));
            Assert.That(task.ModifiedTime, Is.EqualTo(end));
            Assert.That(task.ClaimToken, Is.Null);
            Assert.That(task.LeaseExpiresTime, Is.Null);
            Assert.That(task.Attempts, Is.EqualTo(1));
            Assert.That(task.Data, Is.EqualTo(data));
            Assert.That(task.Error, Is.Null);
        });
    }

    [Test]
    public void Complete_WhenDataGiven_ReplacesData()
    {
        var task = new TaskBuilder().Running();
        var result = TaskData.Parse("""{"result":"ok"}""");

        task.Complete(TaskBuilder.EndedAt, TaskBuilder.Claim, result);

        Assert.That(task.Data, Is.EqualTo(result));
    }

    [Test]
    public void Complete_WhenPreviousRunLeftAnError_ClearsError()
    {
        var task = new TaskBuilder().Via(Route.Rescheduled);
        task.Start(Times.At(300), "claim-2", Times.At(360));
        Assume.That(task.Error, Is.EqualTo("try again"));

        task.Complete(Times.At(301), "claim-2");

        Assert.Multiple(() =>
        {
            Assert.That(task.Error, Is.Null);
            Assert.That(task.Duration, Is.EqualTo(1.0));
        });
    }

    [Test]
    public void Complete_WhenEndIsBeforeRunTime_DurationIsZero()
    {
        var task = new TaskBuilder().Running();

        task.Complete(TaskBuilder.StartedAt.AddSeconds(-5), TaskBuilder.Claim);

        Assert.That(task.Duration, Is.Zero);
    }

    [Test]
    public void Complete_WhenEndHasSubMillisecondTicks_DurationCountsWholeMilliseconds()
    {
        var task = new TaskBuilder().Running();

        task.Complete(TaskBuilder.StartedAt.AddTicks(12_349_999), TaskBuilder.Claim);

        Assert.Multiple(() =>
        {
            Assert.That(task.Duration, Is.EqualTo(1.234));
            Assert.That(task.ModifiedTime, Is.EqualTo(TaskBuilder.StartedAt.AddMilliseconds(1234)));
        });
    }

    // ---- Fail ----

    [Test]
    public void Fail_WhenRunning_EndsFailedWithError()
    {
        var task = new TaskBuilder().Running();

        task.Fail(TaskBuilder.EndedAt, TaskBuilder.Claim, "disk full");

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Failed));
            Assert.That(task.Error, Is.EqualTo("disk full"));
            Assert.That(task.Duration, Is.EqualTo(10.0));
            Assert.That(task.ModifiedTime, Is.EqualTo(TaskBuilder.EndedAt));
            Assert.That(task.ClaimToken, Is.Null);
            Assert.That(task.LeaseExpiresTime, Is.Null);
        });
    }

    [Test]
    public void Fail_WhenErrorLongerThanMax_TruncatesWithEllipsis()
    {
        var task = new TaskBuilder().Running();

        task.Fail(TaskBuilder.EndedAt, TaskBuilder.Claim, new string('e', BackgroundTask.MaxErrorLength + 100));

        Assert.Multiple(() =>
        {
            Assert.That(task.Error, Has.Length.EqualTo(BackgroundTask.MaxErrorLength));
            Assert.That(task.Error, Does.EndWith("…"));
            Assert.That(task.Error, Does.StartWith(new string('e', BackgroundTask.MaxErrorLength - 1)));
        });
    }

    [Test]
    public void Fail_WhenErrorExactlyMax_KeepsItWhole()
    {
        var task = new TaskBuilder().Running();
        var error = new string('e', BackgroundTask.MaxErrorLength);

        task.Fail(TaskBuilder.EndedAt, TaskBuilder.Claim, error);

        Assert.That(task.Error, Is.EqualTo(error));
    }

    // ---- Reschedule ----

    [Test]
    public void Reschedule_WhenBeforeExpiration_ReturnsToPendingAndKeepsAttemptCount()
    {
        var task = new TaskBuilder().Running();

        task.Reschedule(TaskBuilder.EndedAt, TaskBuilder.Claim, Times.At(300), "transient");

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Pending));
            Assert.That(task.AvailableTime, Is.EqualTo(Times.At(300)));
            Assert.That(task.Error, Is.EqualTo("transient"));
            Assert.That(task.Duration, Is.EqualTo(10.0));
            Assert.That(task.RunTime, Is.EqualTo(TaskBuilder.StartedAt));
            Assert.That(task.ModifiedTime, Is.EqualTo(TaskBuilder.EndedAt));
            Assert.That(task.Attempts, Is.EqualTo(1));
            Assert.That(task.ClaimToken, Is.Null);
            Assert.That(task.LeaseExpiresTime, Is.Null);
        });
    }

    [Test]
    public void Reschedule_WhenNoError_ClearsError()
    {
        var task = new TaskBuilder().Via(Route.Rescheduled);
        task.Start(Times.At(300), "claim-2", Times.At(360));

        task.Reschedule(Times.At(310), "claim-2", Times.At(400));

        Assert.That(task.Error, Is.Null);
    }

    [Test]
    public void Reschedule_WhenAvailableTimeInThePast_BecomesAvailableNow()
    {
        var task = new TaskBuilder().Running();

        task.Reschedule(TaskBuilder.EndedAt, TaskBuilder.Claim, Times.At(-500));

        Assert.That(task.AvailableTime, Is.EqualTo(TaskBuilder.EndedAt));
    }

    [Test]
    public void Reschedule_WhenDataGiven_ReplacesData()
    {
        var task = new TaskBuilder().Running();
        var next = TaskData.Parse("""{"cursor":17}""");

        task.Reschedule(TaskBuilder.EndedAt, TaskBuilder.Claim, Times.At(300), data: next);

        Assert.That(task.Data, Is.EqualTo(next));
    }

    [TestCase(0, TestName = "Reschedule_WhenAtExpiration_FailsAsExpired")]
    [TestCase(1, TestName = "Reschedule_WhenAfterExpiration_FailsAsExpired")]
    public void Reschedule_WhenNotBeforeExpiration_FailsAsExpired(double secondsAfterExpiration)
    {
        var task = new TaskBuilder().Running();

        task.Reschedule(TaskBuilder.EndedAt, TaskBuilder.Claim, TaskBuilder.Expiration.AddSeconds(secondsAfterExpiration), "transient");

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Failed));
            Assert.That(task.Error, Does.Contain("expired at 2030-01-01T13:00:00.000Z"));
            Assert.That(task.Error, Does.EndWith("Last error: transient"));
            Assert.That(task.AvailableTime, Is.EqualTo(TaskBuilder.Available));
            Assert.That(task.Duration, Is.EqualTo(10.0));
            Assert.That(task.ClaimToken, Is.Null);
            Assert.That(task.LeaseExpiresTime, Is.Null);
        });
    }

    [Test]
    public void Reschedule_WhenRunEndsAfterExpirationAndRetryIsImmediate_FailsAsExpired()
    {
        // The run outlived the expiration time; "retry now" means the task would become available at now, which is
        // not before the expiration time, so it can never start again and must end failed as expired.
        var task = new TaskBuilder().Running();
        var now = TaskBuilder.Expiration.AddSeconds(10);

        task.Reschedule(now, TaskBuilder.Claim, now.AddSeconds(-60), "transient");

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Failed));
            Assert.That(task.Error, Does.Contain("expired").And.EndWith("Last error: transient"));
            Assert.That(task.AvailableTime, Is.LessThan(task.ExpirationTime));
        });
    }

    [Test]
    public void Reschedule_WhenPastExpirationWithoutError_ErrorOnlySaysExpired()
    {
        var task = new TaskBuilder().Running();

        task.Reschedule(TaskBuilder.EndedAt, TaskBuilder.Claim, TaskBuilder.Expiration);

        Assert.That(task.Error, Is.EqualTo("The task expired at 2030-01-01T13:00:00.000Z before it could run."));
    }

    // ---- Release ----

    [Test]
    public void Release_WhenRunning_ReturnsToPendingWithoutCountingAttempt()
    {
        var task = new TaskBuilder().Running();

        task.Release(TaskBuilder.EndedAt, TaskBuilder.Claim);

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Pending));
            Assert.That(task.Attempts, Is.Zero);
            Assert.That(task.ClaimToken, Is.Null);
            Assert.That(task.LeaseExpiresTime, Is.Null);
            Assert.That(task.ModifiedTime, Is.EqualTo(TaskBuilder.EndedAt));
            Assert.That(task.AvailableTime, Is.EqualTo(TaskBuilder.Available));
            Assert.That(task.Error, Is.Null);
        });
    }

    [Test]
    public void Release_WhenAvailableTimeLaterThanNow_MakesItAvailableNow()
    {
        // An update while running may move the available time into the future; a released run may go again at once.
        var task = new TaskBuilder().Running();
        task.Update(5, task.Data, Times.At(900), TaskBuilder.Expiration, Times.At(5));

        task.Release(TaskBuilder.EndedAt, TaskBuilder.Claim);

        Assert.That(task.AvailableTime, Is.EqualTo(TaskBuilder.EndedAt));
    }

    [Test]
    public void Release_WhenSecondRunReleased_KeepsFirstAttempt()
    {
        var task = new TaskBuilder().Via(Route.Rescheduled);
        task.Start(Times.At(300), "claim-2", Times.At(360));

        task.Release(Times.At(310), "claim-2");

        Assert.That(task.Attempts, Is.EqualTo(1));
    }

    // ---- RecoverExpiredLease ----

    [Test]
    public void RecoverExpiredLease_WhenLeaseStillValid_ThrowsAndChangesNothing()
    {
        var task = new TaskBuilder().Running();
        var before = task.ToSnapshot();

        Assert.Multiple(() =>
        {
            Assert.That(() => task.RecoverExpiredLease(TaskBuilder.LeaseUntil.AddMilliseconds(-1), maxAttempts: 3),
                Throws.TypeOf<DomainException>().With.Message.Contains("lease"));
            Assert.That(task.ToSnapshot(), Is.EqualTo(before));
        });
    }

    [TestCase(0)]
    [TestCase(3600)]
    public void RecoverExpiredLease_WhenLeaseRanOutAndAttemptsLeft_ReturnsToPending(double secondsAfterLease)
    {
        var task = new TaskBuilder().Running();
        var now = TaskBuilder.LeaseUntil.AddSeconds(secondsAfterLease);

        task.RecoverExpiredLease(now, maxAttempts: 2);

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Pending));
            Assert.That(task.Error, Does.Contain("lease expired"));
            Assert.That(task.Attempts, Is.EqualTo(1));
            Assert.That(task.ClaimToken, Is.Null);
            Assert.That(task.LeaseExpiresTime, Is.Null);
            Assert.That(task.ModifiedTime, Is.EqualTo(now));
            Assert.That(task.Duration, Is.EqualTo((now - TaskBuilder.StartedAt).TotalSeconds));
        });
    }

    [TestCase(1)]
    [TestCase(0)]
    public void RecoverExpiredLease_WhenAttemptsExhausted_Fails(int maxAttempts)
    {
        var task = new TaskBuilder().Running();

        task.RecoverExpiredLease(TaskBuilder.LeaseUntil, maxAttempts);

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Failed));
            Assert.That(task.Error, Does.Contain("lease expired").And.Contain("Gave up after 1 attempts"));
            Assert.That(task.ClaimToken, Is.Null);
            Assert.That(task.LeaseExpiresTime, Is.Null);
        });
    }

    [Test]
    public void RecoverExpiredLease_WhenSecondRunLeaseRunsOut_FailsAtMaxTwo()
    {
        var task = new TaskBuilder().Via(Route.LeaseRecovered);
        task.Start(Times.At(100), "claim-2", Times.At(160));

        task.RecoverExpiredLease(Times.At(160), maxAttempts: 2);

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Failed));
            Assert.That(task.Error, Does.Contain("Gave up after 2 attempts"));
        });
    }

    // ---- Expire ----

    [TestCase(0)]
    [TestCase(86400)]
    public void Expire_WhenPendingAtOrAfterExpiration_FailsAsExpired(double secondsAfterExpiration)
    {
        var task = new TaskBuilder().Pending();
        var now = TaskBuilder.Expiration.AddSeconds(secondsAfterExpiration);

        task.Expire(now);

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Failed));
            Assert.That(task.Error, Is.EqualTo("The task expired at 2030-01-01T13:00:00.000Z before it could run."));
            Assert.That(task.ModifiedTime, Is.EqualTo(now));
            Assert.That(task.RunTime, Is.Null);
            Assert.That(task.Duration, Is.Null);
            Assert.That(task.Attempts, Is.Zero);
        });
    }

    [Test]
    public void Expire_WhenBeforeExpiration_ThrowsAndChangesNothing()
    {
        var task = new TaskBuilder().Pending();
        var before = task.ToSnapshot();

        Assert.Multiple(() =>
        {
            Assert.That(() => task.Expire(TaskBuilder.Expiration.AddMilliseconds(-1)),
                Throws.TypeOf<DomainException>().With.Message.Contains("does not expire until"));
            Assert.That(task.ToSnapshot(), Is.EqualTo(before));
        });
    }

    // ---- Update ----

    [TestCase(Route.Created)]
    [TestCase(Route.Started)]
    [TestCase(Route.Rescheduled)]
    public void Update_WhenNotFinal_ReplacesScheduleAndKeepsState(Route route)
    {
        var task = new TaskBuilder().Via(route);
        var before = task.ToSnapshot();
        var data = TaskData.Parse("""{"replaced":[true]}""");
        var now = Times.At(30).AddTicks(5555);

        task.Update(0, data, Times.At(600).AddTicks(1), Times.At(7200).AddTicks(9999), now);

        Assert.That(task.ToSnapshot(), Is.EqualTo(before with
        {
            Priority = 0,
            Data = data,
            AvailableTime = Times.At(600),
            ExpirationTime = Times.At(7200),
            ModifiedTime = Times.At(30),
        }));
    }

    [TestCase(Route.Completed)]
    [TestCase(Route.Failed)]
    [TestCase(Route.Expired)]
    public void Update_WhenFinal_ThrowsAndChangesNothing(Route route)
    {
        var task = new TaskBuilder().Via(route);
        var before = task.ToSnapshot();

        Assert.Multiple(() =>
        {
            Assert.That(() => task.Update(1, TaskData.Empty, Times.At(600), Times.At(7200), Times.At(30)),
                Throws.TypeOf<DomainException>().With.Message.Contains("final state"));
            Assert.That(task.ToSnapshot(), Is.EqualTo(before));
        });
    }

    public static IEnumerable<TestCaseData> InvalidSchedules()
    {
        var now = Times.At(100);
        yield return new TestCaseData(-1, Times.At(200), Times.At(300), now).SetArgDisplayNames("NegativePriority");
        yield return new TestCaseData(1, Times.At(300), Times.At(300), now).SetArgDisplayNames("ExpirationEqualsAvailable");
        yield return new TestCaseData(1, Times.At(300), Times.At(200), now).SetArgDisplayNames("ExpirationBeforeAvailable");
        yield return new TestCaseData(1, Times.At(0), now, now).SetArgDisplayNames("ExpirationEqualsNow");
        yield return new TestCaseData(1, Times.At(0), Times.At(50), now).SetArgDisplayNames("ExpirationBeforeNow");
    }

    [TestCaseSource(nameof(InvalidSchedules))]
    public void Update_WhenScheduleInvalid_ThrowsAndChangesNothing(int priority, DateTime available, DateTime expiration, DateTime now)
    {
        var task = new TaskBuilder().Pending();
        var before = task.ToSnapshot();

        Assert.Multiple(() =>
        {
            Assert.That(() => task.Update(priority, TaskData.Empty, available, expiration, now), Throws.TypeOf<DomainException>());
            Assert.That(task.ToSnapshot(), Is.EqualTo(before));
        });
    }

    [Test]
    public void Update_WhenRunning_KeepsRunBookkeeping()
    {
        var task = new TaskBuilder().Running();

        task.Update(1, TaskData.Empty, Times.At(600), Times.At(7200), Times.At(30));
        task.Complete(Times.At(40), TaskBuilder.Claim);

        Assert.Multiple(() =>
        {
            Assert.That(task.State, Is.EqualTo(TaskState.Completed));
            Assert.That(task.Priority, Is.EqualTo(1));
            Assert.That(task.ExpirationTime, Is.EqualTo(Times.At(7200)));
        });
    }

    // ---- Snapshot / bookkeeping ----

    [Test]
    public void Restore_WhenGivenSnapshot_RoundTripsEveryField()
    {
        var task = new TaskBuilder().Failed();
        task.MarkStored();
        var snapshot = task.ToSnapshot();

        var restored = BackgroundTask.Restore(snapshot);

        Assert.Multiple(() =>
        {
            Assert.That(restored.ToSnapshot(), Is.EqualTo(snapshot));
            Assert.That(restored.Version, Is.EqualTo(1));
        });
    }

    [Test]
    public void MarkStored_WhenCalled_IncrementsVersionOnly()
    {
        var task = new TaskBuilder().Pending();
        var before = task.ToSnapshot();

        task.MarkStored();
        task.MarkStored();

        Assert.That(task.ToSnapshot(), Is.EqualTo(before with { Version = 2 }));
    }

    [Test]
    public void Transitions_WhenNotStored_DoNotChangeVersion()
    {
        var task = new TaskBuilder().Completed();

        Assert.That(task.Version, Is.Zero);
    }
}
