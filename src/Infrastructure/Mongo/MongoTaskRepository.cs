using MongoDB.Bson;
using MongoDB.Driver;
using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;
using static TaskService.Infrastructure.Mongo.TaskDocumentMapper;

namespace TaskService.Infrastructure.Mongo;

public sealed class MongoTaskRepository(MongoTaskCollection tasks) : ITaskRepository, ITaskQueries
{
    private static readonly FilterDefinitionBuilder<BsonDocument> Filter = Builders<BsonDocument>.Filter;

    private static readonly SortDefinition<BsonDocument> NewestFirst =
        Builders<BsonDocument>.Sort.Descending(Fields.CreatedTime).Descending(Fields.Id);

    public Task AddAsync(BackgroundTask task, CancellationToken cancellationToken) => MongoErrors.Translate(async () =>
    {
        try
        {
            await tasks.Collection.InsertOneAsync(ToDocument(task.ToSnapshot()), cancellationToken: cancellationToken);
        }
        catch (MongoWriteException exception) when (exception.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            throw new DuplicateTaskNameException(task.Name);
        }
    });

    public Task<BackgroundTask?> GetAsync(TaskId id, CancellationToken cancellationToken) => MongoErrors.Translate(async () =>
    {
        var document = await tasks.Collection.Find(Filter.Eq(Fields.Id, id.Value)).FirstOrDefaultAsync(cancellationToken);
        return document is null ? null : ToTask(document);
    });

    public Task<bool> SaveAsync(BackgroundTask task, CancellationToken cancellationToken) => MongoErrors.Translate(async () =>
    {
        var snapshot = task.ToSnapshot();
        var replacement = ToDocument(snapshot with { Version = snapshot.Version + 1 });
        var result = await tasks.Collection.ReplaceOneAsync(
            Filter.Eq(Fields.Id, snapshot.Id) & Filter.Eq(Fields.Version, snapshot.Version),
            replacement,
            cancellationToken: cancellationToken);
        if (result.MatchedCount == 0)
        {
            return false;
        }

        task.MarkStored();
        return true;
    });

    public Task<bool> DeleteAsync(TaskId id, CancellationToken cancellationToken) => MongoErrors.Translate(async () =>
    {
        var result = await tasks.Collection.DeleteOneAsync(Filter.Eq(Fields.Id, id.Value), cancellationToken);
        return result.DeletedCount > 0;
    });

    public Task<IReadOnlyList<BackgroundTask>> ListAsync(TaskListFilter filter, int page, int size, CancellationToken cancellationToken) =>
        MongoErrors.Translate<IReadOnlyList<BackgroundTask>>(async () =>
        {
            var skip = (long)page * size;
            if (skip > int.MaxValue)
            {
                return [];
            }

            var query = Filter.Empty;
            if (filter.Name is not null)
            {
                query &= Filter.Eq(Fields.Name, filter.Name);
            }

            if (filter.Type is not null)
            {
                query &= Filter.Eq(Fields.Type, filter.Type);
            }

            if (filter.State is { } state)
            {
                query &= Filter.Eq(Fields.State, state.ToWireName());
            }

            var documents = await tasks.Collection.Find(query).Sort(NewestFirst).Skip((int)skip).Limit(size).ToListAsync(cancellationToken);
            return documents.Select(ToTask).ToList();
        });
}
