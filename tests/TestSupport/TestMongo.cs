using System.Diagnostics;

namespace TaskService.TestSupport;

/// <summary>
/// The MongoDB the tests use: the server named by <c>TASKSERVICE_TEST_MONGO</c> when set (a real MongoDB 6+),
/// otherwise the project's wire-protocol emulator (tests/MongoEmulator, over Debian's python3-mongomock),
/// started on a free loopback port. Never skips: when neither is available it fails and says how to get one.
/// </summary>
public sealed class TestMongo : IAsyncDisposable
{
    public const string EnvironmentVariable = "TASKSERVICE_TEST_MONGO";
    private const string Python = "/usr/bin/python3";

    private static readonly SemaphoreSlim SharedLock = new(1, 1);
    private static TestMongo? _shared;

    private readonly Process? _emulator;

    private TestMongo(string connectionString, Process? emulator)
    {
        ConnectionString = connectionString;
        _emulator = emulator;
    }

    public string ConnectionString { get; }

    public bool IsEmulator => _emulator is not null;

    /// <summary>One server for the whole test run; tests isolate themselves with <see cref="NewDatabaseName"/>.</summary>
    public static async Task<TestMongo> SharedAsync()
    {
        await SharedLock.WaitAsync();
        try
        {
            return _shared ??= await StartAsync();
        }
        finally
        {
            SharedLock.Release();
        }
    }

    public static async Task<TestMongo> StartAsync(int port = 0)
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new TestMongo(external, null);
        }

        var endpoint = await StartEmulatorAsync(port);
        return new TestMongo($"mongodb://{endpoint.Address}/?serverSelectionTimeoutMS=5000", endpoint.Process);
    }

    public static string NewDatabaseName(string prefix = "test") => $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 33)];

    /// <summary>Starts an emulator on a given port (0: any free port) and returns its address and process.</summary>
    public static async Task<(string Address, Process Process)> StartEmulatorAsync(int port)
    {
        var script = RepositoryRoot.Combine("tests", "MongoEmulator", "mongo_wire_server.py");
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException(HowToGetOne($"{Python} is missing"));
        }

        var start = new ProcessStartInfo(Python)
        {
            ArgumentList = { script, "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException(HowToGetOne("the emulator did not start"));
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, line) =>
        {
            lock (errors)
            {
                errors.AppendLine(line.Data);
            }
        };
        process.BeginErrorReadLine();

        var ready = process.StandardOutput.ReadLineAsync();
        if (await Task.WhenAny(ready, Task.Delay(TimeSpan.FromSeconds(30))) != ready || ready.Result is not { } line
            || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            string detail;
            lock (errors)
            {
                detail = errors.ToString().Trim();
            }

            throw new InvalidOperationException(HowToGetOne($"the emulator did not report a port: {detail}"));
        }

        return (line["listening ".Length..].Trim(), process);
    }

    public async ValueTask DisposeAsync()
    {
        if (_emulator is { HasExited: false })
        {
            _emulator.StandardInput.Close();
            if (!_emulator.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                _emulator.Kill(entireProcessTree: true);
            }
        }

        _emulator?.Dispose();
        await Task.CompletedTask;
    }

    private static string HowToGetOne(string problem) =>
        $"No MongoDB for the tests ({problem}). Either install the emulator's dependencies " +
        "(sudo apt-get install -y python3-mongomock python3-pymongo; `bash scripts/test.sh` does it for you), " +
        $"or set {EnvironmentVariable} to the connection string of a MongoDB 6+ server, e.g. mongodb://localhost:27017.";
}
