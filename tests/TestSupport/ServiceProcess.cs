using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TaskService.TestSupport;

/// <summary>
/// The service as a real child process (the built TaskService.Api.dll), for tests that kill it (SIGKILL) or run
/// several instances side by side.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        process.OutputDataReceived += (_, line) => Append(line.Data);
        process.ErrorDataReceived += (_, line) => Append(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The server token every process started here accepts (see <see cref="StoreSettingsAsync"/>).</summary>
    public const string Token = "service-process-token";

    public Uri Address { get; }

    /// <summary>
    /// Settings for a service on a fresh store of its own: a new SQLite file, or a new database on the test MongoDB;
    /// with <see cref="Token"/> as its server token. Processes given the same settings share that store.
    /// </summary>
    public static async Task<Dictionary<string, string>> StoreSettingsAsync(string provider, string prefix)
    {
        var settings = new Dictionary<string, string>
        {
            ["Storage:Provider"] = provider,
            ["Auth:ServerTokens:0"] = Token,
        };
        if (provider == "Sqlite")
        {
            settings["Sqlite:Path"] = Path.Combine(Path.GetTempPath(), "taskservice-tests", $"{prefix}-{Guid.NewGuid():N}.db");
        }
        else
        {
            var mongo = await TestMongo.SharedAsync();
            settings["Mongo:ConnectionString"] = mongo.ConnectionString;
            settings["Mongo:Database"] = TestMongo.NewDatabaseName(prefix);
        }

        return settings;
    }

    /// <summary>A client of this process that authenticates with <see cref="Token"/>.</summary>
    public HttpClient CreateClient()
    {
        var client = new HttpClient { BaseAddress = Address };
        client.DefaultRequestHeaders.Add("X-Tidepool-Session-Token", Token);
        return client;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the service with the given settings (as environment variables) and waits until it answers.</summary>
    public static async Task<ServiceProcess> StartAsync(IReadOnlyDictionary<string, string> settings, TimeSpan? timeout = null)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { ApiAssemblyPath() },
            WorkingDirectory = Path.GetDirectoryName(ApiAssemblyPath())!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var service = new ServiceProcess(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"));
        await service.WaitUntilAnsweringAsync(timeout ?? TimeSpan.FromSeconds(60));
        return service;
    }

    /// <summary>Ends the process at once, as a crash or an OOM kill would: no shutdown code runs.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>Asks for a graceful stop (SIGTERM) and waits for the exit.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var terminate = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await terminate.WaitForExitAsync();
        }

        using var cancellation = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancellation.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
        await Task.CompletedTask;
    }

    private async Task WaitUntilAnsweringAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with {_process.ExitCode} at start:\n{Output}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The service did not answer within {timeout}:\n{Output}");
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The Api built in the same configuration as the running tests (bin/Debug or bin/Release).</summary>
    private static string ApiAssemblyPath()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = RepositoryRoot.Combine("src", "Api", "bin", configuration, "net10.0", "TaskService.Api.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the solution first: {path} is missing.", path);
    }
}
