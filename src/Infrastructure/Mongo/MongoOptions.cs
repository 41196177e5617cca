namespace TaskService.Infrastructure.Mongo;

public sealed class MongoOptions
{
    public const string Section = "Mongo";

    public string ConnectionString { get; set; } = "mongodb://localhost:27017";

    public string Database { get; set; } = "taskservice";

    /// <summary>"majority" (the default), or a number of members that must acknowledge each write.</summary>
    public string WriteConcern { get; set; } = "majority";

    /// <summary>How long a request waits for a reachable server before it fails with 503.</summary>
    public TimeSpan ServerSelectionTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long start-up waits for MongoDB before the service gives up with a message.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
