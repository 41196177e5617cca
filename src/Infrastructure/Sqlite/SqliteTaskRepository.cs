using System.Text;
using Microsoft.Data.Sqlite;
using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;

namespace TaskService.Infrastructure.Sqlite;

/// <summary>
/// The tasks in the <c>tasks</c> table, one row per task with <c>id</c> as its key. Every write is one statement
/// (no read before it), conditional on the version where it changes a task. Times are stored as Unix milliseconds.
/// </summary>
public sealed class SqliteTaskRepository(SqliteDatabase database) : ITaskRepository, ITaskQueries
{
    internal const string Columns =
        "id, name, type, priority, data, available_time, expiration_time, state, error, run_time, duration, " +
        "created_time, modified_time, attempts, claim_token, lease_expires_time, version";

    private const string InsertSql =
        "INSERT INTO tasks (" + Columns + ") VALUES (@id, @name, @type, @priority, @data, @available_time, " +
        "@expiration_time, @state, @error, @run_time, @duration, @created_time, @modified_time, @attempts, " +
        "@claim_token, @lease_expires_time, @version);";

    private const string UpdateSql =
        "UPDATE tasks SET name = @name, type = @type, priority = @priority, data = @data, available_time = @available_time, " +
        "expiration_time = @expiration_time, state = @state, error = @error, run_time = @run_time, duration = @duration, " +
        "created_time = @created_time, modified_time = @modified_time, attempts = @attempts, claim_token = @claim_token, " +
        "lease_expires_time = @lease_expires_time, version = @version + 1 WHERE id = @id AND version = @version;";

    private const string SelectByIdSql = "SELECT " + Columns + " FROM tasks WHERE id = @id;";

    private const string DeleteSql = "DELETE FROM tasks WHERE id = @id;";

    /// <summary>SQLITE_CONSTRAINT_UNIQUE: only <c>name</c> has a UNIQUE constraint (the id, a primary key, reports 1555).</summary>
    private const int UniqueViolation = 2067;

    public Task AddAsync(BackgroundTask task, CancellationToken cancellationToken) => SqliteErrors.Translate(async () =>
    {
        try
        {
            await database.WriteAsync(command =>
            {
                command.CommandText = InsertSql;
                Bind(command, task.ToSnapshot());
                return command.ExecuteNonQueryAsync(cancellationToken);
            }, cancellationToken);
        }
        catch (SqliteException exception) when (exception.SqliteExtendedErrorCode == UniqueViolation)
        {
            throw new DuplicateTaskNameException(task.Name);
        }
    });

    public Task<BackgroundTask?> GetAsync(TaskId id, CancellationToken cancellationToken) => SqliteErrors.Translate(async () =>
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = SelectByIdSql;
        command.Parameters.AddWithValue("@id", id.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ToTask(reader) : null;
    });

    public Task<bool> SaveAsync(BackgroundTask task, CancellationToken cancellationToken) => SqliteErrors.Translate(async () =>
    {
        var updated = await database.WriteAsync(command =>
        {
            command.CommandText = UpdateSql;
            Bind(command, task.ToSnapshot());
            return command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
        if (updated == 0)
        {
            return false;
        }

        task.MarkStored();
        return true;
    });

    public Task<bool> DeleteAsync(TaskId id, CancellationToken cancellationToken) => SqliteErrors.Translate(async () =>
    {
        var deleted = await database.WriteAsync(command =>
        {
            command.CommandText = DeleteSql;
            command.Parameters.AddWithValue("@id", id.Value);
            return command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
        return deleted > 0;
    });

    public Task<IReadOnlyList<BackgroundTask>> ListAsync(TaskListFilter filter, int page, int size, CancellationToken cancellationToken) =>
        SqliteErrors.Translate<IReadOnlyList<BackgroundTask>>(async () =>
        {
            ArgumentOutOfRangeException.ThrowIfNegative(page);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
            var skip = (long)page * size;
            if (skip > int.MaxValue)
            {
                return [];
            }

            await using var connection = await database.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = ListSql(filter);
            if (filter.Name is not null)
            {
                command.Parameters.AddWithValue("@name", filter.Name);
            }

            if (filter.Type is not null)
            {
                command.Parameters.AddWithValue("@type", filter.Type);
            }

            if (filter.State is { } state)
            {
                command.Parameters.AddWithValue("@state", state.ToWireName());
            }

            command.Parameters.AddWithValue("@limit", size);
            command.Parameters.AddWithValue("@offset", skip);

            var tasks = new List<BackgroundTask>(Math.Min(size, 1024));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tasks.Add(ToTask(reader));
            }

            return tasks;
        });

    /// <summary>The list query for the filters given in <paramref name="filter"/>, bound as @name, @type, @state, @limit, @offset.</summary>
    internal static string ListSql(TaskListFilter filter)
    {
        var conditions = new List<string>(3);
        if (filter.Name is not null)
        {
            conditions.Add("name = @name");
        }

        if (filter.Type is not null)
        {
            conditions.Add("type = @type");
        }

        if (filter.State is not null)
        {
            conditions.Add("state = @state");
        }

        var sql = new StringBuilder("SELECT " + Columns + " FROM tasks");
        if (conditions.Count > 0)
        {
            sql.Append(" WHERE ").AppendJoin(" AND ", conditions);
        }

        return sql.Append(" ORDER BY created_time DESC, id DESC LIMIT @limit OFFSET @offset;").ToString();
    }

    private static void Bind(SqliteCommand command, TaskSnapshot task)
    {
        var parameters = command.Parameters;
        parameters.AddWithValue("@id", task.Id);
        parameters.AddWithValue("@name", task.Name);
        parameters.AddWithValue("@type", task.Type);
        parameters.AddWithValue("@priority", task.Priority);
        parameters.AddWithValue("@data", task.Data.Json);
        parameters.AddWithValue("@available_time", ToUnixMilliseconds(task.AvailableTime));
        parameters.AddWithValue("@expiration_time", ToUnixMilliseconds(task.ExpirationTime));
        parameters.AddWithValue("@state", task.State.ToWireName());
        parameters.AddWithValue("@error", (object?)task.Error ?? DBNull.Value);
        parameters.AddWithValue("@run_time", task.RunTime is { } runTime ? ToUnixMilliseconds(runTime) : DBNull.Value);
        parameters.AddWithValue("@duration", task.Duration is { } duration ? duration : DBNull.Value);
        parameters.AddWithValue("@created_time", ToUnixMilliseconds(task.CreatedTime));
        parameters.AddWithValue("@modified_time", ToUnixMilliseconds(task.ModifiedTime));
        parameters.AddWithValue("@attempts", task.Attempts);
        parameters.AddWithValue("@claim_token", (object?)task.ClaimToken ?? DBNull.Value);
        parameters.AddWithValue("@lease_expires_time", task.LeaseExpiresTime is { } lease ? ToUnixMilliseconds(lease) : DBNull.Value);
        parameters.AddWithValue("@version", task.Version);
    }

    /// <summary>Reads a row selected with <see cref="Columns"/>, in that order.</summary>
    internal static BackgroundTask ToTask(SqliteDataReader row) => BackgroundTask.Restore(new TaskSnapshot(
        row.GetString(0),
        row.GetString(1),
        row.GetString(2),
        row.GetInt32(3),
        TaskData.Parse(row.GetString(4)),
        FromUnixMilliseconds(row.GetInt64(5)),
        FromUnixMilliseconds(row.GetInt64(6)),
        ParseState(row.GetString(7)),
        row.IsDBNull(8) ? null : row.GetString(8),
        row.IsDBNull(9) ? null : FromUnixMilliseconds(row.GetInt64(9)),
        row.IsDBNull(10) ? null : row.GetDouble(10),
        FromUnixMilliseconds(row.GetInt64(11)),
        FromUnixMilliseconds(row.GetInt64(12)),
        row.GetInt32(13),
        row.IsDBNull(14) ? null : row.GetString(14),
        row.IsDBNull(15) ? null : FromUnixMilliseconds(row.GetInt64(15)),
        row.GetInt64(16)));

    internal static long ToUnixMilliseconds(DateTime time) => new DateTimeOffset(
        time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    private static DateTime FromUnixMilliseconds(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds).UtcDateTime;

    private static TaskState ParseState(string value) =>
        TaskStateExtensions.TryParseWireName(value, out var state)
            ? state
            : throw new InvalidOperationException($"Stored task has an unknown state '{value}'.");
}
