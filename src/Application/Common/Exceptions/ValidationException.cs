using TaskService.Application.Common.Validation;

namespace TaskService.Application.Common.Exceptions;

public sealed class ValidationException(IReadOnlyList<ValidationFailure> failures)
    : Exception(failures.Count == 1 ? failures[0].Message : $"The request has {failures.Count} problems.")
{
    public ValidationException(string source, string message)
        : this([new ValidationFailure(source, message)])
    {
    }

    public IReadOnlyList<ValidationFailure> Failures { get; } = failures;
}
