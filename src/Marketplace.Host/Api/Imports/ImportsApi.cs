using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text;
using Marketplace.Domain.Common;
using Marketplace.Domain.Imports;
using Marketplace.Grains.Imports;
using Marketplace.Grains.Traders;
using Marketplace.Host.Api.Exports;
using Marketplace.Host.Imports;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Marketplace.Host.Api.Imports;

/// <summary>Bulk import of a firm's lots from CSV or JSON Lines, run as a job with progress, a per-row report and cancellation.</summary>
public static class ImportsApi
{
    /// <summary>Query parameters naming a column for a field start with this (<c>?map.title=Nimike</c>).</summary>
    public const string MapPrefix = "map.";

    private static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Maps <c>/api/v1/imports</c>.</summary>
    public static IEndpointRouteBuilder MapImportsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/imports").WithTags("Imports").WithCommonProblems();
        var owner = AccessRule.Owner(ApiScopes.ListingsWrite, otherFirm: 404, platformAdmin: 404);
        var maxFileBytes = routes.ServiceProvider.GetRequiredService<IOptions<ImportOptions>>().Value.MaxFileBytes;
        group.MapPost("/", CreateAsync).WithName("CreateImport").WithAccess(AccessRule.AnyFirm(ApiScopes.ListingsWrite))
            // The import's own limit from routing on (plus one byte, to see a larger body): the idempotency middleware
            // reads the body before the endpoint does, and was holding it to the API's 1 MiB.
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(maxFileBytes + 1))
            .Accepts<string>(ExportWriter.CsvMediaType, ExportWriter.JsonLinesMediaType)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            // ?publish is read by the endpoint itself (so a bad value is named) but is a boolean to clients.
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
                {
                    if (parameter.Name == "publish")
                    {
                        parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.Boolean };
                    }
                }

                return Task.CompletedTask;
            })
            .WithSummary("Imports the caller's lots from CSV (text/csv; ';' or ',', decimal commas accepted) or JSON Lines (application/x-ndjson): "
                + "each row's externalId makes a re-upload change only what differs. Answers 202 with the job; ?map.<field>=<column> names columns, ?publish=false keeps new lots as drafts.");
        group.MapGet("/{id}", GetAsync).WithName("GetImport").WithAccess(owner)
            .WithSummary("An import job: status, counts by outcome, progress and the first problems; the firm's own jobs only.");
        group.MapGet("/{id}/report", ReportAsync).WithName("GetImportReport").WithAccess(owner)
            .Produces(StatusCodes.Status200OK, contentType: ExportWriter.CsvMediaType, additionalContentTypes: [ExportWriter.JsonLinesMediaType])
            .WithSummary("The import's problems, one per row and field (line, externalId, field, message), as CSV (default) or JSON Lines (?format=jsonl).");
        group.MapDelete("/{id}", CancelAsync).WithName("CancelImport").WithAccess(owner)
            .WithSummary("Stops a running import between rows; rows applied stay applied. A finished import is answered as it is.");
        return routes;
    }

    /// <summary>Longest <c>?name=</c> an import keeps.</summary>
    public const int MaxNameLength = 200;

    private static async Task<Results<Accepted<ImportResponse>, ProblemHttpResult>> CreateAsync(
        HttpContext context, ImportJobs jobs, IGrainFactory grains, TimeProvider time, string? publish = null, string? name = null)
    {
        var firm = context.User.ActingTraderId();
        // Read here rather than bound as a bool, so that a bad value is named (the binder's refusal said only "could not be read").
        bool? publishes = publish is null ? null : bool.TryParse(publish, out var p) ? p : null;
        if (publish is not null && publishes is null)
        {
            return TypedResults.Problem(ApiProblems.Create(StatusCodes.Status400BadRequest, "bad-request", "Malformed request",
                $"?publish must be true or false, not '{(publish.Length > 20 ? publish[..20] + "…" : publish)}'."));
        }

        // The name is kept with the job and shown with it: bounded like any text a firm stores.
        var named = new Validation();
        named.Text(name, "name", MaxNameLength, required: false);
        named.ThrowIfInvalid();

        var format = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant() switch
        {
            ExportWriter.CsvMediaType or "application/csv" => ImportFormat.Csv,
            ExportWriter.JsonLinesMediaType or "application/jsonl" or "application/x-jsonlines" or "application/jsonlines" => ImportFormat.JsonLines,
            _ => (ImportFormat?)null,
        };
        if (format is null)
        {
            return TypedResults.Problem(ApiProblems.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
                "Send the file as text/csv or application/x-ndjson (JSON Lines)."));
        }

        var mapping = ImportMapping.Default;
        foreach (var (key, value) in context.Request.Query)
        {
            if (key.StartsWith(MapPrefix, StringComparison.OrdinalIgnoreCase))
            {
                mapping.With(key[MapPrefix.Length..], value.ToString());
            }
        }

        // Refuses a firm that is not a seller before reading a large body, with the same problem creating a lot gives.
        await grains.GetGrain<ITraderGrain>(firm).AddListingsAsync([]);
        var slot = jobs.TryReserve(firm, out var firmBusy);
        if (slot is null)
        {
            if (firmBusy)
            {
                // It passes when that import ends: a retry with the same Idempotency-Key must not replay this.
                ApiProblems.MarkRetryable(context);
                throw DomainException.Conflict("import-running", "An import of this firm is still running on this host: wait for it to end (GET /api/v1/imports/{id}, the Location its upload answered, shows its progress), or cancel it (DELETE /api/v1/imports/{id}).");
            }

            context.Response.Headers.RetryAfter = "30";
            return TypedResults.Problem(ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, "imports-busy", "Imports busy",
                $"This host is running {jobs.Options.MaxConcurrent} imports already. Retry after 30 seconds."));
        }

        try
        {
            var text = await ReadBodyAsync(context, jobs.Options.MaxFileBytes);
            if (text is null)
            {
                slot.Dispose();
                return TypedResults.Problem(ApiProblems.Create(StatusCodes.Status413PayloadTooLarge, "import-too-large", "Import too large",
                    $"An import file has at most {jobs.Options.MaxFileBytes:N0} bytes; split the file."));
            }

            var rows = jobs.Read(firm, text, format.Value, mapping);
            var job = await jobs.StartAsync(firm, name, format.Value, rows, publishes ?? true, slot);
            return TypedResults.Accepted($"/api/v1/imports/{job.Id}", ImportResponse.From(job, time.GetUtcNow(), jobs.Options.InterruptedAfter));
        }
        catch
        {
            slot.Dispose();
            throw;
        }
    }

    /// <summary>The body as UTF-8 text, or null when it is larger than <paramref name="limit"/> bytes.</summary>
    private static async Task<string?> ReadBodyAsync(HttpContext context, long limit)
    {
        if (context.Request.ContentLength > limit)
        {
            return null;
        }

        // The API's 1 MiB body limit is raised for this endpoint only, to the import limit (plus one byte, to see a larger body).
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit + 1;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            var text = StrictUtf8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            // NUL is valid UTF-8 but no text file's: UTF-16 without a byte-order mark decodes to letters between NULs, and
            // was then refused for a missing column instead of for its encoding.
            if (text.IndexOf('\0', StringComparison.Ordinal) is var nul and >= 0)
            {
                var line = text.AsSpan(0, nul).Count('\n') + 1;
                throw new DomainException("invalid-encoding", $"The file holds a NUL character (line {line}): it is not a text file, or it is UTF-16 without a byte-order mark.",
                    DomainErrorKind.Validation, new Dictionary<string, string[]> { ["file"] = [$"Line {line} holds a NUL character. Save the file as UTF-8 text (Excel: 'CSV UTF-8')."] });
            }

            return text;
        }
        catch (DecoderFallbackException)
        {
            throw new DomainException("invalid-encoding", "The file is not UTF-8 text.", DomainErrorKind.Validation,
                new Dictionary<string, string[]> { ["file"] = ["Save the file as UTF-8 (Excel: 'CSV UTF-8')."] });
        }
    }

    private static async Task<Ok<ImportResponse>> GetAsync(string id, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time, IOptions<ImportOptions> options)
        => TypedResults.Ok(ImportResponse.From(await OwnJobAsync(id, user, grains), time.GetUtcNow(), options.Value.InterruptedAfter));

    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> ReportAsync(
        string id, HttpContext context, IGrainFactory grains, IOptions<HttpJsonOptions> json, string? format = null)
    {
        var job = await OwnJobAsync(id, context.User, grains);
        var chosen = format is null ? ExportFormat.Csv : ExportWriter.Negotiate(context.Request, format).Format;
        return ExportWriter.Stream(chosen, $"import-{id}-report", ReportColumns, ct => AsAsync(job.Errors, ct), e => e, json.Value.SerializerOptions, context.RequestAborted);
    }

    private static async Task<Ok<ImportResponse>> CancelAsync(string id, ClaimsPrincipal user, IGrainFactory grains, ImportJobs jobs, TimeProvider time, IOptions<ImportOptions> options)
    {
        await OwnJobAsync(id, user, grains);
        var job = await grains.GetGrain<IImportJobGrain>(id).CancelAsync();
        jobs.CancelHere(id);
        return TypedResults.Ok(ImportResponse.From(job, time.GetUtcNow(), options.Value.InterruptedAfter));
    }

    /// <summary>The caller's firm's job; any other firm's (and a platform admin's look at one) is 404, as if it did not exist.</summary>
    private static async Task<ImportJob> OwnJobAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        var job = await grains.GetGrain<IImportJobGrain>(id).GetAsync();
        return job is not null && job.FirmId == user.TraderIdWithScope(ApiScopes.ListingsWrite) ? job : throw DomainException.NotFound("import", id);
    }

    private static readonly ExportColumn<ImportError>[] ReportColumns =
    [
        new("line", e => e.Line), new("externalId", e => e.ExternalId), new("field", e => e.Field), new("message", e => e.Message),
    ];

    private static async IAsyncEnumerable<T> AsAsync<T>(IEnumerable<T> items, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return item;
        }

        await Task.CompletedTask;
    }
}

/// <summary>An import job as the API shows it.</summary>
/// <param name="Id">The job's id.</param>
/// <param name="Status">running, completed, cancelled, failed, or interrupted (still marked running but its host stopped: upload again).</param>
/// <param name="FileName">The name given with <c>?name=</c>.</param>
/// <param name="Format">csv or jsonl.</param>
/// <param name="Rows">Data rows in the file.</param>
/// <param name="Processed">Rows dealt with so far.</param>
/// <param name="Created">Rows that created a lot.</param>
/// <param name="Updated">Rows that changed their lot.</param>
/// <param name="Unchanged">Rows equal to their lot: nothing written.</param>
/// <param name="Rejected">Rows with a problem (see the report).</param>
/// <param name="Percent">Processed rows as a percentage of all rows.</param>
/// <param name="CancelRequested">True once a cancellation was asked.</param>
/// <param name="StartedAt">When the job started.</param>
/// <param name="UpdatedAt">When it last reported progress.</param>
/// <param name="FinishedAt">When it finished.</param>
/// <param name="Failure">Why a failed job stopped.</param>
/// <param name="Report">Where the per-row report is downloaded.</param>
/// <param name="ReportTruncated">True when the report keeps fewer problems than were found.</param>
/// <param name="Errors">The first problems (at most 20; the report has all).</param>
public sealed record ImportResponse(
    string Id, string Status, string? FileName, string Format, int Rows, int Processed, int Created, int Updated, int Unchanged, int Rejected,
    int Percent, bool CancelRequested, DateTimeOffset StartedAt, DateTimeOffset UpdatedAt, DateTimeOffset? FinishedAt, string? Failure,
    string Report, bool ReportTruncated, IReadOnlyList<ImportError> Errors)
{
    /// <summary>Maps a job as of <paramref name="now"/>.</summary>
    public static ImportResponse From(ImportJob job, DateTimeOffset now, TimeSpan interruptedAfter)
    {
        var c = job.Counts;
        return new ImportResponse(job.Id, job.IsInterrupted(now, interruptedAfter) ? "interrupted" : ImportJob.StatusCode(job.Status), job.FileName,
            job.Format == ImportFormat.Csv ? "csv" : "jsonl", job.Rows, c.Processed, c.Created, c.Updated, c.Unchanged, c.Rejected,
            job.Rows == 0 ? 100 : (int)(100L * c.Processed / job.Rows), job.CancelRequested, job.StartedAt, job.UpdatedAt, job.FinishedAt, job.Failure,
            $"/api/v1/imports/{job.Id}/report", job.ReportTruncated, job.Errors.Take(20).ToArray());
    }
}
