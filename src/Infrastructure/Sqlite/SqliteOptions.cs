namespace TaskService.Infrastructure.Sqlite;

public sealed class SqliteOptions
{
    public const string Section = "Sqlite";

    /// <summary>
    /// The database file. A relative path is resolved against the current working directory; a missing directory
    /// is created at start-up. Several processes on one machine may share the file; a network file system may not.
    /// </summary>
    public string Path { get; set; } = "data/taskservice.db";

    /// <summary>
    /// <see cref="SqliteSynchronous.Full"/> (the default): a write that returned is on disk, the counterpart of
    /// MongoDB's journaled majority write. <see cref="SqliteSynchronous.Normal"/> trades durability on power loss for
    /// speed: the database stays consistent and a crash of the service loses nothing, but a power loss or operating
    /// system crash may undo the last writes that had already returned.
    /// </summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>How long an operation waits for the write lock held by another connection or process before it fails with 503.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>The values of SQLite's <c>PRAGMA synchronous</c> this service allows.</summary>
public enum SqliteSynchronous
{
    Full,
    Normal,
}
