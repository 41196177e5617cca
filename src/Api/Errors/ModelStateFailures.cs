using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using TaskService.Application.Common.Exceptions;
using TaskService.Application.Common.Validation;

namespace TaskService.Api.Errors;

/// <summary>
/// Turns what model binding rejected (a body that is not JSON, an unknown property, a value of the wrong type,
/// a query value that is not an integer) into the same <see cref="ValidationException"/> the validators throw,
/// with messages about the request rather than about .NET types.
/// </summary>
public static partial class ModelStateFailures
{
    public static ValidationException ToException(ModelStateDictionary modelState)
    {
        var failures = modelState
            .Where(entry => entry.Value is { Errors.Count: > 0 })
            .SelectMany(entry => entry.Value!.Errors.Select(error => Describe(entry.Key, error)))
            .OfType<ValidationFailure>()
            .DistinctBy(failure => failure.Source)
            .ToList();
        return new ValidationException(failures.Count > 0 ? failures : [new ValidationFailure("", "A JSON object is required as the request body.")]);
    }

    private static ValidationFailure? Describe(string key, ModelError error)
    {
        var message = error.ErrorMessage.Length > 0 ? error.ErrorMessage : error.Exception?.Message ?? "";
        if (UnmappedProperty().Match(message) is { Success: true } unmapped)
        {
            var property = unmapped.Groups["name"].Value;
            return new ValidationFailure($"/{property}", $"'{property}' is not a property this operation takes.");
        }

        if (RequiredParameter().IsMatch(message) || message.Contains("request body is required", StringComparison.OrdinalIgnoreCase))
        {
            // MVC adds this beside the real reason whenever the body could not be read; alone, the body was empty.
            return null;
        }

        if (!key.StartsWith('$'))
        {
            // A query or route value that did not convert, e.g. page=abc.
            return new ValidationFailure(key, $"{key} must be an integer.");
        }

        var pointer = ToPointer(key);
        var field = pointer.Length == 0 ? "The request body" : pointer.TrimStart('/');
        if (message.Contains("could not be converted to", StringComparison.Ordinal))
        {
            return new ValidationFailure(pointer, pointer.Length == 0
                ? "The request body must be a JSON object."
                : $"{field} has a value of the wrong type.{ExpectedType(field)}");
        }

        return new ValidationFailure(pointer, pointer.Length == 0
            ? $"The request body is not valid JSON: {StripLocation(message)}"
            : StripLocation(message));
    }

    private static string ExpectedType(string field) => field switch
    {
        "priority" => " It must be an integer from 0 to 2147483647.",
        "name" or "type" => " It must be a string.",
        "availableTime" or "expirationTime" => " It must be an RFC 3339 time with a zone, for example 2026-01-02T03:04:05Z.",
        _ => "",
    };

    private static string ToPointer(string key) =>
        key.TrimStart('$').Replace("['", ".", StringComparison.Ordinal).Replace("']", "", StringComparison.Ordinal)
            .Replace('.', '/').TrimEnd('/') is var pointer && pointer.Length > 0 && pointer[0] != '/' ? "/" + pointer : pointer;

    private static string StripLocation(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        var withoutPath = cut >= 0 ? message[..cut] : message;
        cut = withoutPath.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut >= 0 ? withoutPath[..cut] : withoutPath).Trim();
    }

    [GeneratedRegex(@"^The \w+ field is required\.$")]
    private static partial Regex RequiredParameter();

    [GeneratedRegex("The JSON property '(?<name>.*)' could not be mapped")]
    private static partial Regex UnmappedProperty();
}
