namespace TaskService.Application.Common.Interfaces;

/// <summary>Wakes this instance's engine when a task may have become runnable, so it need not wait for its next poll.</summary>
public interface ITaskSignal
{
    /// <param name="availableTime">When the task becomes runnable; the engine wakes then if it is in the future.</param>
    void Notify(DateTime availableTime);
}
