using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TaskService.Application.Common.Exceptions;
using TaskService.Application.Tasks.Execution;
using TaskService.Domain.Tasks;

namespace TaskService.Infrastructure.Engine;

/// <summary>
/// Runs tasks: claims runnable tasks of the types this instance's runners handle (atomically in the store, highest
/// priority first), runs them under a renewed lease, records each outcome through <see cref="RunRecorder"/>, and
/// sweeps expired and abandoned tasks. No leader and no locks beyond the claim, so any number of instances share a
/// store. See docs/decisions/0007-claims-leases-and-fencing.md.
/// </summary>
public sealed partial class TaskEngine(
    IEnumerable<ITaskRunner> runners,
    ITaskDispatchStore store,
    RunRecorder recorder,
    TaskSignal signal,
    TimeProvider timeProvider,
    IOptions<EngineOptions> options,
    ILogger<TaskEngine> logger) : BackgroundService
{
    private const int SweepBatch = 100;
    private const int MaxClaimBatch = 32;

    private readonly EngineOptions _options = options.Value;
    private readonly Dictionary<string, ITaskRunner> _runners = RunnersByType(runners);
    private readonly ConcurrentDictionary<string, ActiveRun> _active = new(StringComparer.Ordinal);

    /// <summary>Runs in progress on this instance (for tests and metrics).</summary>
    public int ActiveRuns => _active.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            LogDisabled(logger);
            return;
        }

        LogStarted(logger, _runners.Count == 0 ? "(none: sweeping only)" : string.Join(", ", _runners.Keys.Order(StringComparer.Ordinal)));
        var nextSweep = DateTime.MinValue;
        var nextRenewal = DateTime.MinValue;
        var nextOwnershipCheck = DateTime.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var now = Now();
                if (now >= nextSweep)
                {
                    await SweepAsync(stoppingToken);
                    nextSweep = now + _options.SweepInterval;
                }

                if (now >= nextOwnershipCheck)
                {
                    await CancelRunsNoLongerOursAsync(stoppingToken);
                    nextOwnershipCheck = now + _options.PollInterval;
                }

                if (now >= nextRenewal)
                {
                    await RenewLeasesAsync(stoppingToken);
                    nextRenewal = now + (_options.LeaseDuration / 3);
                }

                await ClaimWhileThereIsRoomAsync(stoppingToken);
            }
            catch (StoreUnavailableException exception)
            {
                LogStoreUnavailable(logger, exception.InnerException?.Message ?? exception.Message);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await signal.WaitAsync(_options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }

        await DrainAsync();
    }

    /// <summary>
    /// Claims one task; when there was one, claims as many more as there is room for, all at once, so that a store that
    /// commits concurrent writes together (SQLite's group commit) syncs once for the batch. An idle store therefore
    /// costs one claim query per poll, whatever the concurrency.
    /// </summary>
    private async Task ClaimWhileThereIsRoomAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var types = _runners.Keys.Where(type => ActiveOfType(type) < _options.MaxConcurrencyFor(type)).ToList();
            var room = types.Count == 0
                ? 0
                : Math.Min(_options.MaxConcurrency - _active.Count, types.Min(type => _options.MaxConcurrencyFor(type) - ActiveOfType(type)));
            if (room <= 0 || !await ClaimAndStartAsync(types, 1) || room == 1)
            {
                return;
            }

            if (!await ClaimAndStartAsync(types, Math.Min(room - 1, MaxClaimBatch)))
            {
                return;
            }
        }
    }

    /// <summary>Claims up to <paramref name="count"/> tasks concurrently and starts them; false when the store ran out.</summary>
    private async Task<bool> ClaimAndStartAsync(IReadOnlyCollection<string> types, int count)
    {
        var now = Now();
        var claims = await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            var claimToken = RandomNumberGenerator.GetHexString(32, lowercase: true);
            // Not cancellable: a claim the store applied but whose answer was abandoned would leave a task running
            // with nobody to run it until its lease ran out. A claim that lands during shutdown is given back by the drain.
            var task = await store.ClaimNextAsync(types, now, claimToken, now + _options.LeaseDuration, CancellationToken.None);
            return (Task: task, ClaimToken: claimToken);
        }));
        foreach (var (task, claimToken) in claims)
        {
            if (task is not null)
            {
                Start(task, claimToken);
            }
        }

        return claims.All(claim => claim.Task is not null);
    }

    private void Start(BackgroundTask task, string claimToken)
    {
        using var data = JsonDocument.Parse(task.Data.Json);
        var run = new TaskRun(task.Id.Value, task.Name, task.Type, task.Priority, data.RootElement.Clone(), task.Attempts);
        var active = new ActiveRun(run, claimToken, task);
        _active[run.Id] = active;
        LogClaimed(logger, run.Id, run.Type, run.Attempt);
        active.Completion = Task.Run(() => RunAsync(active));
    }

    private async Task RunAsync(ActiveRun active)
    {
        var run = active.Run;
        try
        {
            RunOutcome outcome;
            try
            {
                outcome = await _runners[run.Type].RunAsync(run, active.Cancellation.Token);
            }
            catch (OperationCanceledException) when (active.Cancellation.IsCancellationRequested)
            {
                if (active.StopReason == StopReason.Shutdown)
                {
                    await recorder.ReleaseAsync(run.Id, active.ClaimToken, CancellationToken.None);
                    LogReleased(logger, run.Id);
                }
                else
                {
                    LogCancelled(logger, run.Id, active.StopReason.ToString());
                }

                return;
            }
            catch (Exception exception)
            {
                // A runner that throws has failed this attempt; it is retried like any transient failure.
                outcome = RunOutcome.Retry($"{exception.GetType().Name}: {exception.Message}");
            }

            var result = await recorder.RecordAsync(
                run, active.ClaimToken, outcome, _options.RetryPolicyFor(run.Type), CancellationToken.None, active.Claimed);
            switch (result)
            {
                case RecordResult.RecordedWithoutRunnerData:
                    LogDroppedRunnerData(logger, run.Id);
                    break;
                case RecordResult.ClaimLost or RecordResult.TaskDeleted:
                    LogNotRecorded(logger, run.Id, result.ToString());
                    break;
            }

            LogFinished(logger, run.Id, outcome.GetType().Name);
        }
        catch (Exception exception)
        {
            // The store failed while recording: the lease will run out and the sweep will return the task.
            LogRecordFailed(logger, exception, run.Id);
        }
        finally
        {
            _active.TryRemove(run.Id, out _);
            active.Cancellation.Dispose();
            signal.Notify(DateTime.MinValue);
        }
    }

    private async Task RenewLeasesAsync(CancellationToken stoppingToken)
    {
        foreach (var active in _active.Values)
        {
            var now = Now();
            if (!await store.RenewLeaseAsync(TaskId.Parse(active.Run.Id), active.ClaimToken, now + _options.LeaseDuration, stoppingToken))
            {
                active.Stop(StopReason.ClaimLost);
            }
        }
    }

    /// <summary>One query for all runs: a task deleted through the API (on any instance) or re-claimed is cancelled here.</summary>
    private async Task CancelRunsNoLongerOursAsync(CancellationToken stoppingToken)
    {
        var runs = _active.Values.Where(active => !active.Cancellation.IsCancellationRequested).ToList();
        if (runs.Count == 0)
        {
            return;
        }

        var stillOurs = await store.StillClaimedAsync(runs.Select(active => new ClaimedRun(active.Run.Id, active.ClaimToken)).ToList(), stoppingToken);
        foreach (var active in runs.Where(active => !stillOurs.Contains(active.Run.Id)))
        {
            active.Stop(StopReason.ClaimLost);
        }
    }

    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        foreach (var task in await store.FindOverdueAsync(Now(), SweepBatch, stoppingToken))
        {
            var before = task.State;
            if (await recorder.SettleOverdueAsync(task, _options.RetryPolicyFor(task.Type), stoppingToken))
            {
                LogSettled(logger, task.Id.Value, before.ToWireName(), task.State.ToWireName());
            }
        }
    }

    /// <summary>Graceful stop: no more claims; running tasks get the grace period, then are cancelled and given back.</summary>
    private async Task DrainAsync()
    {
        var running = _active.Values.Select(active => active.Completion).ToArray();
        if (running.Length == 0)
        {
            return;
        }

        LogDraining(logger, running.Length, _options.ShutdownGracePeriod);
        await Task.WhenAny(Task.WhenAll(running), Task.Delay(_options.ShutdownGracePeriod, timeProvider));
        foreach (var active in _active.Values)
        {
            active.Stop(StopReason.Shutdown);
        }

        await Task.WhenAll(_active.Values.Select(active => active.Completion));
    }

    private int ActiveOfType(string type) => _active.Values.Count(active => active.Run.Type == type);

    private DateTime Now() => timeProvider.GetUtcNow().UtcDateTime;

    private static Dictionary<string, ITaskRunner> RunnersByType(IEnumerable<ITaskRunner> runners)
    {
        var byType = new Dictionary<string, ITaskRunner>(StringComparer.Ordinal);
        foreach (var runner in runners)
        {
            foreach (var type in runner.Types)
            {
                if (!byType.TryAdd(type, runner))
                {
                    throw new InvalidOperationException(
                        $"Two runners handle task type '{type}': {byType[type].GetType().Name} and {runner.GetType().Name}.");
                }
            }
        }

        return byType;
    }

    private enum StopReason
    {
        None,
        ClaimLost,
        Shutdown,
    }

    private sealed class ActiveRun(TaskRun run, string claimToken, BackgroundTask claimed)
    {
        public TaskRun Run { get; } = run;

        /// <summary>The task as claimed; its outcome is written on this copy first, saving a read when nothing changed.</summary>
        public BackgroundTask Claimed { get; } = claimed;

        public string ClaimToken { get; } = claimToken;

        public CancellationTokenSource Cancellation { get; } = new();

        public StopReason StopReason { get; private set; }

        public Task Completion { get; set; } = Task.CompletedTask;

        public void Stop(StopReason reason)
        {
            if (StopReason == StopReason.None)
            {
                StopReason = reason;
            }

            try
            {
                Cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Task engine disabled (Engine:Enabled=false)")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task engine started; runs types {Types}")]
    private static partial void LogStarted(ILogger logger, string types);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task engine: store unavailable ({Reason}); retrying")]
    private static partial void LogStoreUnavailable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Claimed task {TaskId} of type {Type}, attempt {Attempt}")]
    private static partial void LogClaimed(ILogger logger, string taskId, string type, int attempt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Task {TaskId} run ended: {Outcome}")]
    private static partial void LogFinished(ILogger logger, string taskId, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} given back to pending at shutdown")]
    private static partial void LogReleased(ILogger logger, string taskId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} run cancelled: {Reason}")]
    private static partial void LogCancelled(ILogger logger, string taskId, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Task {TaskId}: the API changed its data during the run, so the data the runner returned was dropped")]
    private static partial void LogDroppedRunnerData(ILogger logger, string taskId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId}: run outcome not recorded ({Reason})")]
    private static partial void LogNotRecorded(ILogger logger, string taskId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Task {TaskId}: could not record the run's outcome; the sweep will return it when its lease runs out")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception, string taskId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} settled by the sweep: {From} → {To}")]
    private static partial void LogSettled(ILogger logger, string taskId, string from, string to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: waiting up to {GracePeriod} for {Count} running tasks")]
    private static partial void LogDraining(ILogger logger, int count, TimeSpan gracePeriod);
}
