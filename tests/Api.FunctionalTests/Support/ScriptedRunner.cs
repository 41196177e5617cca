using System.Collections.Concurrent;
using System.Text.Json;
using TaskService.Application.Tasks.Execution;

namespace TaskService.Api.FunctionalTests.Support;

/// <summary>
/// A runner for type "scripted" whose behaviour the task's data decides: {"action": "complete" | "complete-with-data"
/// | "fail" | "throw" | "again" | "block"}. "block" waits until the test opens the task's gate or the run is cancelled.
/// </summary>
public sealed class ScriptedRunner : ITaskRunner
{
    public const string Type = "scripted";

    private readonly ConcurrentDictionary<string, TaskCompletionSource<RunOutcome>> _gates = new();

    public IReadOnlyCollection<string> Types { get; } = [Type];

    public ConcurrentQueue<TaskRun> Started { get; } = new();

    public ConcurrentQueue<string> Cancelled { get; } = new();

    public async Task<RunOutcome> RunAsync(TaskRun run, CancellationToken cancellationToken)
    {
        Started.Enqueue(run);
        var action = run.Data.TryGetProperty("action", out var value) ? value.GetString() : "complete";
        switch (action)
        {
            case "complete":
                return RunOutcome.Completed();
            case "complete-with-data":
                return RunOutcome.Completed(JsonDocument.Parse("""{"result":"from runner"}""").RootElement);
            case "fail":
                return RunOutcome.Failed("the runner said no");
            case "throw":
                throw new InvalidOperationException($"boom on attempt {run.Attempt}");
            case "again":
                return RunOutcome.RunAgainAfter(TimeSpan.FromHours(1), "see you later");
            case "block":
                var gate = _gates.GetOrAdd(run.Id, _ => new TaskCompletionSource<RunOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
                try
                {
                    return await gate.Task.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Cancelled.Enqueue(run.Id);
                    throw;
                }

            default:
                throw new InvalidOperationException($"Unknown action {action}");
        }
    }

    public void Open(string taskId, RunOutcome outcome) =>
        _gates.GetOrAdd(taskId, _ => new TaskCompletionSource<RunOutcome>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(outcome);
}
