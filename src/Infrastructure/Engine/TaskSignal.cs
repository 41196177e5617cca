using TaskService.Application.Common.Interfaces;

namespace TaskService.Infrastructure.Engine;

/// <summary>The in-process wake-up of the engine: a task stored now, or one that becomes available at a known time.</summary>
public sealed class TaskSignal(TimeProvider timeProvider) : ITaskSignal
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTime _nextDue = DateTime.MaxValue;

    public void Notify(DateTime availableTime)
    {
        lock (_lock)
        {
            if (availableTime > timeProvider.GetUtcNow().UtcDateTime)
            {
                if (availableTime < _nextDue)
                {
                    _nextDue = availableTime;
                    _wake.TrySetResult();
                }

                return;
            }

            _wake.TrySetResult();
        }
    }

    /// <summary>Waits until notified, until the earliest known future task is due, or at most <paramref name="poll"/>.</summary>
    public async Task WaitAsync(TimeSpan poll, CancellationToken cancellationToken)
    {
        Task wake;
        TimeSpan wait;
        lock (_lock)
        {
            var now = timeProvider.GetUtcNow().UtcDateTime;
            if (_nextDue <= now)
            {
                _nextDue = DateTime.MaxValue;
                return;
            }

            wait = _nextDue - now < poll ? _nextDue - now : poll;
            wake = _wake.Task;
        }

        if (!wake.IsCompleted)
        {
            await Task.WhenAny(wake, Task.Delay(wait, timeProvider, cancellationToken));
        }

        lock (_lock)
        {
            if (_wake.Task.IsCompleted)
            {
                _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }
}
