using MongoDB.Driver;

namespace TaskService.Infrastructure.Mongo;

/// <summary>MongoDB cannot be reached or cannot take writes right now, whatever form the driver gives it.</summary>
internal static class MongoErrors
{
    public static Task Translate(Func<Task> operation) => StoreErrors.Translate(operation, "MongoDB", IsUnavailable);

    public static Task<T> Translate<T>(Func<Task<T>> operation) => StoreErrors.Translate(operation, "MongoDB", IsUnavailable);

    public static bool IsUnavailable(Exception exception) => exception is TimeoutException
        or MongoConnectionException
        or MongoNotPrimaryException
        or MongoNodeIsRecoveringException
        or MongoWaitQueueFullException
        or MongoExecutionTimeoutException;
}
