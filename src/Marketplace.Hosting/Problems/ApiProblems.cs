using System.Text.Json;
using Marketplace.Domain.Common;
using Microsoft.AspNetCore.Mvc;
using Orleans.Runtime;
using Orleans.Storage;

namespace Marketplace.Hosting.Problems;

/// <summary>The one place where failures become RFC 9457 problem documents with a stable <c>type</c> per error.</summary>
public static class ApiProblems
{
    /// <summary>Prefix of every problem type; the suffix is the stable error code (see docs/api.md).</summary>
    public const string TypePrefix = "urn:marketplace:problem:";

    private static readonly HashSet<string> ReservedMembers = ["type", "title", "status", "detail", "instance", "errors", "traceId"];

    /// <summary>Seconds a caller should wait before retrying after a 503.</summary>
    public const int RetryAfterSeconds = 5;

    private const string RetryableItem = "marketplace.retryable-refusal";

    /// <summary>
    /// Refusals that ask the caller to fix something elsewhere and then send the same request again (the seller adds its
    /// IBAN, then accepts): not stored for an idempotency key, so the retry with the same key does the work.
    /// </summary>
    private static readonly HashSet<string> RefusalsToRetry = ["seller-iban-missing"];

    /// <summary>
    /// True when the answer is a refusal the caller should simply retry (409 <c>concurrent-update</c>, 429, 503):
    /// such answers are never stored for an idempotency key.
    /// </summary>
    public static bool IsRetryable(HttpContext context)
        => context.Response.StatusCode is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable
           || context.Items.ContainsKey(RetryableItem);

    /// <summary>Marks this request's refusal as one to retry (a conflict that passes): it is not stored for its idempotency key.</summary>
    public static void MarkRetryable(HttpContext context) => context.Items[RetryableItem] = true;

    /// <summary>A problem document with a stable type.</summary>
    public static ProblemDetails Create(int status, string code, string title, string? detail = null)
        => new() { Status = status, Type = TypePrefix + code, Title = title, Detail = detail };

    /// <summary>401: the caller is not signed in; <paramref name="detail"/> says why a token that was sent was refused.</summary>
    public static ProblemDetails Unauthenticated(string? detail = null)
        => Create(StatusCodes.Status401Unauthorized, "unauthenticated", "Sign-in required", detail ?? "Send a bearer token for a user or an API client.");

    /// <summary>403: the caller may not do this.</summary>
    public static ProblemDetails Forbidden()
        => Create(StatusCodes.Status403Forbidden, "forbidden", "Not allowed", "The caller may not do this.");

    /// <summary>403: the token lacks the scope the endpoint needs.</summary>
    public static ProblemDetails InsufficientScope(string? scope)
        => Create(StatusCodes.Status403Forbidden, "insufficient-scope", "Scope missing",
            scope is null ? "The token does not allow this." : $"The token lacks the scope '{scope}': ask for it when requesting the token.");

    /// <summary>429: too many requests from one address to a sign-in or token endpoint.</summary>
    public static ProblemDetails TooManyRequests(int retryAfterSeconds = 60)
        => Create(StatusCodes.Status429TooManyRequests, "too-many-requests", "Too many requests",
            retryAfterSeconds <= 60
                ? "Too many sign-in or token requests from this address; wait a minute and retry."
                : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"Too many sign-in, registration or reset requests from this address; retry after {(retryAfterSeconds + 59) / 60} minutes (Retry-After)."));

    /// <summary>400: plain HTTP from another machine to a sign-in or token endpoint.</summary>
    public static ProblemDetails HttpsRequired()
        => Create(StatusCodes.Status400BadRequest, "https-required", "HTTPS required",
            "Sign-in and token endpoints accept plain HTTP only from this machine. Use HTTPS (terminate TLS in front of the host, see README).");

    /// <summary>Maps any failure to a problem document; unexpected failures become a 500 without internals.</summary>
    public static ProblemDetails FromException(Exception exception, HttpContext context)
    {
        switch (exception)
        {
            case DomainException d:
                if (RefusalsToRetry.Contains(d.Code))
                {
                    context.Items[RetryableItem] = true;
                }

                return FromDomain(d);
            case Marketplace.Search.SearchQueryException search:
                return new ValidationProblemDetails(new Dictionary<string, string[]> { [search.Field] = [search.Message] })
                {
                    Status = StatusCodes.Status400BadRequest,
                    Type = TypePrefix + "invalid-search",
                    Title = "Search cannot run as asked",
                    Detail = search.Message,
                };
            case Marketplace.Search.SearchOffException:
                return Create(StatusCodes.Status503ServiceUnavailable, "search-off", "Search is switched off",
                    "This deployment runs without a search engine (Search:Provider=None); lots are still read by id and through their sellers.");
            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                // The limit the request was held to: an endpoint may allow more (photos, imports) than the API's default.
                return Create(StatusCodes.Status413PayloadTooLarge, "payload-too-large", "Request body too large",
                    string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"Request bodies are limited to {context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? ApiLimits.MaxRequestBodyBytes:N0} bytes here."));
            case BadHttpRequestException bad:
                return FromBadRequest(bad);
            case InvalidDataException invalid:
                // A form body the framework cannot decode (a %00 in a value, too many values): the caller's to fix.
                return Create(StatusCodes.Status400BadRequest, "bad-request", "Malformed request", $"The request body could not be read: {invalid.Message}");
            case IOException io when io.TargetSite?.DeclaringType?.Namespace == "Microsoft.AspNetCore.WebUtilities" && !context.RequestAborted.IsCancellationRequested:
                // A multipart body that ends before its closing boundary (or has no parts at all).
                return Create(StatusCodes.Status400BadRequest, "bad-request", "Malformed request",
                    "The multipart body could not be read: it ends before its closing boundary. Send each part between boundaries, and the closing one last.");
            case InconsistentStateException:
                context.Items[RetryableItem] = true;
                return Create(StatusCodes.Status409Conflict, "concurrent-update", "Changed by someone else",
                    "The resource changed while this request was being handled. Read it again and retry.");
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                // The caller hung up: nobody reads this answer, and it is no failure of ours (nginx's 499).
                return Create(ClientClosedRequest, "client-closed-request", "Client closed the request", "The caller closed the connection before the answer.");
            case SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or OrleansException or OperationCanceledException:
                // A silo gone or overloaded, whether or not the caller is still there: retryable, never a stored 500.
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Create(StatusCodes.Status503ServiceUnavailable, "service-unavailable", "Temporarily unavailable",
                    $"The marketplace could not reach its grains or their storage. Retry after {RetryAfterSeconds} seconds.");
            default:
                return Create(StatusCodes.Status500InternalServerError, "internal-error", "Unexpected error",
                    $"Something went wrong on our side. Quote trace id {context.TraceIdentifier} when reporting it.");
        }
    }

    /// <summary>Status of an answer to a caller that closed the connection first (never sent: there is nobody to send it to).</summary>
    public const int ClientClosedRequest = 499;

    /// <summary>Completes every problem document the host writes: a stable type, the request's path and its trace id.</summary>
    public static void Complete(ProblemDetails problem, HttpContext context)
    {
        GiveStableType(problem);
        problem.Instance ??= context.Request.Path;
        problem.Extensions["traceId"] = context.TraceIdentifier;
    }

    /// <summary>
    /// Gives problems raised by the framework itself (unknown route, body over the limit, wrong method or media type)
    /// a stable marketplace type, as our own errors have.
    /// </summary>
    public static void GiveStableType(ProblemDetails problem)
    {
        if (problem.Type?.StartsWith(TypePrefix, StringComparison.Ordinal) == true)
        {
            return;
        }

        (problem.Type, problem.Title, problem.Detail) = problem.Status switch
        {
            StatusCodes.Status400BadRequest => (TypePrefix + "bad-request", "Malformed request", problem.Detail ?? "The request could not be read."),
            StatusCodes.Status401Unauthorized => (TypePrefix + "unauthenticated", "Sign-in required", problem.Detail),
            StatusCodes.Status403Forbidden => (TypePrefix + "forbidden", "Not allowed", problem.Detail),
            StatusCodes.Status404NotFound => (TypePrefix + "not-found", "Not found", problem.Detail ?? "No such resource or route; GET /openapi/v1.json lists the API."),
            StatusCodes.Status405MethodNotAllowed => (TypePrefix + "method-not-allowed", "Method not allowed", problem.Detail),
            StatusCodes.Status413PayloadTooLarge => (TypePrefix + "payload-too-large", "Request body too large", $"Request bodies are limited to {ApiLimits.MaxRequestBodyBytes:N0} bytes."),
            StatusCodes.Status414UriTooLong => (TypePrefix + "uri-too-long", "Address too long", $"Addresses (path and query) are limited to {ApiLimits.MaxRequestTargetLength:N0} characters: send long input in a request body."),
            StatusCodes.Status415UnsupportedMediaType => (TypePrefix + "unsupported-media-type", "Unsupported media type", "Send the body with a Content-Type this endpoint takes: application/json for the JSON endpoints, text/csv or application/x-ndjson for imports (GET /openapi/v1.json lists each endpoint's)."),
            _ => (problem.Type, problem.Title, problem.Detail),
        };
    }

    /// <summary>Writes a problem document as the response.</summary>
    public static async Task Write(HttpContext context, ProblemDetails problem)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        var writer = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await writer.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            // A caller that does not accept JSON (a browser's Accept: text/html on an API address) still gets the
            // document: the writer declines such a request, and failing here left an empty 500.
            Complete(problem, context);
            await context.Response.WriteAsJsonAsync(problem, typeof(ProblemDetails), options: null, contentType: "application/problem+json");
        }
    }

    private static ProblemDetails FromDomain(DomainException d)
    {
        var status = d.Kind switch
        {
            DomainErrorKind.Validation => StatusCodes.Status422UnprocessableEntity,
            DomainErrorKind.Conflict => StatusCodes.Status409Conflict,
            DomainErrorKind.NotFound => StatusCodes.Status404NotFound,
            DomainErrorKind.Forbidden => StatusCodes.Status403Forbidden,
            _ => StatusCodes.Status400BadRequest,
        };
        var title = d.Kind switch
        {
            DomainErrorKind.Validation => "Invalid fields",
            DomainErrorKind.Conflict => "Not possible in the current state",
            DomainErrorKind.NotFound => "Not found",
            _ => "Not allowed",
        };
        var problem = d.Errors.Count > 0
            ? new ValidationProblemDetails(d.Errors.ToDictionary(kv => kv.Key, kv => kv.Value))
            : new ProblemDetails();
        problem.Status = status;
        problem.Type = TypePrefix + d.Code;
        problem.Title = title;
        problem.Detail = d.Message;
        foreach (var (key, value) in d.Details.Where(kv => !ReservedMembers.Contains(kv.Key)))
        {
            problem.Extensions[key] = value;
        }

        return problem;
    }

    private static ProblemDetails FromBadRequest(BadHttpRequestException bad)
        => bad.InnerException is JsonException json ? FromJson(json)
            // The framework's words for an empty or null body name its own parameter and suggest a service; say what to send.
            : bad.Message.Contains("no body was provided", StringComparison.Ordinal) || bad.Message.Contains("was not provided from body", StringComparison.Ordinal)
                ? Create(StatusCodes.Status400BadRequest, "missing-body", "Missing body", "The request needs a JSON body (Content-Type: application/json); it was empty or null.")
            : Create(StatusCodes.Status400BadRequest, "bad-request", "Malformed request", bad.Message);

    /// <summary>
    /// The serializer's message without the .NET type it names ("could not be converted to Marketplace.Host.Api…"):
    /// the caller needs the field and the position, not the host's internals.
    /// </summary>
    /// <remarks>
    /// Plain string work, not a regular expression with a time limit: on a loaded machine a descheduled thread ran out
    /// of such a limit, and the refusal of a bad body became a failure of the error handler.
    /// </remarks>
    private static string WithoutTypeNames(string message)
    {
        const string Marker = "converted to ";
        var start = message.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return message;
        }

        var name = start + Marker.Length;
        for (var i = name; i < message.Length; i++)
        {
            var c = message[i];
            if (c == '.' && (i + 1 == message.Length || message[i + 1] == ' '))
            {
                return i == name ? message : string.Concat(message.AsSpan(0, name), "the expected type", message.AsSpan(i));
            }

            if (!char.IsLetterOrDigit(c) && c is not ('_' or '.' or '`' or '+' or '[' or ']' or ',' or ' '))
            {
                return message;
            }
        }

        return message;
    }

    private static ProblemDetails FromJson(JsonException json)
    {
        var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "$" : json.Path.TrimStart('$', '.');
        return new ValidationProblemDetails(new Dictionary<string, string[]>
        {
            [field] = [json.InnerException is InvalidOperationException invalid && invalid.Message.Contains("surrogate", StringComparison.OrdinalIgnoreCase)
                ? $"The text holds half a surrogate pair (a \\uD800-\\uDFFF escape without its other half, line {json.LineNumber + 1}, position {json.BytePositionInLine}): send each character whole."
                : $"The value is not valid JSON of the expected type (line {json.LineNumber + 1}, position {json.BytePositionInLine}): {WithoutTypeNames(JsonMessages.WithoutPosition(json.Message))}"],
        })
        {
            Status = StatusCodes.Status400BadRequest,
            Type = TypePrefix + "malformed-json",
            Title = "Malformed JSON",
            Detail = "The request body is not valid JSON or has a value of the wrong type.",
        };
    }
}
