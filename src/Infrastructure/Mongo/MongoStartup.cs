using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TaskService.Application.Common.Exceptions;

namespace TaskService.Infrastructure.Mongo;

/// <summary>Creates the indexes at start-up (idempotent), waiting a while for MongoDB; stops start-up when it never answers.</summary>
internal sealed partial class MongoStartup(MongoTaskCollection tasks, IOptions<MongoOptions> options, ILogger<MongoStartup> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + options.Value.StartupTimeout;
        while (true)
        {
            try
            {
                await tasks.EnsureIndexesAsync(cancellationToken);
                LogReady(logger, options.Value.Database, MongoTaskCollection.CollectionName);
                return;
            }
            catch (StoreUnavailableException exception) when (DateTime.UtcNow < deadline)
            {
                LogWaiting(logger, exception.InnerException?.GetType().Name ?? "unavailable");
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (StoreUnavailableException exception)
            {
                throw new InvalidOperationException(
                    $"Cannot reach MongoDB at the server named by {MongoOptions.Section}:ConnectionString within " +
                    $"{MongoOptions.Section}:StartupTimeout ({options.Value.StartupTimeout}). Start MongoDB, fix the setting, " +
                    "or choose Storage:Provider=Sqlite.",
                    exception);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Task store: MongoDB database {Database}, collection {Collection}, indexes ready")]
    private static partial void LogReady(ILogger logger, string database, string collection);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for MongoDB ({Reason})")]
    private static partial void LogWaiting(ILogger logger, string reason);
}
