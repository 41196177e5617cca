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

namespace TaskService.Benchmarks;

/// <summary>
/// A loopback Kestrel endpoint the services' HTTP runner delivers to. It answers 200 at once (a no-op task) and
/// timestamps each delivery's arrival (<see cref="Stopwatch.GetTimestamp"/>) by task name.
/// </summary>
internal sealed class DeliveryEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _arrivals = new(StringComparer.Ordinal);
    private int _deliveries;

    private DeliveryEndpoint(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public int Deliveries => Volatile.Read(ref _deliveries);

    public static async Task<DeliveryEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var endpoint = new DeliveryEndpoint(app);
        app.Run(endpoint.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        endpoint.Url = new Uri(new Uri(address), "/deliveries");
        return endpoint;
    }

    /// <summary>The arrival timestamp of the first delivery of the task with this name.</summary>
    public Task<long> ArrivalOf(string name) => Arrival(name).Task;

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
        var name = body.RootElement.GetProperty("name").GetString()!;
        Arrival(name).TrySetResult(arrived);
        Interlocked.Increment(ref _deliveries);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }
}
