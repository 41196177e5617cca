using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskService.Application.Common.Interfaces;
using TaskService.Application.Tasks.Execution;
using TaskService.Domain.Tasks;
using TaskService.Infrastructure.Engine;
using TaskService.Infrastructure.Mongo;
using TaskService.Infrastructure.Runners;
using TaskService.Infrastructure.Sqlite;

namespace TaskService.Infrastructure;

public static class DependencyInjection
{
    public const string ProviderSetting = "Storage:Provider";

    public static IHostApplicationBuilder AddInfrastructure(this IHostApplicationBuilder builder)
    {
        var provider = builder.Configuration[ProviderSetting] ?? "Sqlite";
        switch (provider.ToUpperInvariant())
        {
            case "SQLITE":
                AddSqlite(builder);
                break;
            case "MONGO":
                AddMongo(builder);
                break;
            default:
                throw new InvalidOperationException(
                    $"Unknown {ProviderSetting} '{provider}': use Sqlite or Mongo.");
        }

        AddEngine(builder);
        return builder;
    }

    private static void AddEngine(IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(EngineOptions.Section);
        builder.Services.AddOptions<EngineOptions>().Bind(section);
        var gracePeriod = section.GetValue<TimeSpan?>(nameof(EngineOptions.ShutdownGracePeriod)) ?? new EngineOptions().ShutdownGracePeriod;
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = gracePeriod + TimeSpan.FromSeconds(15));
        builder.Services.AddSingleton<TaskSignal>();
        builder.Services.AddSingleton<ITaskSignal>(services => services.GetRequiredService<TaskSignal>());
        builder.Services.AddSingleton<TaskEngine>();
        builder.Services.AddHostedService(services => services.GetRequiredService<TaskEngine>());
        builder.Services.AddHttpTaskRunner(builder.Configuration);
        if (builder.Configuration.GetSection(NoOpTaskRunner.TypesSetting).Get<string[]>() is { Length: > 0 } noOpTypes)
        {
            builder.Services.AddSingleton<ITaskRunner>(new NoOpTaskRunner(noOpTypes));
        }
    }

    private static void AddMongo(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MongoOptions>().Bind(builder.Configuration.GetSection(MongoOptions.Section));
        builder.Services.AddSingleton<MongoTaskCollection>();
        builder.Services.AddSingleton<MongoTaskRepository>();
        builder.Services.AddSingleton<ITaskRepository>(services => services.GetRequiredService<MongoTaskRepository>());
        builder.Services.AddSingleton<ITaskQueries>(services => services.GetRequiredService<MongoTaskRepository>());
        builder.Services.AddSingleton<ITaskDispatchStore, MongoDispatchStore>();
        builder.Services.AddHostedService<MongoStartup>();
    }

    private static void AddSqlite(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SqliteOptions>().Bind(builder.Configuration.GetSection(SqliteOptions.Section));
        builder.Services.AddSingleton<SqliteDatabase>();
        builder.Services.AddSingleton<SqliteTaskRepository>();
        builder.Services.AddSingleton<ITaskRepository>(services => services.GetRequiredService<SqliteTaskRepository>());
        builder.Services.AddSingleton<ITaskQueries>(services => services.GetRequiredService<SqliteTaskRepository>());
        builder.Services.AddSingleton<ITaskDispatchStore, SqliteDispatchStore>();
        builder.Services.AddHostedService<SqliteStartup>();
    }
}
