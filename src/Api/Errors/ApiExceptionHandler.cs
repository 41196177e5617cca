using Microsoft.AspNetCore.Diagnostics;
using TaskService.Application.Common.Exceptions;
using TaskService.Domain.Common;
using TaskService.Domain.Tasks;

namespace TaskService.Api.Errors;

/// <summary>
/// The one place that turns exceptions into HTTP errors: validation 400, not found 404, a broken domain rule
/// (duplicate name, update of a finished task) 409, store down 503. Anything else is a 500 that says nothing
/// about internals; the detail goes to the log under the trace id the response carries.
/// </summary>
public sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            return true;
        }

        switch (exception)
        {
            case ValidationException validation:
                await ErrorWriter.WriteAsync(httpContext, StatusCodes.Status400BadRequest, validation.Message,
                    validation.Failures.Select(failure => new ErrorDetail(failure.Source, failure.Message)).ToList());
                break;
            case InvalidTaskDataException invalidData:
                await ErrorWriter.WriteAsync(httpContext, StatusCodes.Status400BadRequest, invalidData.Message,
                    [new ErrorDetail($"/data{invalidData.Path}", invalidData.Message)]);
                break;
            case NotFoundException notFound:
                await ErrorWriter.WriteAsync(httpContext, StatusCodes.Status404NotFound, notFound.Message);
                break;
            case DomainException domain:
                await ErrorWriter.WriteAsync(httpContext, StatusCodes.Status409Conflict, domain.Message);
                break;
            case StoreUnavailableException unavailable:
                LogStoreUnavailable(logger, ErrorWriter.TraceId(httpContext), unavailable.InnerException?.Message ?? unavailable.Message);
                httpContext.Response.Headers.RetryAfter = "1";
                await ErrorWriter.WriteAsync(httpContext, StatusCodes.Status503ServiceUnavailable, unavailable.Message);
                break;
            case BadHttpRequestException badRequest:
                await ErrorWriter.WriteAsync(httpContext, badRequest.StatusCode, badRequest.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? "The request body is larger than the configured limit."
                    : badRequest.Message);
                break;
            default:
                LogUnhandled(logger, exception, ErrorWriter.TraceId(httpContext));
                await ErrorWriter.WriteAsync(httpContext, StatusCodes.Status500InternalServerError,
                    "An internal error occurred. Quote the traceId when reporting it.");
                break;
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error, trace {TraceId}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string traceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task store unavailable, trace {TraceId}: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, string traceId, string reason);
}
