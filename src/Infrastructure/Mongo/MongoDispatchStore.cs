using MongoDB.Bson;
using MongoDB.Driver;
using TaskService.Application.Tasks.Execution;
using TaskService.Domain.Tasks;
using static TaskService.Infrastructure.Mongo.TaskDocumentMapper;

namespace TaskService.Infrastructure.Mongo;

public sealed class MongoDispatchStore(MongoTaskCollection tasks) : ITaskDispatchStore
{
    private static readonly FilterDefinitionBuilder<BsonDocument> Filter = Builders<BsonDocument>.Filter;
    private static readonly UpdateDefinitionBuilder<BsonDocument> Update = Builders<BsonDocument>.Update;
    private static readonly string Pending = TaskState.Pending.ToWireName();
    private static readonly string Running = TaskState.Running.ToWireName();

    /// <summary>The claim order; with the equality on state and type it is the claim index's key order.</summary>
    private static readonly SortDefinition<BsonDocument> ClaimOrder =
        Builders<BsonDocument>.Sort.Descending(Fields.Priority).Ascending(Fields.AvailableTime).Ascending(Fields.CreatedTime);

    public Task<BackgroundTask?> ClaimNextAsync(
        IReadOnlyCollection<string> types, DateTime now, string claimToken, DateTime leaseExpiresTime, CancellationToken cancellationToken) =>
        MongoErrors.Translate(async () =>
        {
            var filter = Filter.Eq(Fields.State, Pending)
                & (types.Count == 1 ? Filter.Eq(Fields.Type, types.First()) : Filter.In(Fields.Type, types))
                & Filter.Lte(Fields.AvailableTime, now)
                & Filter.Gt(Fields.ExpirationTime, now);
            var update = Update
                .Set(Fields.State, Running)
                .Set(Fields.RunTime, now)
                .Set(Fields.ClaimToken, claimToken)
                .Set(Fields.LeaseExpiresTime, leaseExpiresTime)
                .Set(Fields.ModifiedTime, now)
                .Inc(Fields.Attempts, 1)
                .Inc(Fields.Version, 1L);
            var claimed = await tasks.Collection.FindOneAndUpdateAsync(filter, update, new FindOneAndUpdateOptions<BsonDocument>
            {
                Sort = ClaimOrder,
                ReturnDocument = ReturnDocument.After,
                Hint = MongoTaskCollection.ClaimIndexName,
            }, cancellationToken);
            return claimed is null ? null : ToTask(claimed);
        });

    public Task<bool> RenewLeaseAsync(TaskId id, string claimToken, DateTime leaseExpiresTime, CancellationToken cancellationToken) =>
        MongoErrors.Translate(async () =>
        {
            // Bumps the version too, so that a concurrent version-conditional save re-reads and keeps the new lease.
            var result = await tasks.Collection.UpdateOneAsync(
                Filter.Eq(Fields.Id, id.Value) & Filter.Eq(Fields.ClaimToken, claimToken) & Filter.Eq(Fields.State, Running),
                Update.Set(Fields.LeaseExpiresTime, leaseExpiresTime).Inc(Fields.Version, 1L),
                cancellationToken: cancellationToken);
            return result.MatchedCount > 0;
        });

    public Task<IReadOnlySet<string>> StillClaimedAsync(IReadOnlyCollection<ClaimedRun> runs, CancellationToken cancellationToken) =>
        MongoErrors.Translate<IReadOnlySet<string>>(async () =>
        {
            if (runs.Count == 0)
            {
                return new HashSet<string>();
            }

            var stored = await tasks.Collection
                .Find(Filter.In(Fields.Id, runs.Select(run => run.Id)) & Filter.Eq(Fields.State, Running))
                .Project(Builders<BsonDocument>.Projection.Include(Fields.ClaimToken))
                .ToListAsync(cancellationToken);
            var tokens = stored.ToDictionary(document => document[Fields.Id].AsString, document => document.GetValue(Fields.ClaimToken, BsonNull.Value));
            return runs.Where(run => tokens.TryGetValue(run.Id, out var token) && token.IsString && token.AsString == run.ClaimToken)
                .Select(run => run.Id)
                .ToHashSet();
        });

    public Task<IReadOnlyList<BackgroundTask>> FindOverdueAsync(DateTime now, int limit, CancellationToken cancellationToken) =>
        MongoErrors.Translate<IReadOnlyList<BackgroundTask>>(async () =>
        {
            var expired = await tasks.Collection
                .Find(Filter.Eq(Fields.State, Pending) & Filter.Lte(Fields.ExpirationTime, now))
                .Limit(limit)
                .ToListAsync(cancellationToken);
            var abandoned = await tasks.Collection
                .Find(Filter.Eq(Fields.State, Running) & Filter.Lte(Fields.LeaseExpiresTime, now))
                .Limit(limit)
                .ToListAsync(cancellationToken);
            return expired.Concat(abandoned).Select(ToTask).ToList();
        });
}
