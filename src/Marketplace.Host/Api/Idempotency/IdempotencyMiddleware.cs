using System.Security.Cryptography;
using Marketplace.Grains.Idempotency;
using Marketplace.Host.Api.Problems;
using Marketplace.Host.Identity;

namespace Marketplace.Host.Api.Idempotency;

/// <summary>
/// Makes a <c>POST</c> with an <c>Idempotency-Key</c> do its work once: the first answer (2xx or 4xx) is stored per
/// caller and key and replayed to retries with the same body; the same key with another body is refused with 422.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next, IGrainFactory grains)
{
    /// <summary>The request header.</summary>
    public const string Header = "Idempotency-Key";

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
        if (key.Length is 0 or > 255 || key.Any(c => c < 0x21 || c > 0x7e))
        {
            await ApiProblems.Write(context, ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid-idempotency-key",
                "Invalid Idempotency-Key", "An Idempotency-Key is 1 to 255 visible ASCII characters, e.g. a UUID."));
            return;
        }

        var fingerprint = await FingerprintAsync(context.Request);
        var caller = context.User.TraderId() ?? context.User.Subject();
        var grain = grains.GetGrain<IIdempotencyGrain>($"{caller}/{key}");
        var decision = await grain.BeginAsync(fingerprint);
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
        try
        {
            await next(context);
        }
        catch
        {
            context.Response.Body = original;
            await grain.AbandonAsync(fingerprint);
            throw;
        }

        context.Response.Body = original;
        if (context.Response.StatusCode < 500)
        {
            await grain.CompleteAsync(fingerprint, new StoredResponse(
                context.Response.StatusCode,
                context.Response.ContentType,
                context.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null,
                buffer.ToArray()));
        }
        else
        {
            await grain.AbandonAsync(fingerprint);
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(original, context.RequestAborted);
    }

    private static async Task<string> FingerprintAsync(HttpRequest request)
    {
        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: ApiLimits.MaxRequestBodyBytes);
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
