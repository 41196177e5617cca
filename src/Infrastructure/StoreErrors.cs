using TaskService.Application.Common.Exceptions;

namespace TaskService.Infrastructure;

/// <summary>Runs a store operation and turns the store's "cannot be used right now" failures into <see cref="StoreUnavailableException"/> (a 503).</summary>
internal static class StoreErrors
{
    public static async Task<T> Translate<T>(Func<Task<T>> operation, string store, Func<Exception, bool> isUnavailable)
    {
        try
        {
            return await operation();
        }
        catch (Exception exception) when (isUnavailable(exception))
        {
            throw new StoreUnavailableException($"The task store ({store}) is unavailable; try again shortly.", exception);
        }
    }

    public static Task Translate(Func<Task> operation, string store, Func<Exception, bool> isUnavailable) =>
        Translate(async () =>
        {
            await operation();
            return true;
        }, store, isUnavailable);
}
