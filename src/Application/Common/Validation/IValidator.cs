namespace TaskService.Application.Common.Validation;

/// <summary>Checks one message; the validation behaviour runs every validator registered for it.</summary>
public interface IValidator<in TMessage>
{
    IEnumerable<ValidationFailure> Validate(TMessage message);
}

/// <param name="Source">A JSON pointer into the body (<c>/expirationTime</c>) or a parameter name (<c>size</c>).</param>
public sealed record ValidationFailure(string Source, string Message);
