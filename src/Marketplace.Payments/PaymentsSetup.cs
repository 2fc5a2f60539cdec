using Marketplace.Payments.Invoice;
using Marketplace.Payments.Stripe;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Marketplace.Payments;

/// <summary>Registers the payments capability's services.</summary>
public static class PaymentsSetup
{
    /// <summary>
    /// Adds the invoice renderer (PDF and Finvoice) as <see cref="IInvoiceRenderer"/>, and binds <see cref="StripeOptions"/>
    /// from <c>Payments:Stripe</c> (validated on start). When a Stripe secret key is configured it also adds the card
    /// gateway (<see cref="StripePaymentGateway"/> as an <see cref="IPaymentGateway"/> of <see cref="PaymentMethod.Card"/>),
    /// <see cref="StripeConnect"/> and <see cref="StripeWebhooks"/>; without one they are absent and card payments are off.
    /// </summary>
    public static IServiceCollection AddMarketplacePayments(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton<IInvoiceRenderer, InvoiceRenderer>();

        var section = configuration.GetSection(StripeOptions.Section);
        services.AddOptions<StripeOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StripeOptions>, StripeOptionsValidation>();
        if (!(section.Get<StripeOptions>() ?? new StripeOptions()).Enabled)
        {
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => StripeCalls.CreateClient(sp.GetRequiredService<IOptions<StripeOptions>>().Value));
        services.AddSingleton<StripePaymentGateway>();
        services.AddSingleton<IPaymentGateway>(sp => sp.GetRequiredService<StripePaymentGateway>());
        services.AddSingleton<IHostedCardCheckout>(sp => sp.GetRequiredService<StripePaymentGateway>());
        services.AddSingleton(sp => new StripeConnect(sp.GetRequiredService<global::Stripe.StripeClient>(), sp.GetRequiredService<IOptions<StripeOptions>>().Value));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StripeOptions>>().Value;
            return new StripeWebhooks(options.WebhookSecret!, options.WebhookToleranceSeconds, sp.GetRequiredService<TimeProvider>());
        });
        return services;
    }

    private sealed class StripeOptionsValidation : IValidateOptions<StripeOptions>
    {
        public ValidateOptionsResult Validate(string? name, StripeOptions options)
            => options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
