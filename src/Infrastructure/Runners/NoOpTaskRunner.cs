using TaskService.Application.Tasks.Execution;

namespace TaskService.Infrastructure.Runners;

/// <summary>
/// Completes every task of the types listed in <c>Runners:NoOp:Types</c> at once, doing nothing. For smoke-testing a
/// deployment and for measuring the engine and the store without a downstream system.
/// </summary>
public sealed class NoOpTaskRunner(IReadOnlyCollection<string> types) : ITaskRunner
{
    public const string TypesSetting = "Runners:NoOp:Types";

    public IReadOnlyCollection<string> Types { get; } = types;

    public Task<RunOutcome> RunAsync(TaskRun run, CancellationToken cancellationToken) => Task.FromResult(RunOutcome.Completed());
}
