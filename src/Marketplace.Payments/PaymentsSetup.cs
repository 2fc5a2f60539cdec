using Marketplace.Payments.Invoice;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Marketplace.Payments;

/// <summary>Registers the payments capability's services.</summary>
public static class PaymentsSetup
{
    /// <summary>
    /// Adds the invoice renderer (PDF and Finvoice) as <see cref="IInvoiceRenderer"/>; <paramref name="configuration"/>
    /// is the application's, read for the <c>Payments</c> section.
    /// </summary>
    public static IServiceCollection AddMarketplacePayments(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton<IInvoiceRenderer, InvoiceRenderer>();
        return services;
    }
}
