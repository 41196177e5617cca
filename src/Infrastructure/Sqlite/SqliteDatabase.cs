using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace TaskService.Infrastructure.Sqlite;

/// <summary>
/// The database file: where it is, and pooled connections to it with the per-connection settings applied on every
/// open. A statement that meets another writer's lock waits in SQLite's <c>busy_timeout</c>
/// (<see cref="SqliteOptions.BusyTimeout"/>); Microsoft.Data.Sqlite then retries a still-busy statement until its
/// command timeout, kept at one second so that the total wait stays close to the setting.
/// </summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;
    private readonly string _connectionPragmas;

    public SqliteDatabase(IOptions<SqliteOptions> options)
    {
        var settings = options.Value;
        FilePath = ResolvePath(settings.Path);
        if (settings.BusyTimeout < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{SqliteOptions.Section}:BusyTimeout cannot be negative.");
        }

        Synchronous = settings.Synchronous switch
        {
            SqliteSynchronous.Full => "FULL",
            SqliteSynchronous.Normal => "NORMAL",
            _ => throw new InvalidOperationException($"{SqliteOptions.Section}:Synchronous must be Full or Normal."),
        };
        var busyMilliseconds = (int)Math.Min(int.MaxValue, Math.Ceiling(settings.BusyTimeout.TotalMilliseconds));
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // Only bounds Microsoft.Data.Sqlite's own retry of SQLITE_BUSY (0 would mean forever), not query time.
            DefaultTimeout = 1,
        }.ToString();
        _connectionPragmas = string.Create(
            CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {busyMilliseconds}; PRAGMA synchronous = {Synchronous};");
    }

    /// <summary>The full path of the database file.</summary>
    public string FilePath { get; }

    /// <summary>The <c>PRAGMA synchronous</c> value every connection uses.</summary>
    public string Synchronous { get; }

    /// <summary>Opens a pooled connection and applies <c>busy_timeout</c> and <c>synchronous</c>.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = _connectionPragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs one write in a <c>BEGIN IMMEDIATE</c> transaction, which takes the write lock up front (waiting up to
    /// the busy timeout) so a write never fails half-way on a lock held by another process.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteCommand, Task<T>> write, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var result = await write(command);
        transaction.Commit();
        return result;
    }

    /// <summary>Closes the idle pooled connections, so the last one out checkpoints the write-ahead log.</summary>
    public void ClosePooledConnections()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    private static string ResolvePath(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidOperationException($"{SqliteOptions.Section}:Path is empty: set it to the database file to use.");
        }

        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception exception) when (exception is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new InvalidOperationException($"{SqliteOptions.Section}:Path '{path}' is not a usable file path: {exception.Message}", exception);
        }
    }
}
