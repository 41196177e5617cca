using TaskService.Application.Tasks.Execution;

namespace TaskService.Infrastructure.Engine;

public sealed class EngineOptions
{
    public const string Section = "Engine";

    /// <summary>False: this instance serves the API only and runs nothing (no claims, no sweeps).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often an idle engine looks for work made available by other instances (one claim query).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a claim holds without renewal; a worker that dies loses its tasks after this.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the settling sweep runs (expired pending tasks, running tasks whose lease ran out).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Runs at once on this instance, all types together.</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>On a graceful stop, how long running tasks may finish before they are cancelled and given back.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    public RetryOptions Retry { get; set; } = new();

    /// <summary>Per task type: concurrency and retries, overriding the defaults.</summary>
    public Dictionary<string, TypeOptions> Types { get; set; } = [];

    public RetryPolicy RetryPolicyFor(string type)
    {
        var retry = Types.TryGetValue(type, out var options) && options.Retry is { } specific ? specific : Retry;
        return new RetryPolicy(retry.MaxAttempts, retry.BaseDelay, retry.MaxDelay);
    }

    public int MaxConcurrencyFor(string type) =>
        Types.TryGetValue(type, out var options) && options.MaxConcurrency is { } limit ? limit : MaxConcurrency;

    public sealed class RetryOptions
    {
        public int MaxAttempts { get; set; } = RetryPolicy.Default.MaxAttempts;

        public TimeSpan BaseDelay { get; set; } = RetryPolicy.Default.BaseDelay;

        public TimeSpan MaxDelay { get; set; } = RetryPolicy.Default.MaxDelay;
    }

    public sealed class TypeOptions
    {
        public int? MaxConcurrency { get; set; }

        public RetryOptions? Retry { get; set; }
    }
}
