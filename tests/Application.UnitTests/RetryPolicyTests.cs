using TaskService.Application.Tasks.Execution;

namespace TaskService.Application.UnitTests;

/// <summary>
/// Exponential backoff with equal jitter: the ceiling is <c>BaseDelay · 2^(attempt − 1)</c> capped at
/// <c>MaxDelay</c>, and the delay a point in its upper half, <c>[ceiling / 2, ceiling)</c>, picked by the random number.
/// </summary>
[TestFixture]
public sealed class RetryPolicyTests
{
    /// <summary>The largest double below 1: the top of the random number's range [0, 1).</summary>
    private static readonly double AlmostOne = Math.BitDecrement(1.0);

    private static readonly RetryPolicy Policy = new(10, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1));

    [Test]
    public void Backoff_WhenFirstAttemptAndRandomIsZero_IsHalfTheBaseDelay()
    {
        Assert.That(Policy.Backoff(1, 0), Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public void Backoff_WhenFirstAttemptAndRandomApproachesOne_ApproachesTheBaseDelay()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Policy.Backoff(1, AlmostOne), Is.EqualTo(TimeSpan.FromSeconds(2)).Within(TimeSpan.FromTicks(1)));
            Assert.That(Policy.Backoff(1, 0.5), Is.EqualTo(TimeSpan.FromSeconds(1.5)), "the middle of the upper half");
        }
    }

    [TestCase(1, 2)]
    [TestCase(2, 4)]
    [TestCase(3, 8)]
    [TestCase(4, 16)]
    [TestCase(5, 32)]
    public void Backoff_WhenAttemptGrowsBelowTheCap_DoublesTheCeilingPerAttempt(int attempt, int ceilingSeconds)
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Policy.Backoff(attempt, 0), Is.EqualTo(TimeSpan.FromSeconds(ceilingSeconds / 2.0)), "floor: half the ceiling");
            Assert.That(Policy.Backoff(attempt, AlmostOne), Is.EqualTo(TimeSpan.FromSeconds(ceilingSeconds)).Within(TimeSpan.FromTicks(1)), "the ceiling");
        }
    }

    [TestCase(6)]
    [TestCase(7)]
    [TestCase(20)]
    [TestCase(31)]
    [TestCase(32)]
    [TestCase(1000)]
    public void Backoff_WhenTheDoubledDelayPassesMaxDelay_IsCappedAtMaxDelayWithHalfOfItAsTheFloor(int attempt)
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Policy.Backoff(attempt, 0), Is.EqualTo(TimeSpan.FromSeconds(30)), "floor at the cap: half of MaxDelay");
            Assert.That(Policy.Backoff(attempt, AlmostOne), Is.EqualTo(TimeSpan.FromMinutes(1)).Within(TimeSpan.FromTicks(1)), "never above MaxDelay");
            Assert.That(Policy.Backoff(attempt, 0.5), Is.EqualTo(TimeSpan.FromSeconds(45)));
        }
    }

    [TestCase(int.MaxValue)]
    [TestCase(int.MaxValue - 1)]
    [TestCase(1 << 20)]
    public void Backoff_WhenAttemptNumberIsHuge_DoesNotOverflowAndStaysCapped(int attempt)
    {
        var defaults = RetryPolicy.Default;
        var longWait = new RetryPolicy(int.MaxValue, TimeSpan.FromDays(1), TimeSpan.FromDays(3650));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(defaults.Backoff(attempt, 0), Is.EqualTo(TimeSpan.FromMinutes(2.5)));
            Assert.That(defaults.Backoff(attempt, AlmostOne), Is.EqualTo(TimeSpan.FromMinutes(5)).Within(TimeSpan.FromTicks(1)));
            Assert.That(longWait.Backoff(attempt, 0), Is.EqualTo(TimeSpan.FromDays(1825)), "a day doubled 30+ times is capped, not overflowed");
            Assert.That(longWait.Backoff(attempt, AlmostOne), Is.EqualTo(TimeSpan.FromDays(3650)).Within(TimeSpan.FromTicks(1)));
        }
    }

    [TestCase(1)]
    [TestCase(31)]
    [TestCase(int.MaxValue)]
    public void Backoff_WhenBaseDelayIsZero_IsZeroForEveryAttempt(int attempt)
    {
        var noDelay = new RetryPolicy(5, TimeSpan.Zero, TimeSpan.FromMinutes(1));

        Assert.That(noDelay.Backoff(attempt, 0.5), Is.EqualTo(TimeSpan.Zero), "zero doubled any number of times is zero, not NaN");
    }

    [TestCase(0)]
    [TestCase(-5)]
    public void Backoff_WhenAttemptIsBelowOne_IsTreatedAsTheFirstAttempt(int attempt)
    {
        Assert.That(Policy.Backoff(attempt, 0), Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public void Backoff_ForAnyRandomInItsRange_StaysInTheUpperHalfOfTheCeiling()
    {
        var random = new Random(1234);
        for (var i = 0; i < 1000; i++)
        {
            var attempt = random.Next(1, 12);
            var ceiling = TimeSpan.FromMilliseconds(Math.Min(60_000, 2_000 * Math.Pow(2, attempt - 1)));
            var backoff = Policy.Backoff(attempt, random.NextDouble());
            Assert.That(backoff, Is.InRange(ceiling / 2, ceiling), $"attempt {attempt}");
        }
    }

    [Test]
    public void Default_Always_IsFiveAttemptsFromOneSecondUpToFiveMinutes()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(RetryPolicy.Default.MaxAttempts, Is.EqualTo(5));
            Assert.That(RetryPolicy.Default.BaseDelay, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(RetryPolicy.Default.MaxDelay, Is.EqualTo(TimeSpan.FromMinutes(5)));
            Assert.That(RetryPolicy.Default.Backoff(1, 0), Is.EqualTo(TimeSpan.FromMilliseconds(500)));
        }
    }
}
