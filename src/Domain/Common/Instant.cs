namespace TaskService.Domain.Common;

/// <summary>The service keeps every time in UTC at millisecond precision, so what it returns is what it stores.</summary>
public static class Instant
{
    public static DateTime Normalize(DateTime time)
    {
        var utc = time.Kind switch
        {
            DateTimeKind.Utc => time,
            DateTimeKind.Local => time.ToUniversalTime(),
            _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
        };
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
    }

    public static DateTime Normalize(DateTimeOffset time) => Normalize(time.UtcDateTime);
}
