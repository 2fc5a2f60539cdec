using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketplace.Host.Web;

/// <summary>A problem document (RFC 9457) the API answered, as the pages show it.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Code">The stable code, the last part of <c>type</c> (<c>hold-exceeds-available</c>).</param>
/// <param name="Title">The API's title.</param>
/// <param name="Detail">The API's detail sentence.</param>
/// <param name="Errors">Field path → messages, for validation problems.</param>
public sealed record ApiProblem(int Status, string Code, string? Title, string? Detail, IReadOnlyDictionary<string, string[]> Errors)
{
    /// <summary>Prefix of every problem type.</summary>
    public const string TypePrefix = "urn:marketplace:problem:";
}

/// <summary>The answer to one API call: the value, or the problem.</summary>
/// <typeparam name="T">The value's type.</typeparam>
public sealed record ApiResult<T>(T? Value, ApiProblem? Problem, HttpStatusCode Status)
{
    /// <summary>True when the API answered 2xx.</summary>
    public bool Ok => Problem is null;
}

/// <summary>
/// The pages' way to the data: this host's own API over loopback HTTP, with the signed-in person's access token, so a
/// page is allowed exactly what the API allows that person and shows the API's problems (see docs/architecture.md, Web).
/// </summary>
public sealed class MarketplaceApi(IHttpClientFactory http, WebSession session)
{
    /// <summary>JSON as the API writes it: camelCase, enums by name.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>GET a document.</summary>
    public Task<ApiResult<T>> GetAsync<T>(string path, CancellationToken ct) => SendAsync<T>(HttpMethod.Get, path, null, null, ct);

    /// <summary>
    /// POST a JSON body, with an optional <c>Idempotency-Key</c> so a form sent twice acts once. Without a body the
    /// request has no content at all (no <c>Content-Type</c>): an endpoint whose JSON body is optional, such as
    /// accepting a match, answers 415 to an empty <c>text/plain</c> one.
    /// </summary>
    public Task<ApiResult<T>> PostAsync<T>(string path, object? body, CancellationToken ct, string? idempotencyKey = null)
        => SendAsync<T>(HttpMethod.Post, path, body, idempotencyKey, ct);

    /// <summary>PATCH a JSON body.</summary>
    public Task<ApiResult<T>> PatchAsync<T>(string path, object body, CancellationToken ct) => SendAsync<T>(HttpMethod.Patch, path, body, null, ct);

    /// <summary>DELETE a resource.</summary>
    public Task<ApiResult<JsonElement>> DeleteAsync(string path, CancellationToken ct) => SendAsync<JsonElement>(HttpMethod.Delete, path, null, null, ct);

    /// <summary>Opens a streamed GET (server-sent events) with the person's token; the caller disposes the response.</summary>
    public async Task<HttpResponseMessage?> OpenStreamAsync(string path, string? lastEventId, CancellationToken ct)
    {
        var token = await session.AccessTokenAsync(ct);
        if (token is null)
        {
            return null;
        }

        var client = http.CreateClient(WebSetup.ApiClientName);
        client.Timeout = Timeout.InfiniteTimeSpan;
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (!string.IsNullOrEmpty(lastEventId))
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    /// <summary>How long a form sent again while its first sending is still being handled waits for that one's answer.</summary>
    private static readonly TimeSpan InProgressWait = TimeSpan.FromSeconds(15);

    private async Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, object? body, string? idempotencyKey, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + InProgressWait;
        if (idempotencyKey is { Length: > 0 } && !Api.Idempotency.IdempotencyMiddleware.IsValidKey(idempotencyKey))
        {
            // The form's hidden key was edited into something no header can carry (non-ASCII, control characters, 100k
            // characters): a 500 or the API's raw refusal before (probe 26). This sending gets a key of its own instead;
            // only a form tampered with loses the double-click guard.
            idempotencyKey = Guid.NewGuid().ToString("N");
        }

        while (true)
        {
            var (result, inProgress) = await SendOnceAsync<T>(method, path, body, idempotencyKey, ct);
            // A form sent twice (a double click): the second sending waits for the first's answer, and shows that, instead
            // of the API's "still being handled". A multipart body (a photo) is read once, so it is not sent again.
            if (!inProgress || body is HttpContent || DateTime.UtcNow >= deadline)
            {
                return result;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
    }

    private async Task<(ApiResult<T> Result, bool InProgress)> SendOnceAsync<T>(HttpMethod method, string path, object? body, string? idempotencyKey, CancellationToken ct)
    {
        using var client = http.CreateClient(WebSetup.ApiClientName);
        using var request = new HttpRequestMessage(method, path);
        var token = await session.AccessTokenAsync(ct);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        // The API answers in the page's language where it words something for a person (an invitation's mail).
        request.Headers.AcceptLanguage.ParseAdd(System.Globalization.CultureInfo.CurrentUICulture.Name is { Length: > 0 } language ? language : "en");

        if (body is HttpContent content)
        {
            // A form's file (a lot's photo) goes as it is, multipart.
            request.Content = content;
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        if (!string.IsNullOrEmpty(idempotencyKey))
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        using var response = await client.SendAsync(request, ct);
        if (response.IsSuccessStatusCode)
        {
            var value = response.StatusCode == HttpStatusCode.NoContent || response.Content.Headers.ContentLength == 0
                ? default
                : await response.Content.ReadFromJsonAsync<T>(Json, ct);
            return (new ApiResult<T>(value, null, response.StatusCode), false);
        }

        if (token is not null && response.StatusCode == HttpStatusCode.Unauthorized)
        {
            // The session's token was revoked: the session is over (see WebPage, which then asks to sign in).
            await session.EndAsync();
        }

        var problem = await ProblemAsync(response, ct);
        return (new ApiResult<T>(default, problem, response.StatusCode), idempotencyKey is not null && problem.Code == "idempotency-request-in-progress");
    }

    private static async Task<ApiProblem> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        try
        {
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
            var root = document.RootElement;
            var type = root.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
            var errors = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
            if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in e.EnumerateObject())
                {
                    errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                        ? field.Value.EnumerateArray().Select(m => m.ToString()).ToArray()
                        : [field.Value.ToString()];
                }
            }

            return new ApiProblem(status, type.StartsWith(ApiProblem.TypePrefix, StringComparison.Ordinal) ? type[ApiProblem.TypePrefix.Length..] : "http-" + status,
                root.TryGetProperty("title", out var title) ? title.GetString() : null,
                root.TryGetProperty("detail", out var detail) ? detail.GetString() : null, errors);
        }
        catch (JsonException)
        {
            return new ApiProblem(status, "http-" + status, response.ReasonPhrase, null, new Dictionary<string, string[]>());
        }
    }
}
