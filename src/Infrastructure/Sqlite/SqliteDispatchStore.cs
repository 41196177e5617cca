using System.Globalization;
using TaskService.Application.Tasks.Execution;
using TaskService.Domain.Tasks;
using static TaskService.Infrastructure.Sqlite.SqliteTaskRepository;

namespace TaskService.Infrastructure.Sqlite;

public sealed class SqliteDispatchStore(SqliteDatabase database) : ITaskDispatchStore
{
    public Task<BackgroundTask?> ClaimNextAsync(
        IReadOnlyCollection<string> types, DateTime now, string claimToken, DateTime leaseExpiresTime, CancellationToken cancellationToken) =>
        SqliteErrors.Translate(() => database.WriteAsync(async command =>
        {
            var index = 0;
            foreach (var type in types)
            {
                command.Parameters.AddWithValue(string.Create(CultureInfo.InvariantCulture, $"@type{index++}"), type);
            }

            command.CommandText = ClaimSql(types.Count);
            command.Parameters.AddWithValue("@now", ToUnixMilliseconds(now));
            command.Parameters.AddWithValue("@token", claimToken);
            command.Parameters.AddWithValue("@lease", ToUnixMilliseconds(leaseExpiresTime));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? ToTask(reader) : null;
        }, cancellationToken));

    /// <summary>
    /// The claim, one statement run inside <c>BEGIN IMMEDIATE</c> so the choice and the claim happen under the write
    /// lock, for types bound as <c>@type0</c>…: each type's best candidate comes straight off <c>tasks_claim</c>
    /// without sorting; with several types the outer ORDER BY picks among at most one row per type (a single
    /// <c>IN (…)</c> would sort every runnable task instead).
    /// </summary>
    internal static string ClaimSql(int typeCount)
    {
        static string Candidate(int index, string columns) =>
            $"SELECT {columns} FROM tasks INDEXED BY tasks_claim WHERE state = 'pending' AND type = @type{index} " +
            "AND available_time <= @now AND expiration_time > @now ORDER BY priority DESC, available_time, created_time LIMIT 1";

        var choice = typeCount == 1
            ? Candidate(0, "id")
            : "SELECT id FROM (" + string.Join(" UNION ALL ", Enumerable.Range(0, typeCount)
                .Select(index => $"SELECT * FROM ({Candidate(index, "id, priority, available_time, created_time")})")) +
              ") ORDER BY priority DESC, available_time, created_time LIMIT 1";
        return "UPDATE tasks SET state = 'running', run_time = @now, claim_token = @token, lease_expires_time = @lease, " +
            "modified_time = @now, attempts = attempts + 1, version = version + 1 " +
            $"WHERE id = ({choice}) RETURNING {Columns};";
    }

    public Task<bool> RenewLeaseAsync(TaskId id, string claimToken, DateTime leaseExpiresTime, CancellationToken cancellationToken) =>
        SqliteErrors.Translate(async () =>
        {
            var renewed = await database.WriteAsync(command =>
            {
                // Bumps the version too, so that a concurrent version-conditional save re-reads and keeps the new lease.
                command.CommandText = "UPDATE tasks SET lease_expires_time = @lease, version = version + 1 " +
                    "WHERE id = @id AND claim_token = @token AND state = 'running';";
                command.Parameters.AddWithValue("@lease", ToUnixMilliseconds(leaseExpiresTime));
                command.Parameters.AddWithValue("@id", id.Value);
                command.Parameters.AddWithValue("@token", claimToken);
                return command.ExecuteNonQueryAsync(cancellationToken);
            }, cancellationToken);
            return renewed > 0;
        });

    public Task<IReadOnlySet<string>> StillClaimedAsync(IReadOnlyCollection<ClaimedRun> runs, CancellationToken cancellationToken) =>
        SqliteErrors.Translate<IReadOnlySet<string>>(async () =>
        {
            var stillClaimed = new HashSet<string>(StringComparer.Ordinal);
            if (runs.Count == 0)
            {
                return stillClaimed;
            }

            await using var connection = await database.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            var conditions = runs.Select((run, index) =>
            {
                command.Parameters.AddWithValue(string.Create(CultureInfo.InvariantCulture, $"@id{index}"), run.Id);
                command.Parameters.AddWithValue(string.Create(CultureInfo.InvariantCulture, $"@token{index}"), run.ClaimToken);
                return string.Create(CultureInfo.InvariantCulture, $"(id = @id{index} AND claim_token = @token{index})");
            });
            command.CommandText = $"SELECT id FROM tasks WHERE state = 'running' AND ({string.Join(" OR ", conditions)});";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stillClaimed.Add(reader.GetString(0));
            }

            return stillClaimed;
        });

    public Task<IReadOnlyList<BackgroundTask>> FindOverdueAsync(DateTime now, int limit, CancellationToken cancellationToken) =>
        SqliteErrors.Translate<IReadOnlyList<BackgroundTask>>(async () =>
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText =
                $"SELECT {Columns} FROM tasks WHERE state = 'pending' AND expiration_time <= @now LIMIT @limit; " +
                $"SELECT {Columns} FROM tasks WHERE state = 'running' AND lease_expires_time <= @now LIMIT @limit;";
            command.Parameters.AddWithValue("@now", ToUnixMilliseconds(now));
            command.Parameters.AddWithValue("@limit", limit);
            var overdue = new List<BackgroundTask>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    overdue.Add(ToTask(reader));
                }
            }
            while (await reader.NextResultAsync(cancellationToken));

            return overdue;
        });
}
