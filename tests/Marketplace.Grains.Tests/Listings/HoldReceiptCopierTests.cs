using Marketplace.Domain.Listings;
using Microsoft.Extensions.DependencyInjection;
using Marketplace.Grains;
using Orleans.Serialization;

namespace Marketplace.Grains.Tests.Listings;

/// <summary>A hold receipt (its hold a snapshot no lot shares) crosses a grain call without the JSON codec's copy.</summary>
public sealed class HoldReceiptCopierTests
{
    [Fact]
    public void DeepCopy_HoldReceipt_IsTheReceiptItself()
    {
        using var services = new ServiceCollection().AddMarketplaceSerializer().BuildServiceProvider();
        var at = new DateTimeOffset(2027, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var receipt = new HoldReceipt("lot-1", new Hold("hold-1", "buyer-1", 2m, at, at.AddDays(2)), 10m, 8m, 2m, 0m);

        Assert.Same(receipt, services.GetRequiredService<DeepCopier>().Copy(receipt));
    }
}
