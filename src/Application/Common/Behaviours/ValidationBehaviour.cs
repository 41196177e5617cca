using Mediator;
using TaskService.Application.Common.Exceptions;
using TaskService.Application.Common.Validation;

namespace TaskService.Application.Common.Behaviours;

public sealed class ValidationBehaviour<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public ValueTask<TResponse> Handle(
        TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var failures = validators.SelectMany(validator => validator.Validate(message)).ToList();
        if (failures.Count > 0)
        {
            throw new ValidationException(failures);
        }

        return next(message, cancellationToken);
    }
}
