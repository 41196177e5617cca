using Microsoft.Data.Sqlite;

namespace TaskService.Infrastructure.Sqlite;

/// <summary>
/// The database file cannot be used right now: it cannot be opened or written, the disk failed or is full, or
/// another writer held the lock past the busy timeout.
/// </summary>
internal static class SqliteErrors
{
    public static Task Translate(Func<Task> operation) => StoreErrors.Translate(operation, "SQLite", IsUnavailable);

    public static Task<T> Translate<T>(Func<Task<T>> operation) => StoreErrors.Translate(operation, "SQLite", IsUnavailable);

    /// <summary>Primary result codes (https://www.sqlite.org/rescode.html) that are about the file, not the request.</summary>
    public static bool IsUnavailable(Exception exception) => exception is SqliteException
    {
        SqliteErrorCode: SQLitePCL.raw.SQLITE_PERM
            or SQLitePCL.raw.SQLITE_BUSY
            or SQLitePCL.raw.SQLITE_LOCKED
            or SQLitePCL.raw.SQLITE_NOMEM
            or SQLitePCL.raw.SQLITE_READONLY
            or SQLitePCL.raw.SQLITE_IOERR
            or SQLitePCL.raw.SQLITE_CORRUPT
            or SQLitePCL.raw.SQLITE_FULL
            or SQLitePCL.raw.SQLITE_CANTOPEN
            or SQLitePCL.raw.SQLITE_PROTOCOL
            or SQLitePCL.raw.SQLITE_NOTADB,
    };
}
