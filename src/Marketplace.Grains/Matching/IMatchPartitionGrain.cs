using Marketplace.Domain.Matching;
using Orleans.Concurrency;

namespace Marketplace.Grains.Matching;

/// <summary>A lot with the version of the listing it summarises.</summary>
[GenerateSerializer, Immutable]
public sealed record VersionedLot([property: Id(0)] long Version, [property: Id(1)] LotSummary Lot);

/// <summary>A demand with the version it summarises.</summary>
[GenerateSerializer, Immutable]
public sealed record VersionedDemand([property: Id(0)] long Version, [property: Id(1)] DemandSummary Demand);

/// <summary>
/// What a partition re-reads of a lot: whether it exists, its version (0 when it does not) and its summary (null when
/// it is not matchable). Made for the call, so it crosses without a copy.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record LotStanding([property: Id(0)] bool Exists, [property: Id(1)] long Version, [property: Id(2)] LotSummary? Lot);

/// <summary>What a partition re-reads of a demand, as <see cref="LotStanding"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record DemandStanding([property: Id(0)] bool Exists, [property: Id(1)] long Version, [property: Id(2)] DemandSummary? Demand);

/// <summary>
/// One matching partition (<see cref="MatchPartitions"/>): the in-memory book of open supply and demand of a top-level
/// category in one geohash cell. Derived state: an activation loads it from its stored membership before it answers.
/// Summaries are immutable records made for the call (their senders keep no reference they change), so the change
/// messages pass them without a copy.
/// </summary>
public interface IMatchPartitionGrain : IGrainWithStringKey
{
    /// <summary>
    /// A lot is about to enter this partition (its next stored state is matchable here): recorded, and answered once
    /// stored, so the record has every member even when the change's one-way message is lost. Call before storing.
    /// </summary>
    Task LotJoiningAsync(string lotId);

    /// <summary>
    /// Many lots are about to enter this partition (a bulk import): recorded as <see cref="LotJoiningAsync"/> does, in
    /// one write. Their own joins then find them recorded and answer at once.
    /// </summary>
    Task LotsJoiningAsync(IReadOnlyList<string> lotIds);

    /// <summary>A demand is about to enter this partition, as <see cref="LotJoiningAsync"/>.</summary>
    Task DemandJoiningAsync(string demandId);

    /// <summary>A lot changed: upsert it (null: remove it) and propose it to the best demands. Older versions are ignored.</summary>
    [OneWay]
    Task LotChangedAsync(string lotId, long version, [Immutable] LotSummary? lot);

    /// <summary>Many lots changed (a bulk import's batch): each applied and proposed as <see cref="LotChangedAsync"/> does, in one message.</summary>
    [OneWay]
    Task LotsChangedAsync([Immutable] IReadOnlyList<VersionedLot> lots);

    /// <summary>A demand changed: upsert it (null: remove it) and propose the best lots to it. Older versions are ignored.</summary>
    [OneWay]
    Task DemandChangedAsync(string demandId, long version, [Immutable] DemandSummary? demand);

    /// <summary>
    /// A round this partition proposed ended before its time (a refused acceptance, a cancelled order): the pair is
    /// proposed again at its lot's or demand's next change. Called by the session before it answers.
    /// </summary>
    Task RoundEndedAsync(string lotId, string demandId);

    /// <summary>Loads lots and demands without proposing (rebuild after a restart, bulk loads).</summary>
    Task LoadAsync(IReadOnlyList<VersionedLot> lots, IReadOnlyList<VersionedDemand> demands);

    /// <summary>How many open lots and demands the book holds.</summary>
    Task<PartitionCounts> CountsAsync();

    /// <summary>How many lot and demand versions the partition remembers (its book's entries and recently removed ones).</summary>
    Task<int> RememberedVersionsAsync();
}

/// <summary>What a partition's book holds.</summary>
[GenerateSerializer, Immutable]
public sealed record PartitionCounts([property: Id(0)] int Lots, [property: Id(1)] int Demands);
