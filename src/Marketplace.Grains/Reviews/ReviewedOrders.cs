using Marketplace.Domain.Common;
using Marketplace.Domain.Orders;
using Marketplace.Domain.Reviews;
using Marketplace.Grains.Orders;

namespace Marketplace.Grains.Reviews;

/// <summary>What the reviews read of an order, through its grain.</summary>
internal static class ReviewedOrders
{
    /// <summary>
    /// The order's parties and whether it is completed, read as the author sees it; null when the order does not exist
    /// or the author is not one of its parties (its grain answers 404 to strangers).
    /// </summary>
    public static async Task<ReviewedOrder?> ReadAsync(IGrainFactory grains, string orderId, string authorId, string writtenBy)
    {
        try
        {
            var order = await grains.GetGrain<IOrderGrain>(orderId).GetAsync(new OrderActor(writtenBy, authorId, null));
            return new ReviewedOrder(order.Id, order.BuyerId, order.SellerId, order.Status == OrderStatus.Completed);
        }
        catch (DomainException e) when (e.Kind == DomainErrorKind.NotFound)
        {
            return null;
        }
    }
}
