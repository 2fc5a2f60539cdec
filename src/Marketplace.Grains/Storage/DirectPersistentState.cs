using System.Collections.Concurrent;
using System.Diagnostics;
using Marketplace.Grains.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Serialization.Activators;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Marketplace.Grains.Storage;

/// <summary>
/// Makes every <c>[PersistentState]</c> of the marketplace's grains a <see cref="DirectPersistentState{TState}"/>: the
/// grain's reads and writes go to its storage provider directly. Orleans 10's own bridge first yields the grain's turn
/// (a work item through the activation's scheduler), queues the operation behind a lock and runs it through two async
/// layers, each of which resumes through that scheduler again: about a kilobyte and three scheduler hops for every
/// state read or written, a tenth of what a change allocated in the matching harness. Registered by
/// <see cref="AddTo"/> in place of Orleans' <c>PersistentStateFactory</c>.
/// </summary>
public sealed class DirectPersistentStateFactory(IServiceProvider services, MarketplaceMetrics metrics, ILogger<DirectPersistentStateFactory> logger)
    : IPersistentStateFactory
{
    private readonly ConcurrentDictionary<Type, object> _activators = new();

    /// <summary>What every state of the silo shares: the metrics, the log, and each state type's activator.</summary>
    internal MarketplaceMetrics Metrics => metrics;

    internal ILogger Logger => logger;

    /// <inheritdoc />
    public IPersistentState<TState> Create<TState>(IGrainContext context, IPersistentStateConfiguration cfg)
    {
        var store = string.IsNullOrWhiteSpace(cfg.StorageName)
            ? context.ActivationServices.GetService<IGrainStorage>()
            : context.ActivationServices.GetKeyedService<IGrainStorage>(cfg.StorageName);
        if (store is null)
        {
            throw new BadProviderConfigException(string.IsNullOrEmpty(cfg.StorageName)
                ? $"No default storage provider found loading grain type {context.GrainId.Type}."
                : $"No storage provider named \"{cfg.StorageName}\" found loading grain type {context.GrainId.Type}.");
        }

        var activator = (IActivator<TState>)_activators.GetOrAdd(typeof(TState),
            static (_, sp) => sp.GetRequiredService<IActivatorProvider>().GetActivator<TState>(), services);
        return new DirectPersistentState<TState>(cfg.StateName, context, store, activator, this);
    }

    /// <summary>Registers the factory after Orleans' own, so grains get it (the last registration is the one resolved).</summary>
    public static void AddTo(IServiceCollection services) => services.AddSingleton<IPersistentStateFactory, DirectPersistentStateFactory>();
}

/// <summary>
/// One persistent state of one grain activation, read at activation (the <c>SetupState</c> stage, as Orleans' bridge
/// does) and read, written and cleared by the grain through its storage provider, with what Orleans' bridge promises
/// the grain and nothing more:
/// <list type="bullet">
/// <item>operations on one state run one after another: one asked for while another is still running (a reentrant
/// grain writing twice) starts once that one has ended, whatever its outcome;</item>
/// <item>a failure that is not an <see cref="OrleansException"/> (SQLite's, Azure's) is logged and thrown as one, so
/// the API answers 503 with a retry time; an <see cref="InconsistentStateException"/> (another writer's ETag) passes
/// as it is, so the API answers 409;</item>
/// <item>clearing gives the grain a new, empty state.</item>
/// </list>
/// Unlike the bridge, an operation starts at once when no other is running (the state is serialized as it is when the
/// grain asks, not after the grain's turn went on), and its completion does not come back through the activation's
/// scheduler: only the grain's own await does. Durations are recorded on <see cref="MarketplaceMetrics"/>
/// (<c>marketplace.grain_state.duration</c>, by operation). Activation migration is not taken part in: a migrated
/// activation reads its state again, which the storage always holds as last written.
/// </summary>
/// <typeparam name="TState">The state's type.</typeparam>
public sealed class DirectPersistentState<TState> : IPersistentState<TState>, ILifecycleObserver
{
    private static readonly string ObserverName = typeof(DirectPersistentState<TState>).FullName ?? nameof(DirectPersistentState<TState>);

    private readonly string _name;
    private readonly IGrainContext _context;
    private readonly IGrainStorage _store;
    private readonly IActivator<TState> _activator;
    private readonly DirectPersistentStateFactory _shared;
    private readonly GrainState<TState> _state;

    /// <summary>The last operation asked for, while it may still be running.</summary>
    private Task? _last;

    private bool _read;

    internal DirectPersistentState(string name, IGrainContext context, IGrainStorage store, IActivator<TState> activator, DirectPersistentStateFactory shared)
    {
        _name = name;
        _context = context;
        _store = store;
        _activator = activator;
        _shared = shared;
        _state = new GrainState<TState>(activator.Create());
        context.ObservableLifecycle.Subscribe(ObserverName, GrainLifecycleStage.SetupState, this);
    }

    private enum Operation
    {
        Read,
        Write,
        Clear,
    }

    /// <inheritdoc />
    public TState State
    {
        get => _state.State!;
        set => _state.State = value;
    }

    /// <inheritdoc />
    public string? Etag => _state.ETag;

    /// <inheritdoc />
    public bool RecordExists => _state.RecordExists;

    /// <inheritdoc />
    public Task ReadStateAsync() => Run(Operation.Read);

    /// <inheritdoc />
    public Task WriteStateAsync() => Run(Operation.Write);

    /// <inheritdoc />
    public Task ClearStateAsync() => Run(Operation.Clear);

    /// <summary>
    /// Writes the state; when the write fails, reads storage's state back into the grain (in the grain's context) before
    /// the failure is thrown, so memory never keeps a change that was not stored. The same as awaiting a write and
    /// reading in a catch, without an async layer of its own on the way of every write that succeeds.
    /// </summary>
    public Task WriteOrReloadStateAsync() => Run(Operation.Write, reload: true);

    /// <inheritdoc />
    Task ILifecycleObserver.OnStart(CancellationToken cancellationToken)
        => cancellationToken.IsCancellationRequested || _read ? Task.CompletedTask : ReadStateAsync();

    /// <inheritdoc />
    Task ILifecycleObserver.OnStop(CancellationToken cancellationToken) => Task.CompletedTask;

    private Task Run(Operation operation, bool reload = false)
    {
        var task = _last is { IsCompleted: false } running ? AfterAsync(running, operation, reload) : Start(operation, reload);
        _last = task.IsCompleted ? null : task;
        return task;
    }

    /// <summary>Waits for the operation running (in the grain's context), then starts this one.</summary>
    private async Task AfterAsync(Task running, Operation operation, bool reload)
    {
        await running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        await Start(operation, reload);
    }

    /// <summary>Starts an operation now (in the grain's context); with <paramref name="reload"/>, a failed one reads the state back before it throws.</summary>
    private Task Start(Operation operation, bool reload = false)
    {
        var started = Stopwatch.GetTimestamp();
        Task stored;
        try
        {
            stored = operation switch
            {
                Operation.Read => _store.ReadStateAsync(_name, _context.GrainId, _state),
                Operation.Write => _store.WriteStateAsync(_name, _context.GrainId, _state),
                _ => _store.ClearStateAsync(_name, _context.GrainId, _state),
            };
        }
        catch (Exception e)
        {
            return reload ? ReloadingAsync(Failed(e, operation)) : Task.FromException(Failed(e, operation));
        }

        if (stored.IsCompletedSuccessfully)
        {
            Done(operation, started);
            return Task.CompletedTask;
        }

        // Clearing replaces the grain's state object, so it finishes in the grain's context; a read or write finishes
        // wherever the storage completed it (nothing of the grain is touched), and only the grain's await resumes here.
        return operation == Operation.Clear
            ? ClearingAsync(stored, started)
            : FinishingAsync(stored, operation, started, reload ? TaskScheduler.Current : null);
    }

    private async Task FinishingAsync(Task stored, Operation operation, long started, TaskScheduler? reloadIn)
    {
        try
        {
            await stored.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var failure = Failed(e, operation);
            if (reloadIn is not null)
            {
                // Back in the grain's context to read (this task is the state's running operation, so the read
                // starts directly rather than queued behind it).
                await Task.Factory.StartNew(() => Start(Operation.Read), CancellationToken.None, TaskCreationOptions.None, reloadIn).Unwrap();
            }

            throw failure;
        }

        Done(operation, started);
    }

    /// <summary>A write that failed before storage took it: the state read back, then the failure thrown.</summary>
    private async Task ReloadingAsync(Exception failure)
    {
        await Start(Operation.Read);
        throw failure;
    }

    private async Task ClearingAsync(Task stored, long started)
    {
        try
        {
            await stored;
        }
        catch (Exception e)
        {
            throw Failed(e, Operation.Clear);
        }

        Done(Operation.Clear, started);
    }

    private void Done(Operation operation, long started)
    {
        switch (operation)
        {
            case Operation.Read:
                _read = true;
                break;
            case Operation.Clear:
                _state.State = _activator.Create();
                break;
        }

        _shared.Metrics.GrainStateOperation(OperationName(operation), Stopwatch.GetElapsedTime(started));
    }

    private static string OperationName(Operation operation) => operation switch
    {
        Operation.Read => "read",
        Operation.Write => "write",
        _ => "clear",
    };

    /// <summary>What the grain is thrown: an Orleans exception as it is, any other logged and wrapped in one.</summary>
    private Exception Failed(Exception exception, Operation operation)
    {
        if (exception is OrleansException)
        {
            return exception;
        }

        string? code = null;
        (_store as IRestExceptionDecoder)?.DecodeException(exception, out _, out code, true);
        var provider = _store.GetType().Name;
        _shared.Logger.LogError(exception, "Storage {Provider} failed to {Operation} state {StateName} of grain {GrainId}{Code}",
            provider, OperationName(operation), _name, _context.GrainId, code is { Length: > 0 } ? " (" + code + ")" : "");
        return new OrleansException(
            $"Storage {provider} failed to {OperationName(operation)} state {_name} of grain {_context.GrainId}{(code is { Length: > 0 } ? " (" + code + ")" : "")}: {exception.Message}",
            exception);
    }
}
