using System.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace TaskService.Api.Errors;

/// <summary>Writes <see cref="ErrorResponse"/> bodies; every error the API returns goes through here.</summary>
public static class ErrorWriter
{
    public const string TraceIdHeader = "X-Trace-Id";

    public static string TraceId(HttpContext context) => Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;

    public static Task WriteAsync(HttpContext context, int status, string message, IReadOnlyList<ErrorDetail>? errors = null)
    {
        var response = new ErrorResponse(status, message, errors is { Count: > 0 } ? errors : null, TraceId(context));
        context.Response.StatusCode = status;
        context.Response.Headers[TraceIdHeader] = response.TraceId;
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return context.Response.WriteAsJsonAsync(response, options, "application/json", context.RequestAborted);
    }
}
