namespace TaskService.Application.Tasks.Execution;

/// <summary>
/// How often a task of a type is attempted, and how long to wait between failed attempts: exponential backoff
/// from <see cref="BaseDelay"/> doubling per attempt up to <see cref="MaxDelay"/>, with "equal jitter" (a random
/// point in the upper half) so that tasks failing together do not retry together.
/// </summary>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    public static RetryPolicy Default { get; } = new(5, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));

    /// <param name="failedAttempt">The attempt that just failed, 1 for the first.</param>
    /// <param name="random">A number in [0, 1).</param>
    public TimeSpan Backoff(int failedAttempt, double random)
    {
        var exponent = Math.Clamp(failedAttempt - 1, 0, 30);
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ceiling / 2 + (ceiling / 2 * random));
    }
}
