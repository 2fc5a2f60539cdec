using Marketplace.Grains.Orders;
using Marketplace.Payments;
using Marketplace.Payments.Invoice;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Marketplace.Grains;

/// <summary>Registers what orders need in the silo (and so in a co-hosting web host): options, the invoice gateway, the payment event sink.</summary>
public static class OrderSiloExtensions
{
    /// <summary>
    /// Binds and validates <see cref="OrderOptions"/> from <paramref name="configuration"/>, adds the invoice gateway (more
    /// gateways, such as the card one, are added beside it as further <see cref="IPaymentGateway"/> services, chosen by
    /// <see cref="IPaymentGateway.Method"/>) and the sink that applies payment events to orders.
    /// </summary>
    public static ISiloBuilder AddMarketplaceOrders(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddOptions<OrderOptions>().Bind(configuration.GetSection(OrderOptions.Section))
            .Validate(o => o.IsValid,
                $"{nameof(OrderOptions)}: {nameof(OrderOptions.VatRatePercent)} and {nameof(OrderOptions.PlatformFeePercent)} must be 0 to 100, "
                + $"{nameof(OrderOptions.PlatformFeeMinimumMinor)} at least 0, {nameof(OrderOptions.DeliveryRateMinorPerKm)} 0 to 100,000, "
                + $"{nameof(OrderOptions.AcceptanceWindow)} 1 second to 7 days, {nameof(OrderOptions.DisputeWindow)} 1 second to 365 days, "
                + $"{nameof(OrderOptions.InvoiceDueDays)} 0 to 365 and {nameof(OrderOptions.SweepPeriod)} at least 1 second.")
            .ValidateOnStart();
        silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPaymentGateway, InvoicePaymentGateway>());
        silo.Services.TryAddSingleton<IPaymentEventSink, OrderPaymentEventSink>();
        return silo;
    }
}
