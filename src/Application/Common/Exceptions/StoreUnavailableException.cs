namespace TaskService.Application.Common.Exceptions;

/// <summary>The task store cannot be reached right now; the request may succeed when retried.</summary>
public sealed class StoreUnavailableException(string message, Exception innerException) : Exception(message, innerException);
