using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using static TaskService.Infrastructure.Mongo.TaskDocumentMapper;

namespace TaskService.Infrastructure.Mongo;

/// <summary>The <c>tasks</c> collection with its client settings and indexes.</summary>
public sealed class MongoTaskCollection
{
    public const string CollectionName = "tasks";
    public const string ClaimIndexName = "claim";

    public MongoTaskCollection(IOptions<MongoOptions> options)
    {
        var settings = MongoClientSettings.FromConnectionString(options.Value.ConnectionString);
        settings.ServerSelectionTimeout = options.Value.ServerSelectionTimeout;
        settings.ConnectTimeout = options.Value.ConnectTimeout;
        var client = new MongoClient(settings);
        Collection = client.GetDatabase(options.Value.Database)
            .GetCollection<BsonDocument>(CollectionName)
            .WithWriteConcern(ParseWriteConcern(options.Value.WriteConcern));
    }

    public IMongoCollection<BsonDocument> Collection { get; }

    /// <summary>
    /// The unique index on name; one index per list filter combination, each ending in the list order
    /// (createdTime, _id descending) so that filtered, sorted, paged lists never scan the collection; the claim
    /// index (equality on state and type, then the claim order, then the expiration bound); and the sweep's two.
    /// </summary>
    public static IReadOnlyList<CreateIndexModel<BsonDocument>> Indexes { get; } =
    [
        new(Builders<BsonDocument>.IndexKeys.Ascending(Fields.Name), new CreateIndexOptions { Name = "name_unique", Unique = true }),
        ListIndex("list_all"),
        ListIndex("list_type", Fields.Type),
        ListIndex("list_state", Fields.State),
        ListIndex("list_type_state", Fields.Type, Fields.State),
        new(new BsonDocument
        {
            { Fields.State, 1 }, { Fields.Type, 1 }, { Fields.Priority, -1 }, { Fields.AvailableTime, 1 }, { Fields.CreatedTime, 1 },
            { Fields.ExpirationTime, 1 },
        }, new CreateIndexOptions { Name = ClaimIndexName }),
        new(new BsonDocument { { Fields.State, 1 }, { Fields.ExpirationTime, 1 } }, new CreateIndexOptions { Name = "sweep_expiration" }),
        new(new BsonDocument { { Fields.State, 1 }, { Fields.LeaseExpiresTime, 1 } }, new CreateIndexOptions { Name = "sweep_lease" }),
    ];

    public Task EnsureIndexesAsync(CancellationToken cancellationToken) =>
        MongoErrors.Translate(() => Collection.Indexes.CreateManyAsync(Indexes, cancellationToken));

    private static CreateIndexModel<BsonDocument> ListIndex(string name, params string[] equalityFields)
    {
        var keys = new BsonDocument();
        foreach (var field in equalityFields)
        {
            keys.Add(field, 1);
        }

        keys.Add(Fields.CreatedTime, -1);
        keys.Add(Fields.Id, -1);
        return new CreateIndexModel<BsonDocument>(keys, new CreateIndexOptions { Name = name });
    }

    private static WriteConcern ParseWriteConcern(string value) =>
        int.TryParse(value, out var members) ? new WriteConcern(members, journal: true) : new WriteConcern(value, journal: true);
}
