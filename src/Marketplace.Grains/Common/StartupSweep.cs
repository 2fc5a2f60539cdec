using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Grains.Common;

/// <summary>
/// Work a silo does in the background once it is active (rebuilding matching partitions, recovering webhook outboxes)
/// and that stops with the silo: a host asked to stop while a sweep of a large store runs cancels the sweep and waits
/// for the call in flight, rather than letting it fail against a silo that is shutting down and log that as an error.
/// A one-off command that opens the silo briefly (seed, import, clients, users) turns the sweeps off with
/// <c>Recovery:OnStart=false</c>: the next start of the host runs them.
/// </summary>
public abstract class StartupSweep : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>The setting that turns every start-up sweep off (<c>Recovery:OnStart</c>, default true).</summary>
    public const string Setting = "Recovery:OnStart";

    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Completes when the sweep has finished, failed or stopped (it never throws).</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>True once the silo has begun to stop: a failure from then on is the shutdown's, not the sweep's.</summary>
    protected bool Stopping => _stopping.IsCancellationRequested;

    /// <summary>Registers a sweep as a singleton that starts when the silo is active, unless <see cref="Setting"/> is false.</summary>
    public static void Add<T>(ISiloBuilder silo, IConfiguration configuration)
        where T : StartupSweep
    {
        silo.Services.AddSingleton<T>();
        if (configuration.GetValue(Setting, true))
        {
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<T>());
        }
    }

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(GetType().Name, ServiceLifecycleStage.Active, OnStartAsync, OnStopAsync);

    /// <summary>The sweep itself; it handles its own failures and ends early when <paramref name="cancellationToken"/> fires.</summary>
    protected abstract Task RunAsync(CancellationToken cancellationToken);

    private Task OnStartAsync(CancellationToken cancellationToken)
    {
        // In the background: the host serves requests while the sweep runs.
        Completion = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task OnStopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            // Only the call in flight is waited for; the silo's own stop timeout bounds the wait.
            await Completion.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
