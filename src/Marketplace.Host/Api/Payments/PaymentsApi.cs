using System.Security.Claims;
using Marketplace.Domain.Common;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Payments;
using Marketplace.Grains.Telemetry;
using Marketplace.Grains.Traders;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Marketplace.Payments;
using Marketplace.Payments.Stripe;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Host.Api.Payments;

/// <summary>Card payments through Stripe Connect: seller onboarding and Stripe's webhook.</summary>
public static class PaymentsApi
{
    /// <summary>Maps <c>/api/v1/payments</c>.</summary>
    public static IEndpointRouteBuilder MapPaymentsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/payments").WithTags("Payments").WithCommonProblems();

        group.MapPost("/stripe/onboarding", OnboardAsync).WithName("StartStripeOnboarding").WithAccess(AccessRule.AnyFirm(ApiScopes.FirmAdmin))
            .ProducesProblem(StatusCodes.Status502BadGateway)
            .WithSummary("An admin of a selling firm gets a Stripe onboarding link: creates the firm's Express account the first time, reuses it after. 409 when Stripe is not configured. Honours Idempotency-Key.");
        group.MapPost("/stripe/webhook", WebhookAsync).WithName("StripeWebhook").WithAccess(AccessRule.Public)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Stripe's webhook: verifies Stripe-Signature (400 and nothing done when it does not verify), acts on each event id once (a redelivery answers duplicate: true).");
        return routes;
    }

    private static async Task<Results<Ok<StripeOnboardingResponse>, ProblemHttpResult>> OnboardAsync(
        ClaimsPrincipal user, IGrainFactory grains, IServiceProvider services, CancellationToken cancellationToken)
    {
        var traderId = user.ActingTraderId();
        user.EnsureFirmAdmin(traderId);
        var connect = services.GetService<StripeConnect>() ?? throw NotConfigured();
        var grain = grains.GetGrain<ITraderGrain>(traderId);
        var trader = await grain.GetAsync() ?? throw DomainException.NotFound("trader", traderId);
        if (!trader.Has(TraderRoles.Seller))
        {
            throw new DomainException("seller-role-required", "Only a selling firm takes card payments: add the seller role to the firm first.",
                DomainErrorKind.Validation, new Dictionary<string, string[]> { ["roles"] = ["The firm needs the seller role to onboard to Stripe."] });
        }

        try
        {
            var account = trader.StripeAccount;
            if (account is null)
            {
                // The key trader:{id}:connect-account makes a retry after a lost answer get the same account from Stripe.
                var created = await connect.CreateExpressAccountAsync(traderId, trader.Profile!.Contact?.Email, cancellationToken);
                account = (await grain.LinkStripeAccountAsync(created.AccountId)).StripeAccount!;
            }

            var url = await connect.CreateOnboardingLinkAsync(account.AccountId, cancellationToken);
            return TypedResults.Ok(new StripeOnboardingResponse(traderId, account.AccountId, url, account.ChargesEnabled, account.PayoutsEnabled));
        }
        catch (PaymentGatewayException e)
        {
            return TypedResults.Problem(ApiProblems.Create(StatusCodes.Status502BadGateway, "payment-provider-error", "Stripe refused",
                $"Stripe did not complete the request ({e.Code ?? "no code"}); try again later."));
        }
    }

    private static async Task<Results<Ok<StripeWebhookResponse>, ProblemHttpResult>> WebhookAsync(
        HttpContext context, IGrainFactory grains, IServiceProvider services, MarketplaceMetrics metrics, ILoggerFactory loggers)
    {
        var webhooks = services.GetService<StripeWebhooks>() ?? throw NotConfigured();
        string payload;
        using (var reader = new StreamReader(context.Request.Body, System.Text.Encoding.UTF8))
        {
            payload = await reader.ReadToEndAsync(context.RequestAborted);
        }

        StripeWebhookEvent verified;
        try
        {
            verified = webhooks.Verify(payload, context.Request.Headers["Stripe-Signature"].ToString());
        }
        catch (StripeWebhookRejectedException e)
        {
            metrics.PaymentEvent("unknown", "rejected");
            return TypedResults.Problem(e.Signed
                ? ApiProblems.Create(StatusCodes.Status422UnprocessableEntity, "unreadable-stripe-event", "Stripe event not readable", e.Message)
                : ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid-stripe-signature", "Webhook not verified", e.Message));
        }

        var claim = grains.GetGrain<IWebhookEventGrain>($"stripe/{verified.EventId}");
        switch (await claim.ClaimAsync())
        {
            case WebhookEventClaim.AlreadyProcessed:
                metrics.PaymentEvent(verified.Type, "duplicate");
                return TypedResults.Ok(new StripeWebhookResponse(true, verified.EventId, Duplicate: true));
            case WebhookEventClaim.InProgress:
                context.Response.Headers.RetryAfter = "5";
                return TypedResults.Problem(ApiProblems.Create(StatusCodes.Status409Conflict, "webhook-in-progress", "Event being processed",
                    "Another delivery of this event is being processed; Stripe retries later."));
        }

        try
        {
            await ApplyAsync(verified, grains, services, loggers.CreateLogger(typeof(PaymentsApi)), context.RequestAborted);
        }
        catch
        {
            // Not processed: Stripe's retry (it retries any non-2xx answer) processes the event.
            await claim.AbandonAsync();
            throw;
        }

        await claim.CompleteAsync();
        metrics.PaymentEvent(verified.Type, "processed");
        return TypedResults.Ok(new StripeWebhookResponse(true, verified.EventId, Duplicate: false));
    }

    private static async Task ApplyAsync(StripeWebhookEvent verified, IGrainFactory grains, IServiceProvider services, ILogger logger, CancellationToken cancellationToken)
    {
        if (verified.Payment is { } payment)
        {
            var sink = services.GetService<IPaymentEventSink>()
                       ?? throw new InvalidOperationException("No IPaymentEventSink is registered: payment events cannot be applied to orders.");
            var applied = await sink.ApplyAsync(payment, cancellationToken);
            logger.LogInformation("Stripe {Type} {EventId} for order {OrderId}: {Outcome}", payment.Type, payment.EventId, payment.OrderId, applied ? "applied" : "changed nothing");
            return;
        }

        if (verified.Account is { Account: var account } && account.TraderId is { Length: > 0 } traderId)
        {
            var grain = grains.GetGrain<ITraderGrain>(traderId);
            if (await grain.GetAsync() is null)
            {
                logger.LogWarning("Stripe account.updated {EventId} names trader {TraderId}, who does not exist; ignored.", verified.EventId, traderId);
                return;
            }

            await grain.UpdateStripeAccountAsync(new StripeAccountLink(account.AccountId, account.ChargesEnabled, account.PayoutsEnabled, verified.Created));
        }
    }

    private static DomainException NotConfigured()
        => DomainException.Conflict("stripe-not-configured", "Card payments are off: the platform has not configured Stripe (Payments:Stripe:SecretKey).");
}
