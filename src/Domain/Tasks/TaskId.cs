using System.Security.Cryptography;
using TaskService.Domain.Common;

namespace TaskService.Domain.Tasks;

/// <summary>32 lowercase hex characters from a cryptographic random source: not guessable, not time-ordered.</summary>
public sealed record TaskId
{
    public const int Length = 32;

    private TaskId(string value) => Value = value;

    public string Value { get; }

    public static TaskId New() => new(RandomNumberGenerator.GetHexString(Length, lowercase: true));

    public static bool IsValid(string? value) =>
        value is { Length: Length } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    public static TaskId Parse(string value) =>
        IsValid(value) ? new TaskId(value) : throw new DomainException($"'{value}' is not a task id: it must be {Length} lowercase hex characters.");

    public override string ToString() => Value;
}
