using System.Security.Cryptography;
using Marketplace.Grains.Idempotency;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;

namespace Marketplace.Host.Api.Idempotency;

/// <summary>
/// Makes a <c>POST</c> with an <c>Idempotency-Key</c> do its work once, as Stripe defines it: the first answer once the
/// endpoint has started (2xx, 4xx, and a 5xx too) is stored per caller (the token's subject and the firm it acts for) and key and replayed to
/// retries with the same request; the same key with another request is refused with 422. Only retryable refusals
/// (409 <c>concurrent-update</c>, 429, 503) free the key, and endpoints whose work may have happened before such a
/// refusal derive their new ids from the key (<see cref="NewId"/>), so the retry finds that work instead of repeating it.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next, IGrainFactory grains, IHostApplicationLifetime lifetime, ILocalSiloDetails silo)
{
    /// <summary>An Idempotency-Key the API takes: 1 to 255 visible ASCII characters (a UUID, say).</summary>
    public static bool IsValidKey(string? key) => key is { Length: > 0 and <= 255 } && key.All(c => c is >= (char)0x21 and <= (char)0x7e);

    /// <summary>The request header.</summary>
    public const string Header = "Idempotency-Key";

    // This host's silo, named in its claims so that another host may take them over once this one is declared dead.
    private string? _claimer;

    /// <summary>Response header set on a replayed answer.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>Handles one request.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method)
            || !context.Request.Headers.TryGetValue(Header, out var values)
            || context.User.Identity?.IsAuthenticated != true)
        {
            await next(context);
            return;
        }

        var key = values.ToString();
        // Two headers would be joined into one key ("a,b") that neither names: refuse them.
        if (values.Count != 1 || !IsValidKey(key))
        {
            await ApiProblems.Write(context, ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid-idempotency-key",
                "Invalid Idempotency-Key", "An Idempotency-Key is one header of 1 to 255 visible ASCII characters, e.g. a UUID."));
            return;
        }

        var fingerprint = await FingerprintAsync(context.Request);
        var grain = grains.GetGrain<IIdempotencyGrain>($"{Caller(context.User)}/{key}");
        var decision = await grain.BeginAsync(fingerprint, _claimer ??= silo.SiloAddress.ToParsableString());
        switch (decision.Outcome)
        {
            case IdempotencyOutcome.Replay:
                await ReplayAsync(context, decision.Response!);
                return;
            case IdempotencyOutcome.Mismatch:
                await ApiProblems.Write(context, ApiProblems.Create(StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused",
                    "Idempotency-Key already used", "This Idempotency-Key was used for a different request; use a new key for a new request."));
                return;
            case IdempotencyOutcome.InProgress:
                context.Response.Headers.RetryAfter = "1";
                await ApiProblems.Write(context, ApiProblems.Create(StatusCodes.Status409Conflict, "idempotency-request-in-progress",
                    "Request in progress", "The first request with this Idempotency-Key is still being handled; retry in a moment."));
                return;
        }

        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        // The work and its answer are finished even when the caller hangs up meanwhile, so that what is stored for the key
        // is the whole answer (it was cut short: a 201 without its body) and a retry is answered with it, not done again
        // (a payment recorded twice). Only the host's stopping cancels it; the caller's own token stays readable.
        var callerAborted = context.RequestAborted;
        context.Items[CallerAbortedItem] = callerAborted;
        context.RequestAborted = lifetime.ApplicationStopping;
        try
        {
            await next(context);
        }
        catch (Exception exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            // The work may have started: answer the failure here, so that answer is stored and replayed like any other.
            context.Response.Clear();
            await ProblemHandling.WriteAsync(context, exception);
        }
        catch
        {
            context.Response.Body = original;
            context.RequestAborted = callerAborted;
            await grain.AbandonAsync(fingerprint);
            throw;
        }

        context.Response.Body = original;
        context.RequestAborted = callerAborted;
        if (ApiProblems.IsRetryable(context))
        {
            await grain.AbandonAsync(fingerprint);
        }
        else
        {
            var body = buffer.ToArray();
            if (context.GetEndpoint()?.Metadata.GetMetadata<SecretInAnswer>() is { } secret)
            {
                body = secret.Redact(body);
            }

            await grain.CompleteAsync(fingerprint, new StoredResponse(
                context.Response.StatusCode,
                context.Response.ContentType,
                context.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null,
                body));
        }

        if (callerAborted.IsCancellationRequested)
        {
            return;
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(original, context.RequestAborted);
    }

    /// <summary>Item holding the caller's own abort token while a keyed request runs on without it.</summary>
    public const string CallerAbortedItem = "marketplace.caller-aborted";

    /// <summary>
    /// An id for what this request creates (a hold, lot, demand or firm: 32 hex digits either way): derived from the
    /// caller, the request's path and its idempotency key when it has one (so a retry after a failure whose outcome is
    /// unknown names the same resource, and finds it), otherwise new and time-ordered (UUID v7).
    /// </summary>
    public static string NewId(HttpContext context)
    {
        if (!context.Request.Headers.TryGetValue(Header, out var key) || context.User.Identity?.IsAuthenticated != true)
        {
            return Guid.CreateVersion7().ToString("N");
        }

        var seed = System.Text.Encoding.UTF8.GetBytes($"{Caller(context.User)}\n{context.Request.Method} {context.Request.Path}\n{key}");
        return Convert.ToHexStringLower(SHA256.HashData(seed))[..32];
    }

    /// <summary>
    /// Whose keys these are: the token's subject (a person or an API client), so two members of one firm never see each
    /// other's answers, and the firm it acts for, so a person acting for two firms has a key space for each.
    /// </summary>
    private static string Caller(System.Security.Claims.ClaimsPrincipal user) => $"{user.Subject()}@{user.TraderId()}";

    private static async Task<string> FingerprintAsync(HttpRequest request)
    {
        // Up to the endpoint's own limit (a photo upload allows more than the API's 1 MiB).
        var limit = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? ApiLimits.MaxRequestBodyBytes;
        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: limit);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString}\n"));
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            hash.AppendData(chunk, 0, read);
        }

        request.Body.Position = 0;
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static async Task ReplayAsync(HttpContext context, StoredResponse stored)
    {
        context.Response.StatusCode = stored.StatusCode;
        if (stored.ContentType is not null)
        {
            context.Response.ContentType = stored.ContentType;
        }

        if (stored.Location is not null)
        {
            context.Response.Headers.Location = stored.Location;
        }

        context.Response.Headers[ReplayedHeader] = "true";
        await context.Response.Body.WriteAsync(stored.Body, context.RequestAborted);
    }
}
