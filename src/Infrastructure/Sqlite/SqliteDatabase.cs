using System.Globalization;
using System.Threading.Channels;
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
    private const int MaxGroupSize = 256;

    private readonly string _connectionString;
    private readonly string _connectionPragmas;
    private readonly Channel<PendingWrite> _writes = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private int _writerStarted;

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
    /// Runs one write. Writes waiting together are committed together (group commit): one <c>BEGIN IMMEDIATE</c>
    /// transaction, one savepoint per write so that a failing write fails alone, and one sync to disk for the group,
    /// instead of one each. The write lock is taken up front (waiting up to the busy timeout), so a group never fails
    /// half-way on a lock held by another process. Each caller's task completes only after the commit: a write that
    /// returned is durable as <see cref="Synchronous"/> promises.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteCommand, Task<T>> write, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite(async command => await write(command), cancellationToken);
        await _writes.Writer.WriteAsync(pending, cancellationToken);
        EnsureWriter();
        return (T)(await pending.Completion.Task)!;
    }

    private void EnsureWriter()
    {
        if (Interlocked.CompareExchange(ref _writerStarted, 1, 0) == 0)
        {
            _ = Task.Run(WriteGroupsAsync);
        }
    }

    private async Task WriteGroupsAsync()
    {
        var group = new List<PendingWrite>(MaxGroupSize);
        while (await _writes.Reader.WaitToReadAsync())
        {
            while (group.Count < MaxGroupSize && _writes.Reader.TryRead(out var pending))
            {
                if (pending.CancellationToken.IsCancellationRequested)
                {
                    pending.Completion.TrySetCanceled(pending.CancellationToken);
                }
                else
                {
                    group.Add(pending);
                }
            }

            if (group.Count > 0)
            {
                await CommitGroupAsync(group);
                group.Clear();
            }
        }
    }

    private async Task CommitGroupAsync(List<PendingWrite> group)
    {
        var results = new object?[group.Count];
        var failures = new Exception?[group.Count];
        try
        {
            await using var connection = await OpenAsync(CancellationToken.None);
            await using var transaction = connection.BeginTransaction(deferred: false);
            for (var index = 0; index < group.Count; index++)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                transaction.Save("write");
                try
                {
                    results[index] = await group[index].Write(command);
                    transaction.Release("write");
                }
                catch (Exception exception)
                {
                    transaction.Rollback("write");
                    transaction.Release("write");
                    failures[index] = exception;
                }
            }

            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (Exception exception)
        {
            // The group did not commit (lock timeout, I/O error): nothing of it is stored, so every write fails.
            foreach (var pending in group)
            {
                pending.Completion.TrySetException(exception);
            }

            return;
        }

        for (var index = 0; index < group.Count; index++)
        {
            if (failures[index] is { } failure)
            {
                group[index].Completion.TrySetException(failure);
            }
            else
            {
                group[index].Completion.TrySetResult(results[index]);
            }
        }
    }

    private sealed record PendingWrite(Func<SqliteCommand, Task<object?>> Write, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
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
