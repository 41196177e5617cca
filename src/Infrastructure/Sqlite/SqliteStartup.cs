using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TaskService.Infrastructure.Sqlite;

/// <summary>
/// Creates the database file and its directory when missing, switches it to write-ahead logging and creates or
/// upgrades the schema (idempotent); stops start-up with a message naming <c>Sqlite:Path</c> when the file cannot be used.
/// </summary>
internal sealed partial class SqliteStartup(SqliteDatabase database, ILogger<SqliteStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var path = database.FilePath;
        int found;
        string journalMode;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var connection = await database.OpenAsync(cancellationToken);
            if (SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1)
            {
                throw new InvalidOperationException(
                    $"The SQLite database file {path} (set by {SqliteOptions.Section}:Path) is read-only: give the service " +
                    "write access to it and its directory, or point the setting at another file.");
            }

            journalMode = await JournalModeAsync(connection, cancellationToken);
            found = await SqliteSchema.EnsureAsync(connection, path, cancellationToken);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or SqliteException)
        {
            throw new InvalidOperationException(
                $"Cannot use the SQLite database file {path} set by {SqliteOptions.Section}:Path ({exception.Message}). " +
                "Fix the setting or the permissions of the file and its directory, or choose Storage:Provider=Mongo.",
                exception);
        }

        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            LogNoWal(logger, path, journalMode);
        }

        if (found != SqliteSchema.Version)
        {
            LogUpgraded(logger, path, found, SqliteSchema.Version);
        }

        LogReady(logger, path, SqliteSchema.Version, journalMode, database.Synchronous);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        database.ClosePooledConnections();
        return Task.CompletedTask;
    }

    /// <summary>WAL is a property of the file, so setting it once here is enough; it returns the mode now in force.</summary>
    private static async Task<string> JournalModeAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;";
        return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) ?? "";
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Task store: SQLite file {Path}, schema version {Version}, journal mode {JournalMode}, synchronous {Synchronous}")]
    private static partial void LogReady(ILogger logger, string path, int version, string journalMode, string synchronous);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upgraded the SQLite schema of {Path} from version {From} to {To}")]
    private static partial void LogUpgraded(ILogger logger, string path, int from, int to);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The SQLite file {Path} stays in journal mode {JournalMode}: the file system does not support write-ahead logging, so readers and writers block each other")]
    private static partial void LogNoWal(ILogger logger, string path, string journalMode);
}
