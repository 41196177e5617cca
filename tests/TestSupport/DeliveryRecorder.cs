using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TaskService.TestSupport;

/// <summary>
/// A real HTTP endpoint on loopback that the services' HTTP runner delivers to, for tests and benchmarks. It answers
/// 200 (after an optional delay) and records every delivery by task id, the arrival time of each task name's first
/// delivery, and whether a task was ever delivered twice at the same time.
/// </summary>
public sealed class DeliveryRecorder : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _deliveries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _arrivals = new(StringComparer.Ordinal);
    private readonly TimeSpan _delay;
    private int _concurrentDuplicates;
    private int _totalDeliveries;

    private DeliveryRecorder(WebApplication app, TimeSpan delay)
    {
        _app = app;
        _delay = delay;
    }

    public Uri Url { get; private set; } = null!;

    public IReadOnlyDictionary<string, int> Deliveries => _deliveries;

    public int ConcurrentDuplicates => Volatile.Read(ref _concurrentDuplicates);

    public int TotalDeliveries => Volatile.Read(ref _totalDeliveries);

    /// <summary>The <see cref="Stopwatch.GetTimestamp"/> at which the first delivery of the task with this name arrived.</summary>
    public Task<long> ArrivalOf(string name) => Arrival(name).Task;

    public static async Task<DeliveryRecorder> StartAsync(TimeSpan delay)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var recorder = new DeliveryRecorder(app, delay);
        app.Run(recorder.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        recorder.Url = new Uri(new Uri(address), "/deliveries");
        return recorder;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private TaskCompletionSource<long> Arrival(string name) =>
        _arrivals.GetOrAdd(name, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task HandleAsync(HttpContext context)
    {
        var arrived = Stopwatch.GetTimestamp();
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var id = body.RootElement.GetProperty("id").GetString()!;
        Arrival(body.RootElement.GetProperty("name").GetString()!).TrySetResult(arrived);
        Interlocked.Increment(ref _totalDeliveries);
        if (_inFlight.AddOrUpdate(id, 1, (_, count) => count + 1) > 1)
        {
            Interlocked.Increment(ref _concurrentDuplicates);
        }

        try
        {
            _deliveries.AddOrUpdate(id, 1, (_, count) => count + 1);
            if (_delay > TimeSpan.Zero)
            {
                await Task.Delay(_delay, context.RequestAborted);
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The runner gave up on this delivery (its run was cancelled or it timed out).
        }
        finally
        {
            _inFlight.AddOrUpdate(id, 0, (_, count) => count - 1);
        }
    }
}
