namespace TaskService.Api.Errors;

/// <summary>The one error body of the API: <c>{"code", "message", "errors"?, "traceId"?}</c>.</summary>
public sealed record ErrorResponse(int Code, string Message, IReadOnlyList<ErrorDetail>? Errors = null, string? TraceId = null);

/// <param name="Source">A JSON pointer into the body (<c>/expirationTime</c>) or a parameter name (<c>size</c>).</param>
public sealed record ErrorDetail(string Source, string Message);
