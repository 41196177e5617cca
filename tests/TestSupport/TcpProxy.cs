using System.Net;
using System.Net.Sockets;

namespace TaskService.TestSupport;

/// <summary>
/// A loopback TCP forwarder to simulate a store outage: <see cref="StopAsync"/> drops every connection and stops
/// listening; <see cref="StartAsync"/> listens again on the same port.
/// </summary>
public sealed class TcpProxy(string targetHost, int targetPort) : IAsyncDisposable
{
    private readonly List<TcpClient> _connections = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _stop;

    public int Port { get; private set; }

    public static TcpProxy ForMongo(string connectionString)
    {
        var uri = new Uri(connectionString.Split(',')[0]);
        return new TcpProxy(uri.Host, uri.Port is > 0 ? uri.Port : 27017);
    }

    public Task StartAsync()
    {
        _stop = new CancellationTokenSource();
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync(_listener, _stop.Token);
        return Task.CompletedTask;
    }

    public Task StopAsync()
    {
        _stop?.Cancel();
        _listener?.Stop();
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }

            _connections.Clear();
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop?.Dispose();
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var upstream = new TcpClient();
            try
            {
                await upstream.ConnectAsync(targetHost, targetPort, cancellationToken);
            }
            catch (Exception exception) when (exception is SocketException or OperationCanceledException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            lock (_connections)
            {
                _connections.Add(client);
                _connections.Add(upstream);
            }

            _ = PumpAsync(client, upstream);
            _ = PumpAsync(upstream, client);
        }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream());
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
