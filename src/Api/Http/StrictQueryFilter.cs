using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using TaskService.Application.Common.Exceptions;
using TaskService.Application.Common.Validation;

namespace TaskService.Api.Http;

/// <summary>
/// Rejects a query parameter the action does not declare, one given twice, or one given empty, before model
/// binding can silently ignore, merge or default it.
/// </summary>
public sealed class StrictQueryFilter : IResourceFilter
{
    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        var declared = context.ActionDescriptor.Parameters
            .Where(parameter => parameter.BindingInfo?.BindingSource == BindingSource.Query)
            .Select(parameter => parameter.BindingInfo?.BinderModelName ?? parameter.Name)
            .ToHashSet(StringComparer.Ordinal);
        var failures = new List<ValidationFailure>();
        foreach (var (name, values) in context.HttpContext.Request.Query)
        {
            if (!declared.Contains(name))
            {
                failures.Add(new ValidationFailure(name, declared.Count == 0
                    ? $"Unknown query parameter '{name}': this operation takes none."
                    : $"Unknown query parameter '{name}'. Known: {string.Join(", ", declared.Order(StringComparer.Ordinal))}."));
            }
            else if (values.Count > 1)
            {
                failures.Add(new ValidationFailure(name, $"Query parameter '{name}' is given {values.Count} times; give it once."));
            }
            else if (string.IsNullOrEmpty(values[0]))
            {
                failures.Add(new ValidationFailure(name, $"Query parameter '{name}' is empty; leave it out or give a value."));
            }
        }

        if (failures.Count > 0)
        {
            throw new ValidationException(failures);
        }
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}
