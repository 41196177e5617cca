using TaskService.Domain.Common;

namespace TaskService.Domain.UnitTests;

[TestFixture]
public sealed class InstantTests
{
    [TestCase(0L, 0L)]
    [TestCase(1L, 0L)]
    [TestCase(9_999L, 0L)]
    [TestCase(10_000L, 10_000L)]
    [TestCase(1_234_567L, 1_230_000L)]
    public void Normalize_WhenUtcHasSubMillisecondTicks_DropsThem(long extraTicks, long expectedExtraTicks)
    {
        var time = new DateTime(2030, 6, 1, 8, 30, 0, DateTimeKind.Utc).AddTicks(extraTicks);

        var normalized = Instant.Normalize(time);

        Assert.Multiple(() =>
        {
            Assert.That(normalized.Ticks, Is.EqualTo(new DateTime(2030, 6, 1, 8, 30, 0, DateTimeKind.Utc).Ticks + expectedExtraTicks));
            Assert.That(normalized.Kind, Is.EqualTo(DateTimeKind.Utc));
        });
    }

    [Test]
    public void Normalize_WhenKindUnspecified_TreatsAsUtc()
    {
        var time = new DateTime(2030, 6, 1, 8, 30, 0, 250, DateTimeKind.Unspecified).AddTicks(42);

        var normalized = Instant.Normalize(time);

        Assert.Multiple(() =>
        {
            Assert.That(normalized.Ticks, Is.EqualTo(new DateTime(2030, 6, 1, 8, 30, 0, 250).Ticks));
            Assert.That(normalized.Kind, Is.EqualTo(DateTimeKind.Utc));
        });
    }

    [Test]
    public void Normalize_WhenKindLocal_ConvertsToUtc()
    {
        var utc = new DateTime(2030, 6, 1, 8, 30, 0, 250, DateTimeKind.Utc);
        var local = utc.ToLocalTime().AddTicks(77);

        var normalized = Instant.Normalize(local);

        Assert.Multiple(() =>
        {
            Assert.That(normalized.Ticks, Is.EqualTo(utc.Ticks));
            Assert.That(normalized.Kind, Is.EqualTo(DateTimeKind.Utc));
        });
    }

    [TestCase(2)]
    [TestCase(-5)]
    [TestCase(0)]
    public void Normalize_WhenOffsetGiven_ConvertsToUtcMilliseconds(int offsetHours)
    {
        var time = new DateTimeOffset(2030, 6, 1, 12, 0, 0, 123, TimeSpan.FromHours(offsetHours)).AddTicks(4567);

        var normalized = Instant.Normalize(time);

        Assert.Multiple(() =>
        {
            Assert.That(normalized, Is.EqualTo(new DateTime(2030, 6, 1, 12, 0, 0, 123, DateTimeKind.Utc).AddHours(-offsetHours)));
            Assert.That(normalized.Kind, Is.EqualTo(DateTimeKind.Utc));
        });
    }

    [Test]
    public void Normalize_WhenAlreadyNormalized_IsIdempotent()
    {
        var once = Instant.Normalize(new DateTime(2030, 6, 1, 8, 30, 0, DateTimeKind.Unspecified).AddTicks(98_765));

        Assert.That(Instant.Normalize(once).Ticks, Is.EqualTo(once.Ticks));
    }

    [Test]
    public void Normalize_WhenMaxValue_DoesNotOverflow()
    {
        var normalized = Instant.Normalize(DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc));

        Assert.That(normalized.Ticks % TimeSpan.TicksPerMillisecond, Is.Zero);
    }
}
