namespace TaskService.Domain.Tasks;

public enum TaskState
{
    Pending,
    Running,
    Completed,
    Failed,
}

public static class TaskStateExtensions
{
    public static bool IsFinal(this TaskState state) => state is TaskState.Completed or TaskState.Failed;

    public static string ToWireName(this TaskState state) => state switch
    {
        TaskState.Pending => "pending",
        TaskState.Running => "running",
        TaskState.Completed => "completed",
        TaskState.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static bool TryParseWireName(string? value, out TaskState state)
    {
        foreach (var candidate in Enum.GetValues<TaskState>())
        {
            if (candidate.ToWireName() == value)
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }
}
