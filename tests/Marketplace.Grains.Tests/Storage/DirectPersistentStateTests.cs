using System.Collections.Concurrent;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using Orleans.Storage;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>
/// What a grain's <c>[PersistentState]</c> promises it (<see cref="DirectPersistentState{TState}"/>), checked against a
/// storage that answers when the test says: the state read at the activation's setup stage, operations on one state one
/// after another, storage failures thrown as Orleans exceptions (the API's 503), ETag conflicts as they are (409).
/// </summary>
public sealed class DirectPersistentStateTests
{
    [Fact]
    public async Task TheMarketplacesSilo_MakesItsGrainsStatesThisWay_AndALotRoundTripsThroughIt()
    {
        await using var cluster = await Marketplace.Testing.TestClusters.StartAsync(new Dictionary<string, string?> { ["Storage:Provider"] = "Memory" });
        var services = cluster.Silos[0].SiloHost.Services;
        Assert.IsType<DirectPersistentStateFactory>(services.GetRequiredService<IPersistentStateFactory>());

        var seller = await Marketplace.Testing.TestClusters.RegisterFirmAsync(cluster.Client, "seller");
        var lot = await Marketplace.Testing.TestClusters.ActiveLotAsync(cluster.Client, seller, 10);
        var stored = (await lot.GetAsync())!;
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var read = (await lot.GetAsync())!;
        Assert.Equal((stored.Version, stored.Status, stored.Available), (read.Version, read.Status, read.Available));
    }

    [Fact]
    public async Task TheState_IsReadAtTheSetupStage_FromTheNamedStore()
    {
        var (state, store, lifecycle) = Create();
        store.Rows["cell"] = (3, new Counter { Value = 7 });

        Assert.Equal(GrainLifecycleStage.SetupState, Assert.Single(lifecycle.Stages));
        await lifecycle.StartAsync();

        Assert.Equal(7, state.State.Value);
        Assert.Equal("3", state.Etag);
        Assert.True(state.RecordExists);
    }

    [Fact]
    public async Task TwoWritesAskedTogether_RunOneAfterTheOther_TheSecondWithTheFirstsETag()
    {
        var (state, store, _) = Create();
        store.Hold = true;

        state.State.Value = 1;
        var first = state.WriteStateAsync();
        state.State.Value = 2;
        var second = state.WriteStateAsync();

        Assert.Equal(1, store.Started);
        store.ReleaseAll();
        await PollAsync(() => store.Started == 2);
        store.ReleaseAll();
        await Task.WhenAll(first, second);

        Assert.Equal(1, store.MostAtOnce);
        Assert.Equal(new[] { "", "1" }, store.ExpectedETags);
        Assert.Equal((2L, 2), (store.Rows["cell"].ETag, store.Rows["cell"].State.Value));
        Assert.Equal("2", state.Etag);
    }

    [Fact]
    public async Task AWriteAskedAfterAFailedOne_StillRuns()
    {
        var (state, store, _) = Create();
        store.Hold = true;
        store.FailAsync = new IOException("disk gone");

        var failing = state.WriteStateAsync();
        var next = state.WriteStateAsync();
        store.ReleaseAll();
        await PollAsync(() => store.Started == 2);
        store.FailAsync = null;
        store.ReleaseAll();

        await Assert.ThrowsAsync<OrleansException>(() => failing);
        await next;
        Assert.Equal(1L, store.Rows["cell"].ETag);
    }

    [Fact]
    public async Task AStorageFailure_IsThrownAsAnOrleansException_CarryingItsCause_WhetherThrownOrFaulted()
    {
        var (state, store, _) = Create();

        store.Fail = new IOException("disk gone");
        var thrown = await Assert.ThrowsAsync<OrleansException>(state.WriteStateAsync);
        Assert.IsType<IOException>(thrown.InnerException);
        Assert.Contains("cell", thrown.Message, StringComparison.Ordinal);

        store.Fail = null;
        store.FailAsync = new TimeoutException("no answer");
        var faulted = await Assert.ThrowsAsync<OrleansException>(state.ReadStateAsync);
        Assert.IsType<TimeoutException>(faulted.InnerException);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AWriteOrReloadThatFails_ReadsStoragesStateBack_BeforeItThrows(bool failingLater)
    {
        var (state, store, _) = Create();
        state.State.Value = 5;
        await state.WriteStateAsync();

        state.State.Value = 6;
        store.NextWriteFails = (new IOException("disk gone"), failingLater);

        var thrown = await Assert.ThrowsAsync<OrleansException>(() => Marketplace.Grains.Common.PersistentStateExtensions.WriteOrReloadAsync(state));

        Assert.IsType<IOException>(thrown.InnerException);
        Assert.Equal(5, state.State.Value);
        Assert.Equal("1", state.Etag);
        await Marketplace.Grains.Common.PersistentStateExtensions.WriteOrReloadAsync(state);
        Assert.Equal((2L, 5), (store.Rows["cell"].ETag, store.Rows["cell"].State.Value));
    }

    [Fact]
    public async Task AnETagConflict_IsThrownAsItIs()
    {
        var (state, store, _) = Create();
        store.FailAsync = new InconsistentStateException("stale", "5", "4");

        await Assert.ThrowsAsync<InconsistentStateException>(state.WriteStateAsync);
    }

    [Fact]
    public async Task Clearing_LeavesTheGrainANewEmptyState()
    {
        var (state, store, _) = Create();
        state.State.Value = 4;
        await state.WriteStateAsync();
        var before = state.State;

        store.Hold = true;
        var clearing = state.ClearStateAsync();
        store.ReleaseAll();
        await clearing;

        Assert.NotSame(before, state.State);
        Assert.Equal(0, state.State.Value);
        Assert.False(store.Rows.ContainsKey("cell"));
    }

    private static async Task PollAsync(Func<bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(5);
        }
    }

    private static (IPersistentState<Counter> State, GatedStorage Store, FakeLifecycle Lifecycle) Create()
    {
        var store = new GatedStorage();
        var services = new ServiceCollection()
            .AddSerializer()
            .AddMetrics()
            .AddKeyedSingleton<IGrainStorage>("store", store)
            .BuildServiceProvider();
        var lifecycle = new FakeLifecycle();
        var factory = new DirectPersistentStateFactory(services, new MarketplaceMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            NullLogger<DirectPersistentStateFactory>.Instance);
        var state = factory.Create<Counter>(new FakeContext(services, lifecycle), new Configuration("cell", "store"));
        return (state, store, lifecycle);
    }

    /// <summary>A state type as the grains' are: a class with a parameterless constructor.</summary>
    public sealed class Counter
    {
        public int Value { get; set; }
    }

    private sealed record Configuration(string StateName, string? StorageName) : IPersistentStateConfiguration;

    /// <summary>Storage keeping each state object by name, answering at once or when released, failing on demand.</summary>
    private sealed class GatedStorage : IGrainStorage
    {
        private readonly ConcurrentQueue<TaskCompletionSource> _held = new();
        private int _running;

        public ConcurrentDictionary<string, (long ETag, Counter State)> Rows { get; } = new();

        public bool Hold { get; set; }

        public Exception? Fail { get; set; }

        public Exception? FailAsync { get; set; }

        public int Started { get; private set; }

        public int MostAtOnce { get; private set; }

        public List<string> ExpectedETags { get; } = [];

        public void ReleaseAll()
        {
            while (_held.TryDequeue(out var held))
            {
                held.SetResult();
            }
        }

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
            => RunAsync(() =>
            {
                if (Rows.TryGetValue(stateName, out var row))
                {
                    (grainState.ETag, grainState.State, grainState.RecordExists) = (row.ETag.ToString(System.Globalization.CultureInfo.InvariantCulture), (T)(object)Copy(row.State), true);
                }
            });

        /// <summary>The next write's failure (reads still succeed): thrown at once, or from the write's task later.</summary>
        public (Exception Failure, bool Later)? NextWriteFails { get; set; }

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            if (NextWriteFails is var (failure, later))
            {
                NextWriteFails = null;
                return later ? Task.Run(() => throw failure) : throw failure;
            }

            lock (ExpectedETags)
            {
                ExpectedETags.Add(grainState.ETag ?? "");
            }

            var written = Copy((Counter)(object)grainState.State!);
            return RunAsync(() =>
            {
                var etag = (Rows.TryGetValue(stateName, out var row) ? row.ETag : 0) + 1;
                Rows[stateName] = (etag, written);
                grainState.ETag = etag.ToString(System.Globalization.CultureInfo.InvariantCulture);
                grainState.RecordExists = true;
            });
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
            => RunAsync(() =>
            {
                Rows.TryRemove(stateName, out _);
                (grainState.ETag, grainState.RecordExists) = (null, false);
            });

        private static Counter Copy(Counter c) => new() { Value = c.Value };

        private Task RunAsync(Action done)
        {
            if (Fail is { } fail)
            {
                throw fail;
            }

            Started++;
            MostAtOnce = Math.Max(MostAtOnce, Interlocked.Increment(ref _running));
            if (!Hold && FailAsync is null)
            {
                done();
                Interlocked.Decrement(ref _running);
                return Task.CompletedTask;
            }

            return FinishAsync(done);
        }

        private async Task FinishAsync(Action done)
        {
            if (Hold)
            {
                var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _held.Enqueue(held);
                await held.Task;
            }
            else
            {
                await Task.Yield();
            }

            try
            {
                if (FailAsync is { } failAsync)
                {
                    throw failAsync;
                }

                done();
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }
    }

    /// <summary>A grain lifecycle that remembers its observers and starts them when told.</summary>
    private sealed class FakeLifecycle : IGrainLifecycle
    {
        private readonly List<(int Stage, ILifecycleObserver Observer)> _observers = [];

        public IEnumerable<int> Stages => _observers.Select(o => o.Stage);

        public Task StartAsync() => Task.WhenAll(_observers.Select(o => o.Observer.OnStart(CancellationToken.None)));

        public IDisposable Subscribe(string observerName, int stage, ILifecycleObserver observer)
        {
            _observers.Add((stage, observer));
            return new Unsubscriber();
        }

        public void AddMigrationParticipant(IGrainMigrationParticipant participant) => throw new NotSupportedException();

        public void RemoveMigrationParticipant(IGrainMigrationParticipant participant) => throw new NotSupportedException();

        private sealed class Unsubscriber : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }

    /// <summary>The parts of a grain context a persistent state uses: its id, services and lifecycle.</summary>
    private sealed class FakeContext(IServiceProvider services, IGrainLifecycle lifecycle) : IGrainContext
    {
        public GrainId GrainId { get; } = GrainId.Create("test", "1");

        public IServiceProvider ActivationServices => services;

        public IGrainLifecycle ObservableLifecycle => lifecycle;

        public GrainReference GrainReference => throw new NotSupportedException();

        public object? GrainInstance => null;

        public ActivationId ActivationId => throw new NotSupportedException();

        public GrainAddress Address => throw new NotSupportedException();

        public IWorkItemScheduler Scheduler => throw new NotSupportedException();

        public Task Deactivated => Task.CompletedTask;

        public void SetComponent<TComponent>(TComponent? value) where TComponent : class => throw new NotSupportedException();

        public object? GetComponent(Type componentType) => null;

        public object? GetTarget() => null;

        public void ReceiveMessage(object message) => throw new NotSupportedException();

        public void Activate(Dictionary<string, object>? requestContext, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public void Deactivate(DeactivationReason deactivationReason, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public void Rehydrate(IRehydrationContext context) => throw new NotSupportedException();

        public void Migrate(Dictionary<string, object>? requestContext, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public bool Equals(IGrainContext? other) => ReferenceEquals(this, other);

        public override bool Equals(object? obj) => ReferenceEquals(this, obj);

        public override int GetHashCode() => 1;
    }
}
