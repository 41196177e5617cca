using System.Globalization;
using Microsoft.Data.Sqlite;

namespace TaskService.Infrastructure.Sqlite;

/// <summary>
/// The schema of the database file, versioned by <c>PRAGMA user_version</c>: <see cref="Step"/> <c>n</c> upgrades
/// version <c>n - 1</c> to <c>n</c>. To change the schema, add the next step and raise <see cref="Version"/>; never
/// edit a step that has shipped. Every step also runs on a fresh file, in order, in one transaction.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>The version this code writes and understands.</summary>
    public const int Version = 2;

    private static string Step(int version) => version switch
    {
        // The table; the UNIQUE on name serves name look-ups, and one index per list filter combination ends in
        // the list order (created_time, id descending) so filtered, sorted, paged lists never sort or scan.
        1 => """
            CREATE TABLE IF NOT EXISTS tasks (
                id                 TEXT    NOT NULL PRIMARY KEY,
                name               TEXT    NOT NULL UNIQUE,
                type               TEXT    NOT NULL,
                priority           INTEGER NOT NULL,
                data               TEXT    NOT NULL,
                available_time     INTEGER NOT NULL,
                expiration_time    INTEGER NOT NULL,
                state              TEXT    NOT NULL,
                error              TEXT    NULL,
                run_time           INTEGER NULL,
                duration           REAL    NULL,
                created_time       INTEGER NOT NULL,
                modified_time      INTEGER NOT NULL,
                attempts           INTEGER NOT NULL,
                claim_token        TEXT    NULL,
                lease_expires_time INTEGER NULL,
                version            INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS tasks_list_all ON tasks (created_time DESC, id DESC);
            CREATE INDEX IF NOT EXISTS tasks_list_type ON tasks (type, created_time DESC, id DESC);
            CREATE INDEX IF NOT EXISTS tasks_list_state ON tasks (state, created_time DESC, id DESC);
            CREATE INDEX IF NOT EXISTS tasks_list_type_state ON tasks (type, state, created_time DESC, id DESC);
            """,
        // The execution engine: the claim index (equality on state and type, then the claim order) and the sweep's.
        2 => """
            CREATE INDEX IF NOT EXISTS tasks_claim ON tasks (state, type, priority DESC, available_time, created_time);
            CREATE INDEX IF NOT EXISTS tasks_sweep_expiration ON tasks (state, expiration_time);
            CREATE INDEX IF NOT EXISTS tasks_sweep_lease ON tasks (state, lease_expires_time);
            """,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "No schema step for this version."),
    };

    /// <summary>
    /// Brings the file to <see cref="Version"/> and returns the version it had. Safe to run again and from several
    /// processes at once: the upgrade holds the write lock and re-reads the version under it.
    /// </summary>
    public static async Task<int> EnsureAsync(SqliteConnection connection, string path, CancellationToken cancellationToken)
    {
        var found = await ReadVersionAsync(connection, null, cancellationToken);
        if (found < Version)
        {
            await using var transaction = connection.BeginTransaction(deferred: false);
            found = await ReadVersionAsync(connection, transaction, cancellationToken);
            for (var version = found + 1; version <= Version; version++)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = Step(version) + string.Create(CultureInfo.InvariantCulture, $"\nPRAGMA user_version = {version};");
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        if (found > Version)
        {
            throw new InvalidOperationException(
                $"The SQLite database {path} has schema version {found}, but this version of the service only knows " +
                $"schema versions up to {Version}. Run a newer version of the service, or point {SqliteOptions.Section}:Path at another file.");
        }

        return found;
    }

    private static async Task<int> ReadVersionAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
