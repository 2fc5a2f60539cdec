using Marketplace.Payments;

namespace Marketplace.Grains.Orders;

/// <summary>Applies verified payment provider events to their orders (the order decides whether an event still matters).</summary>
public sealed class OrderPaymentEventSink(IGrainFactory grains) : IPaymentEventSink
{
    /// <inheritdoc />
    public Task<bool> ApplyAsync(PaymentEvent paymentEvent, CancellationToken cancellationToken = default)
        => string.IsNullOrEmpty(paymentEvent.OrderId)
            ? Task.FromResult(false)
            : grains.GetGrain<IOrderGrain>(paymentEvent.OrderId).ApplyPaymentEventAsync(paymentEvent);
}
