using Marketplace.Domain.Common;
using Marketplace.Grains.Orders;

namespace Marketplace.Host.Api.Orders;

/// <summary>
/// A checkout ties the buyer's hold to its order before it stores the order. When it fails in between (the payment
/// provider refuses, or its host dies), the hold points at an order that does not exist, and every change to the hold
/// or its lot is refused for that order's sake. The endpoints that change holds and lots run through here: on such a
/// refusal they ask the named order to untie its hold when it was never stored, and try once more.
/// </summary>
public static class AbandonedCheckouts
{
    /// <summary>The refusals that name the order a hold is tied to.</summary>
    private static readonly HashSet<string> TiedToOrder = new(StringComparer.Ordinal) { "hold-belongs-to-order", "hold-ordered", "listing-has-orders" };

    /// <summary>Runs <paramref name="action"/> on the lot <paramref name="listingId"/>, repairing an abandoned checkout's hold once.</summary>
    public static async Task<T> RetryAsync<T>(IGrainFactory grains, string? listingId, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (DomainException e) when (listingId is { Length: > 0 } && TiedToOrder.Contains(e.Code) && e.Details.GetValueOrDefault("orderId") is string { Length: > 0 })
        {
            var orderId = (string)e.Details["orderId"]!;
            if (!await grains.GetGrain<IOrderGrain>(orderId).ReleaseAbandonedAsync(listingId))
            {
                throw;
            }
        }

        return await action();
    }
}
