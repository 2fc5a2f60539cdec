using System.Diagnostics;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Common;
using Marketplace.Grains.Listings;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Matching;

/// <summary>
/// Rebuilds derived matching state after the silo starts: reads every open lot and demand from grain storage (without
/// activating their grains) and loads them into their partitions in batches, logging progress; then re-records every
/// stored session in its traders' inboxes. Runs in the
/// background so the host serves requests meanwhile; changes arriving during the rebuild win by version. Stops with
/// the silo (<see cref="StartupSweep"/>).
/// </summary>
public sealed class MatchingRecovery(
    IGrainFactory grains,
    IListingArchive listings,
    IMatchingArchive archive,
    IOptions<MatchingOptions> options,
    ILogger<MatchingRecovery> logger) : StartupSweep
{
    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!listings.CanEnumerate || !archive.CanEnumerate)
        {
            logger.LogWarning("Matching: this storage provider cannot be enumerated, so partitions start empty and fill as lots and demands change");
            return;
        }

        try
        {
            var clock = Stopwatch.StartNew();
            var lots = new Dictionary<string, List<VersionedLot>>(StringComparer.Ordinal);
            var wanted = new Dictionary<string, List<VersionedDemand>>(StringComparer.Ordinal);
            int lotCount = 0, demandCount = 0;
            await foreach (var listing in listings.ListingsAsync(cancellationToken: cancellationToken))
            {
                if (listing.ToMatchSummary() is { } lot)
                {
                    Bucket(lots, MatchPartitions.ForLot(lot)).Add(new VersionedLot(listing.Version, lot));
                    lotCount++;
                }
            }

            await foreach (var demand in archive.DemandsAsync(cancellationToken))
            {
                if (demand.ToSummary() is { } summary)
                {
                    foreach (var partition in MatchPartitions.ForDemand(summary))
                    {
                        Bucket(wanted, partition).Add(new VersionedDemand(demand.Version, summary));
                    }

                    demandCount++;
                }
            }

            var batch = options.Value.RecoveryBatchSize;
            var loaded = 0;
            foreach (var partition in lots.Keys.Union(wanted.Keys))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var partitionLots = lots.GetValueOrDefault(partition) ?? [];
                var partitionDemands = wanted.GetValueOrDefault(partition) ?? [];
                var grain = grains.GetGrain<IMatchPartitionGrain>(partition);
                for (var i = 0; i < Math.Max(partitionLots.Count, partitionDemands.Count); i += batch)
                {
                    await grain.LoadAsync(partitionLots.Skip(i).Take(batch).ToArray(), partitionDemands.Skip(i).Take(batch).ToArray());
                }

                loaded += partitionLots.Count;
                logger.LogInformation("Matching: partition {Partition} rebuilt ({Lots} lots, {Demands} demands; {Loaded}/{Total} lots so far)",
                    partition, partitionLots.Count, partitionDemands.Count, loaded, lotCount);
            }

            logger.LogInformation("Matching: {Lots} open lots and {Demands} open demands loaded into {Partitions} partitions in {Elapsed:0.0} s",
                lotCount, demandCount, lots.Keys.Union(wanted.Keys).Count(), clock.Elapsed.TotalSeconds);

            // Inboxes are written lazily: give them every stored session again (they keep the newest version).
            var sessions = 0;
            await foreach (var session in archive.SessionsAsync(cancellationToken))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Task.WhenAll(
                    grains.GetGrain<IMatchInboxGrain>(session.Proposal!.BuyerId).RecordAsync(session),
                    grains.GetGrain<IMatchInboxGrain>(session.Proposal.SellerId).RecordAsync(session));
                sessions++;
            }

            logger.LogInformation("Matching: {Sessions} sessions re-recorded in their traders' inboxes", sessions);
        }
        catch (Exception e) when (Stopping)
        {
            logger.LogInformation("Matching: the rebuild stopped with the silo ({Reason}); the next start rebuilds", e.GetType().Name);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Matching: rebuilding the partitions failed; proposals resume as lots and demands change. Restart the host to retry");
        }
    }

    private static List<T> Bucket<T>(Dictionary<string, List<T>> buckets, string key)
    {
        if (!buckets.TryGetValue(key, out var list))
        {
            list = [];
            buckets[key] = list;
        }

        return list;
    }
}
