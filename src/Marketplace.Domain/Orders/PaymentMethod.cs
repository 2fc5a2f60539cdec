namespace Marketplace.Payments;

// Declared in the domain assembly (under the payments namespace, where the contract named it) because an order records
// its payment method and Marketplace.Payments references Marketplace.Domain, not the other way round.

/// <summary>How a buyer pays for an order.</summary>
public enum PaymentMethod
{
    /// <summary>On invoice from the seller (the default; no external service).</summary>
    Invoice,

    /// <summary>By card through Stripe Connect: authorised at checkout, captured when the seller accepts.</summary>
    Card,
}
