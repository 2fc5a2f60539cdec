using global::Stripe;

namespace Marketplace.Payments.Stripe;

/// <summary>What every Stripe call shares: the client made from the options, idempotency keys, and error translation.</summary>
internal static class StripeCalls
{
    /// <summary>A client for the configured key and API address.</summary>
    public static StripeClient CreateClient(StripeOptions options, HttpClient? httpClient = null)
        => new(new StripeClientOptions
        {
            ApiKey = options.SecretKey,
            ApiBase = options.ApiBase.TrimEnd('/'),
            HttpClient = new SystemNetHttpClient(httpClient, options.MaxNetworkRetries),
        });

    /// <summary>
    /// The idempotency key of one step of one order, e.g. <c>order:ord-1:authorize</c>: a retried grain turn sends the
    /// same key, so Stripe answers with the first result instead of acting twice.
    /// </summary>
    public static RequestOptions Once(string scope, string id, string step) => new() { IdempotencyKey = $"{scope}:{id}:{step}" };

    /// <summary>Runs a call, turning Stripe's errors into <see cref="PaymentGatewayException"/>.</summary>
    public static async Task<T> CallAsync<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (StripeException e)
        {
            var error = e.StripeError;
            throw new PaymentGatewayException($"Stripe refused to {what}: {error?.Message ?? e.Message}", error?.Code ?? error?.Type,
                declined: error?.Type == "card_error", e);
        }
    }
}
