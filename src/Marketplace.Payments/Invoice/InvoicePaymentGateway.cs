using Marketplace.Domain.Common;

namespace Marketplace.Payments.Invoice;

/// <summary>
/// Payment on invoice from the seller: no external service, so every step only names the state the order's invoice is
/// in. Authorising reserves nothing (the invoice is issued when the seller accepts), capturing issues it, cancelling
/// voids it, and a refund of what was paid against it is recorded for the seller to return outside the marketplace
/// (status <c>recorded</c>; the order's payment then says <c>refunded</c>).
/// </summary>
public sealed class InvoicePaymentGateway : IPaymentGateway
{
    /// <inheritdoc />
    public PaymentMethod Method => PaymentMethod.Invoice;

    /// <inheritdoc />
    public Task<PaymentState> AuthorizeAsync(PaymentRequest request, CancellationToken cancellationToken = default)
        => Task.FromResult(new PaymentState(null, "pending"));

    /// <inheritdoc />
    public Task<PaymentState> GetAsync(string orderId, string? externalId, CancellationToken cancellationToken = default)
        => Task.FromResult(new PaymentState(null, "pending"));

    /// <inheritdoc />
    public Task<PaymentState> CaptureAsync(string orderId, string? externalId, CancellationToken cancellationToken = default)
        => Task.FromResult(new PaymentState(null, "invoiced"));

    /// <inheritdoc />
    public Task<PaymentState> CancelAsync(string orderId, string? externalId, CancellationToken cancellationToken = default)
        => Task.FromResult(new PaymentState(null, "canceled"));

    /// <inheritdoc />
    public Task<RefundState> RefundAsync(string orderId, string? externalId, Money amount, string step, CancellationToken cancellationToken = default)
        => Task.FromResult(new RefundState(null, amount, "recorded"));
}
