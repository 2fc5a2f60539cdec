using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Marketplace.Host.Tests.Cluster;

/// <summary>
/// Forwards a loopback port to another (a storage endpoint), until <see cref="Vanish"/> closes every connection and
/// stops listening: to the host it looks as if its storage went away, without stopping the storage other tests share.
/// </summary>
internal sealed class TcpForwarder : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly CancellationTokenSource _stop = new();

    public TcpForwarder(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    /// <summary>The port that forwards to the target.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Stops listening and resets every open connection: from now on the endpoint refuses connections.</summary>
    public void Vanish()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var socket in _sockets)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose()
    {
        Vanish();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket inbound;
            try
            {
                inbound = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var outbound = new Socket(SocketType.Stream, ProtocolType.Tcp);
            _sockets.Add(inbound);
            _sockets.Add(outbound);
            _ = Task.Run(async () =>
            {
                try
                {
                    await outbound.ConnectAsync(_target, _stop.Token);
                    await Task.WhenAny(PumpAsync(inbound, outbound), PumpAsync(outbound, inbound));
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                }
                finally
                {
                    inbound.Close();
                    outbound.Close();
                }
            });
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }
}
