namespace Marketplace.Payments;

/// <summary>A payment provider refused or failed a step; the provider's own exception is the inner one.</summary>
/// <param name="message">What failed, for logs.</param>
/// <param name="code">The provider's error code (e.g. Stripe's <c>card_declined</c>, <c>payment_intent_unexpected_state</c>), if any.</param>
/// <param name="declined">True when the buyer's payment was refused (a card error); false for the platform's or the provider's faults.</param>
/// <param name="inner">The provider's exception.</param>
public sealed class PaymentGatewayException(string message, string? code, bool declined, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The provider's error code, if any.</summary>
    public string? Code { get; } = code;

    /// <summary>True when the buyer's payment was refused (a card error), so the buyer should try another card.</summary>
    public bool Declined { get; } = declined;
}
