using MongoDB.Bson;
using TaskService.Domain.Common;
using TaskService.Domain.Tasks;

namespace TaskService.Infrastructure.Mongo;

/// <summary>Maps a task to its document in the <c>tasks</c> collection and back. <c>_id</c> is the task id.</summary>
internal static class TaskDocumentMapper
{
    public static BsonDocument ToDocument(TaskSnapshot task)
    {
        var document = new BsonDocument
        {
            { Fields.Id, task.Id },
            { Fields.Name, task.Name },
            { Fields.Type, task.Type },
            { Fields.Priority, task.Priority },
            { Fields.Data, TaskDataBson.ToBson(task.Data) },
            { Fields.AvailableTime, task.AvailableTime },
            { Fields.ExpirationTime, task.ExpirationTime },
            { Fields.State, task.State.ToWireName() },
            { Fields.CreatedTime, task.CreatedTime },
            { Fields.ModifiedTime, task.ModifiedTime },
            { Fields.Attempts, task.Attempts },
            { Fields.Version, task.Version },
        };
        AddIfPresent(document, Fields.Error, task.Error);
        AddIfPresent(document, Fields.RunTime, task.RunTime);
        AddIfPresent(document, Fields.Duration, task.Duration);
        AddIfPresent(document, Fields.ClaimToken, task.ClaimToken);
        AddIfPresent(document, Fields.LeaseExpiresTime, task.LeaseExpiresTime);
        return document;
    }

    public static BackgroundTask ToTask(BsonDocument document) => BackgroundTask.Restore(new TaskSnapshot(
        document[Fields.Id].AsString,
        document[Fields.Name].AsString,
        document[Fields.Type].AsString,
        document[Fields.Priority].ToInt32(),
        TaskDataBson.FromBson(document[Fields.Data].AsBsonDocument),
        Instant.Normalize(document[Fields.AvailableTime].ToUniversalTime()),
        Instant.Normalize(document[Fields.ExpirationTime].ToUniversalTime()),
        ParseState(document[Fields.State].AsString),
        document.TryGetValue(Fields.Error, out var error) ? error.AsString : null,
        document.TryGetValue(Fields.RunTime, out var runTime) ? Instant.Normalize(runTime.ToUniversalTime()) : null,
        document.TryGetValue(Fields.Duration, out var duration) ? duration.ToDouble() : null,
        Instant.Normalize(document[Fields.CreatedTime].ToUniversalTime()),
        Instant.Normalize(document[Fields.ModifiedTime].ToUniversalTime()),
        document.TryGetValue(Fields.Attempts, out var attempts) ? attempts.ToInt32() : 0,
        document.TryGetValue(Fields.ClaimToken, out var claimToken) ? claimToken.AsString : null,
        document.TryGetValue(Fields.LeaseExpiresTime, out var lease) ? Instant.Normalize(lease.ToUniversalTime()) : null,
        document.TryGetValue(Fields.Version, out var version) ? version.ToInt64() : 0));

    public static TaskState ParseState(string value) =>
        TaskStateExtensions.TryParseWireName(value, out var state)
            ? state
            : throw new InvalidOperationException($"Stored task has an unknown state '{value}'.");

    private static void AddIfPresent(BsonDocument document, string name, string? value)
    {
        if (value is not null)
        {
            document.Add(name, value);
        }
    }

    private static void AddIfPresent(BsonDocument document, string name, DateTime? value)
    {
        if (value is { } time)
        {
            document.Add(name, time);
        }
    }

    private static void AddIfPresent(BsonDocument document, string name, double? value)
    {
        if (value is { } number)
        {
            document.Add(name, number);
        }
    }

    public static class Fields
    {
        public const string Id = "_id";
        public const string Name = "name";
        public const string Type = "type";
        public const string Priority = "priority";
        public const string Data = "data";
        public const string AvailableTime = "availableTime";
        public const string ExpirationTime = "expirationTime";
        public const string State = "state";
        public const string Error = "error";
        public const string RunTime = "runTime";
        public const string Duration = "duration";
        public const string CreatedTime = "createdTime";
        public const string ModifiedTime = "modifiedTime";
        public const string Attempts = "attempts";
        public const string ClaimToken = "claimToken";
        public const string LeaseExpiresTime = "leaseExpiresTime";
        public const string Version = "version";
    }
}
