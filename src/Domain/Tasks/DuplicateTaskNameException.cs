using TaskService.Domain.Common;

namespace TaskService.Domain.Tasks;

public sealed class DuplicateTaskNameException(string name)
    : DomainException($"A task named '{name}' already exists; task names are unique.")
{
    public string Name { get; } = name;
}
