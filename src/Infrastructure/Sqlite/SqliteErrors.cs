using Microsoft.Data.Sqlite;
using TaskService.Application.Common.Exceptions;

namespace TaskService.Infrastructure.Sqlite;

/// <summary>
/// Turns "the database file cannot be used right now" into <see cref="StoreUnavailableException"/> (a 503): it
/// cannot be opened or written, the disk failed or is full, or another writer held the lock past the busy timeout.
/// </summary>
internal static class SqliteErrors
{
    public static async Task Translate(Func<Task> operation)
    {
        try
        {
            await operation();
        }
        catch (SqliteException exception) when (IsUnavailable(exception))
        {
            throw Unavailable(exception);
        }
    }

    public static async Task<T> Translate<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (SqliteException exception) when (IsUnavailable(exception))
        {
            throw Unavailable(exception);
        }
    }

    /// <summary>Primary result codes (https://www.sqlite.org/rescode.html) that are about the file, not the request.</summary>
    public static bool IsUnavailable(SqliteException exception) => exception.SqliteErrorCode is
        SQLitePCL.raw.SQLITE_PERM
        or SQLitePCL.raw.SQLITE_BUSY
        or SQLitePCL.raw.SQLITE_LOCKED
        or SQLitePCL.raw.SQLITE_NOMEM
        or SQLitePCL.raw.SQLITE_READONLY
        or SQLitePCL.raw.SQLITE_IOERR
        or SQLitePCL.raw.SQLITE_CORRUPT
        or SQLitePCL.raw.SQLITE_FULL
        or SQLitePCL.raw.SQLITE_CANTOPEN
        or SQLitePCL.raw.SQLITE_PROTOCOL
        or SQLitePCL.raw.SQLITE_NOTADB;

    private static StoreUnavailableException Unavailable(Exception exception) =>
        new("The task store (SQLite) is unavailable; try again shortly.", exception);
}
