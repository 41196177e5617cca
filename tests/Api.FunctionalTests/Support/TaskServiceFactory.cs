using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using TaskService.TestSupport;

namespace TaskService.Api.FunctionalTests.Support;

/// <summary>The real service in memory, wired to a real store: a database of its own on the test MongoDB, or a fresh SQLite file.</summary>
public sealed class TaskServiceFactory : WebApplicationFactory<Program>
{
    public const string ServerToken = "test-server-token";
    public const string SecondServerToken = "second-server-token";
    public const string ServiceSecret = "test-service-secret";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _configureServices;

    private TaskServiceFactory(Dictionary<string, string?> settings, Action<IServiceCollection>? configureServices)
    {
        _settings = settings;
        _configureServices = configureServices;
    }

    public string Provider => _settings["Storage:Provider"]!;

    public static async Task<TaskServiceFactory> CreateAsync(
        string provider,
        IDictionary<string, string?>? overrides = null,
        Action<IServiceCollection>? configureServices = null,
        string environment = "Testing")
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = provider,
            ["Auth:ServerTokens:0"] = ServerToken,
            ["Auth:ServerTokens:1"] = SecondServerToken,
            ["Auth:ServiceSecret"] = ServiceSecret,
            ["environment"] = environment,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        switch (provider)
        {
            case "Mongo":
                var mongo = await TestMongo.SharedAsync();
                settings["Mongo:ConnectionString"] = mongo.ConnectionString;
                settings["Mongo:Database"] = TestMongo.NewDatabaseName("api");
                break;
            case "Sqlite":
                settings["Sqlite:Path"] = Path.Combine(Path.GetTempPath(), "taskservice-tests", $"{Guid.NewGuid():N}.db");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "Mongo or Sqlite");
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new TaskServiceFactory(settings, configureServices);
    }

    public HttpClient CreateAuthorizedClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Tidepool-Session-Token", ServerToken);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_configureServices is not null)
        {
            builder.ConfigureServices(_configureServices);
        }
    }
}
