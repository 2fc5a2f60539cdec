using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Webhooks;

/// <summary>Registers outbound webhooks in the silo: options, the HTTP client and sender, the start-up recovery sweep.</summary>
public static class WebhookSetup
{
    /// <summary>Binds and validates <see cref="WebhookOptions"/> from <paramref name="configuration"/> (section <c>Webhooks</c>) and adds the sender and recovery.</summary>
    public static ISiloBuilder AddMarketplaceWebhooks(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.Section))
            .Validate(o => o.IsValid,
                $"{nameof(WebhookOptions)}: {nameof(WebhookOptions.FirstRetryDelay)} 10 ms to 1 h, {nameof(WebhookOptions.MaxRetryDelay)} at least that, "
                + $"{nameof(WebhookOptions.RetryFor)} 1 s to 7 days, {nameof(WebhookOptions.SecretOverlap)} 0 to 7 days, {nameof(WebhookOptions.Timeout)} 100 ms to 60 s, "
                + $"{nameof(WebhookOptions.PollInterval)} 10 ms to 1 min, {nameof(WebhookOptions.HandOverRetry)} 10 ms to 10 min, {nameof(WebhookOptions.DirectoryLease)} 0 to 10 s, "
                + $"{nameof(WebhookOptions.MaxConcurrentDeliveries)} 1 to 64 and {nameof(WebhookOptions.MaxSubscriptionsPerFirm)} 1 to 100.")
            .ValidateOnStart();
        silo.Services.AddHttpClient(WebhookSender.ClientName, (sp, client) => client.Timeout = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout)
            .ConfigurePrimaryHttpMessageHandler(sp => WebhookSender.Handler(sp.GetRequiredService<IOptions<WebhookOptions>>()));
        silo.Services.AddSingleton<WebhookSender>();
        silo.Services.AddSingleton<WebhookInterest>();
        Common.StartupSweep.Add<WebhookRecovery>(silo, configuration);
        return silo;
    }
}
