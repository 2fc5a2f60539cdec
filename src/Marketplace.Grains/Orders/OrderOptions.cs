using Marketplace.Domain.Orders;

namespace Marketplace.Grains.Orders;

/// <summary>How orders are priced and timed (<c>Orders</c> section). An order keeps the terms it was placed under.</summary>
public sealed class OrderOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Orders";

    /// <summary>VAT rate of every order line, percent. Default 25.5 (the Finnish general rate); 0 to 100.</summary>
    public decimal VatRatePercent { get; set; } = OrderTerms.Default.VatRatePercent;

    /// <summary>Platform fee charged to the seller, percent of the order's net total. Default 5; 0 to 100.</summary>
    public decimal PlatformFeePercent { get; set; } = OrderTerms.Default.PlatformFeePercent;

    /// <summary>Smallest platform fee, minor units (never more than the order's net total). Default 100 (1.00 EUR); at least 0.</summary>
    public long PlatformFeeMinimumMinor { get; set; } = OrderTerms.Default.PlatformFeeMinimumMinor;

    /// <summary>
    /// Delivery price per started kilometre of great-circle distance from the lot to the buyer's address, minor units
    /// (a delivery is at least one kilometre). Default 150 (1.50 EUR/km); 0 to 100,000.
    /// </summary>
    public long DeliveryRateMinorPerKm { get; set; } = OrderTerms.Default.DeliveryRateMinorPerKm;

    /// <summary>How long the seller has to accept before the order is cancelled (a card authorisation lapses after 7 days). Default 7 days; 1 second to 7 days.</summary>
    public TimeSpan AcceptanceWindow { get; set; } = OrderTerms.Default.AcceptanceWindow;

    /// <summary>How long after handover the buyer may dispute; then the order completes by itself. Default 14 days; 1 second to 365 days.</summary>
    public TimeSpan DisputeWindow { get; set; } = OrderTerms.Default.DisputeWindow;

    /// <summary>Days from an invoice's issue to its due date. Default 14; 0 to 365.</summary>
    public int InvoiceDueDays { get; set; } = OrderTerms.Default.InvoiceDueDays;

    /// <summary>How often an order whose deadline has passed is checked again. Default 1 minute; at least 1 second.</summary>
    public TimeSpan SweepPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The terms as the domain takes them.</summary>
    public OrderTerms Terms => new(VatRatePercent, PlatformFeePercent, PlatformFeeMinimumMinor, DeliveryRateMinorPerKm, AcceptanceWindow, DisputeWindow, InvoiceDueDays);

    /// <summary>True when every value lies in its documented range.</summary>
    public bool IsValid => VatRatePercent is >= 0 and <= 100 && PlatformFeePercent is >= 0 and <= 100 && PlatformFeeMinimumMinor >= 0
                           && DeliveryRateMinorPerKm is >= 0 and <= 100_000 && AcceptanceWindow >= TimeSpan.FromSeconds(1) && AcceptanceWindow <= TimeSpan.FromDays(7)
                           && DisputeWindow >= TimeSpan.FromSeconds(1) && DisputeWindow <= TimeSpan.FromDays(365) && InvoiceDueDays is >= 0 and <= 365
                           && SweepPeriod >= TimeSpan.FromSeconds(1);
}
