using Marketplace.Host.Photos;
using Marketplace.Host.Search;
using Marketplace.Host.Telemetry;
using Marketplace.Host.Web;
using Marketplace.Hosting;
using Marketplace.Identity;
using Marketplace.Payments;

namespace Marketplace.Host;

/// <summary>Builds the marketplace web application; <c>Program</c> runs it and the API tests start it on a loopback port.</summary>
public static class MarketplaceApp
{
    /// <summary>Creates the application from command-line style arguments (<c>--Storage:Provider=Memory</c>).</summary>
    /// <param name="args">Arguments; they override appsettings.json and environment variables.</param>
    /// <param name="customize">Changes to services before the app is built (tests change settings here).</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        // Name the application explicitly: under a test runner the entry assembly is the runner, and the sign-in pages
        // (in Marketplace.Identity, found as an application part of this assembly) would not be found.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ApplicationName = typeof(MarketplaceApp).Assembly.GetName().Name });
        builder.AddMarketplaceSilo();
        builder.Services.AddMarketplaceApi();
        builder.AddMarketplaceIdentity();
        builder.AddMarketplaceSearch();
        builder.AddMarketplacePhotos();
        builder.Services.AddMarketplacePayments(builder.Configuration);
        builder.AddMarketplaceTelemetry();
        builder.AddMarketplaceWeb();
        customize?.Invoke(builder);

        // The embedded mode's files are this process's alone while it runs (a restore or a second host is refused).
        var held = HostSetup.EmbeddedDataFolder(builder) is { } folder ? DataFolderLock.Acquire(folder) : null;
        WebApplication app;
        try
        {
            if (held is not null)
            {
                // A hosted service, so that the container makes it (and disposes it with the host), not an instance it would leave.
                builder.Services.AddHostedService(_ => new DataFolderLease(held));
            }

            app = builder.Build();
        }
        catch
        {
            held?.Dispose();
            throw;
        }

        app.UseMarketplaceApi();
        app.UseMarketplaceWeb();
        app.MapMarketplaceApi();
        app.MapMarketplaceWeb();
        return app;
    }
}

/// <summary>The host's hold on its data folder (<see cref="DataFolderLock"/>), released when the host stops or its services are disposed.</summary>
public sealed class DataFolderLease(FileStream held) : IHostedService, IDisposable
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        held.Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => held.Dispose();
}
