namespace Marketplace.Payments.Stripe;

/// <summary>Metadata keys the marketplace puts on Stripe objects, so webhook events lead back to orders and traders.</summary>
public static class StripeMetadata
{
    /// <summary>On a PaymentIntent and its refunds: the order.</summary>
    public const string OrderId = "order_id";

    /// <summary>On a PaymentIntent: the buying firm.</summary>
    public const string BuyerId = "buyer_id";

    /// <summary>On a PaymentIntent: the selling firm.</summary>
    public const string SellerId = "seller_id";

    /// <summary>On a connected account: the trader (firm) it belongs to.</summary>
    public const string TraderId = "trader_id";
}
