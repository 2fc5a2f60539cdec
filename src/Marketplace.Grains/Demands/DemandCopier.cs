using Marketplace.Domain.Demands;
using Marketplace.Grains.Listings;
using Orleans.Serialization.Cloning;

namespace Marketplace.Grains.Demands;

/// <summary>A demand crosses a grain call as a snapshot (<see cref="Demand.Snapshot"/>), as a lot does (<see cref="ListingCopier"/>).</summary>
[RegisterCopier]
internal sealed class DemandCopier : IDeepCopier<Demand>
{
    /// <inheritdoc />
    public Demand? DeepCopy(Demand? input, CopyContext context) => input?.Snapshot();
}
