using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;
using TaskService.Infrastructure.Mongo;
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

        return builder;
    }

    private static void AddMongo(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MongoOptions>().Bind(builder.Configuration.GetSection(MongoOptions.Section));
        builder.Services.AddSingleton<MongoTaskCollection>();
        builder.Services.AddSingleton<MongoTaskRepository>();
        builder.Services.AddSingleton<ITaskRepository>(services => services.GetRequiredService<MongoTaskRepository>());
        builder.Services.AddSingleton<ITaskQueries>(services => services.GetRequiredService<MongoTaskRepository>());
        builder.Services.AddHostedService<MongoStartup>();
    }

    private static void AddSqlite(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SqliteOptions>().Bind(builder.Configuration.GetSection(SqliteOptions.Section));
        builder.Services.AddSingleton<SqliteDatabase>();
        builder.Services.AddSingleton<SqliteTaskRepository>();
        builder.Services.AddSingleton<ITaskRepository>(services => services.GetRequiredService<SqliteTaskRepository>());
        builder.Services.AddSingleton<ITaskQueries>(services => services.GetRequiredService<SqliteTaskRepository>());
        builder.Services.AddHostedService<SqliteStartup>();
    }
}
