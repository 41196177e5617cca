using MongoDB.Driver;
using TaskService.Application.Common.Exceptions;

namespace TaskService.Infrastructure.Mongo;

/// <summary>Turns "MongoDB cannot be reached" into <see cref="StoreUnavailableException"/> (a 503), whatever form the driver gives it.</summary>
internal static class MongoErrors
{
    public static async Task Translate(Func<Task> operation)
    {
        try
        {
            await operation();
        }
        catch (Exception exception) when (IsUnavailable(exception))
        {
            throw Unavailable(exception);
        }
    }

    public static async Task<T> Translate<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (Exception exception) when (IsUnavailable(exception))
        {
            throw Unavailable(exception);
        }
    }

    public static bool IsUnavailable(Exception exception) => exception is TimeoutException
        or MongoConnectionException
        or MongoNotPrimaryException
        or MongoNodeIsRecoveringException
        or MongoWaitQueueFullException
        or MongoExecutionTimeoutException;

    private static StoreUnavailableException Unavailable(Exception exception) =>
        new("The task store (MongoDB) is unavailable; try again shortly.", exception);
}
