using Marketplace.Payments.Invoice;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Payments.Tests;

/// <summary>What <see cref="PaymentsSetup.AddMarketplacePayments"/> registers.</summary>
public class PaymentsSetupTests
{
    [Fact]
    public void AddMarketplacePayments_Always_RegistersTheInvoiceRenderer()
    {
        using var services = new ServiceCollection().AddMarketplacePayments(new ConfigurationBuilder().Build()).BuildServiceProvider();

        Assert.IsType<InvoiceRenderer>(services.GetRequiredService<IInvoiceRenderer>());
    }
}
