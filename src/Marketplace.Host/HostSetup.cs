using System.Text.Json.Serialization;
using Marketplace.Grains;
using Marketplace.Host.Api.Callers;
using Marketplace.Host.Api.Carbon;
using Marketplace.Host.Api.Clients;
using Marketplace.Host.Api.Demands;
using Marketplace.Host.Api.Exports;
using Marketplace.Host.Api.Health;
using Marketplace.Host.Api.Idempotency;
using Marketplace.Host.Api.Imports;
using Marketplace.Host.Imports;
using Marketplace.Host.Api.Listings;
using Marketplace.Host.Api.Matches;
using Marketplace.Host.Api.Reviews;
using Marketplace.Host.Api.Materials;
using Marketplace.Host.Api.Members;
using Marketplace.Host.Api.Admin;
using Marketplace.Host.Api.Orders;
using Marketplace.Host.Api.Payments;
using Marketplace.Host.Api.Schemas;
using Marketplace.Host.Api.Search;
using Marketplace.Host.Api.Traders;
using Marketplace.Host.Api.Webhooks;
using Marketplace.Host.Api.TransferDocuments;
using Marketplace.Host.Deploy;
using Marketplace.Host.Telemetry;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Scalar.AspNetCore;

namespace Marketplace.Host;

/// <summary>The host's table of contents: the silo, the API's services and middleware, and its endpoints.</summary>
public static class HostSetup
{
    /// <summary>Co-hosts the Orleans silo, configured from <c>Cluster</c> and <c>Storage</c>.</summary>
    public static IHostApplicationBuilder AddMarketplaceSilo(this IHostApplicationBuilder builder)
    {
        ResolveDataPaths(builder);
        // Orleans 10.4's watchdog starts its platform thread before it starts the participant-check stopwatch, so its
        // first look can see a default stopwatch and warn that the participant check "has not completed" for the
        // machine's whole uptime: a false alarm at nearly every start on a busy machine. Only its errors are shown;
        // real stalls still surface through membership's LocalSiloHealthMonitor and the readiness check.
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
        builder.UseOrleans(silo => silo.AddMarketplace(builder.Configuration).AddMarketplaceTelemetry(builder.Configuration).AddMarketplaceKubernetes(builder.Configuration));
        // Stopping services (the silo's graceful stop above all) are told to give up after this long.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout(builder.Configuration));
        return builder;
    }

    /// <summary>
    /// The silo of a one-off command (seed, import, clients, users): warnings and errors only, and no start-up sweeps
    /// (<see cref="Grains.Common.StartupSweep"/>), which the command would only cut short when it stops; the host's
    /// next start runs them. A setting given on the command line wins.
    /// </summary>
    public static IHostApplicationBuilder AddMarketplaceCommandSilo(this IHostApplicationBuilder builder)
    {
        builder.Configuration["Logging:LogLevel:Default"] ??= "Warning";
        builder.Configuration["Logging:LogLevel:Microsoft.Hosting.Lifetime"] ??= "Warning";
        // A command stops its silo as soon as its work is done; Orleans' load publisher can be cancelled inside its timer
        // callback then and warn that it "caught and ignored" the cancellation (a CI run saw it after `clients create`).
        builder.Configuration["Logging:LogLevel:Orleans.Runtime.GrainTimer"] ??= "Error";
        builder.Configuration[Grains.Common.StartupSweep.Setting] ??= "false";
        // Not on a running host's embedded folder: its grains would be activated twice, each silo writing over the other.
        if (EmbeddedDataFolder(builder) is { } folder)
        {
            using var free = Hosting.DataFolderLock.Acquire(folder);
        }

        return builder.AddMarketplaceSilo();
    }

    /// <summary>The data folder when the grain store is the embedded SQLite file (whose folder one process owns at a time), else null.</summary>
    public static string? EmbeddedDataFolder(IHostApplicationBuilder builder)
        => (builder.Configuration.GetSection(Grains.Storage.StorageOptions.Section).Get<Grains.Storage.StorageOptions>() ?? new Grains.Storage.StorageOptions()).Provider == "Sqlite"
            ? Hosting.DataFolder.Of(builder)
            : null;

    /// <summary>Setting <c>ShutdownTimeout</c>: how long a stopping host lets its services finish (default 10 s).</summary>
    public static TimeSpan ShutdownTimeout(IConfiguration configuration)
    {
        var timeout = configuration.GetValue("ShutdownTimeout", TimeSpan.FromSeconds(10));
        return timeout > TimeSpan.Zero && timeout <= TimeSpan.FromMinutes(10)
            ? timeout
            : throw new InvalidOperationException($"ShutdownTimeout must be above zero and at most 10 minutes, not {timeout}.");
    }

    /// <summary>
    /// Runs until asked to stop (SIGTERM, Ctrl+C), then stops within <c>ShutdownTimeout</c> plus 2 s whatever happens:
    /// the silo's graceful stop retries its membership table without end when the storage has gone away, and does not
    /// heed the host's cancellation, so past the bound the process leaves without it. Grain state is written as it
    /// changes; what a cut-off stop skips is telling the cluster, whose probes then declare this silo dead.
    /// </summary>
    public static async Task RunBoundedAsync(this WebApplication app)
    {
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (app.Lifetime.ApplicationStopping.Register(() => stopping.TrySetResult()))
        {
            await stopping.Task;
        }

        var timeout = ShutdownTimeout(app.Configuration);
        using var giveUp = new CancellationTokenSource(timeout);
        var stop = app.StopAsync(giveUp.Token);
        if (await Task.WhenAny(stop, Task.Delay(timeout + TimeSpan.FromSeconds(2))) != stop)
        {
            // Straight to standard error: the console logger writes on a queue that may not drain before the process ends.
            await Console.Error.WriteLineAsync($"The host did not stop within ShutdownTimeout ({timeout}) and 2 s more (is its storage unreachable?); leaving without a clean stop.");
            return;
        }

        await stop;
        await app.DisposeAsync();
    }

    /// <summary>Resolves the grain store's file once (<see cref="Hosting.DataFolder.GrainStore"/>), so the silo does not depend on the current directory.</summary>
    private static void ResolveDataPaths(IHostApplicationBuilder builder)
        => builder.Configuration[Hosting.DataFolder.GrainStoreSetting] = Hosting.DataFolder.GrainStore(builder);

    /// <summary>Adds problem details, OpenAPI, JSON settings, request limits and health checks.</summary>
    public static IServiceCollection AddMarketplaceApi(this IServiceCollection services)
    {
        services.AddMarketplaceProblems();
        services.Configure<ProblemPageOptions>(o => o.ShowsPage = ForBrowser);
        services.AddMarketplaceCallers();
        services.AddMarketplaceHealth();
        services.AddMatchStreams();
        services.AddMarketplaceImportJobs();
        services.AddOpenApi(o =>
        {
            var security = new OpenApiSecurity();
            o.AddDocumentTransformer(security);
            o.AddOperationTransformer(security);
            o.AddDocumentTransformer<Api.ApiDescription>();
            o.AddOperationTransformer<Api.Idempotency.IdempotencyOpenApi>();
            // The instant converter hides the type from the generator: an instant is a date-time string, as before.
            o.AddSchemaTransformer((schema, context, _) =>
            {
                var type = context.JsonTypeInfo.Type;
                if (type == typeof(DateTimeOffset) || type == typeof(DateTimeOffset?))
                {
                    schema.Type = type == typeof(DateTimeOffset) ? Microsoft.OpenApi.JsonSchemaType.String : Microsoft.OpenApi.JsonSchemaType.Null | Microsoft.OpenApi.JsonSchemaType.String;
                    schema.Format = "date-time";
                }

                return Task.CompletedTask;
            });
        });
        // Enums by name only: a number such as 0 is not a name, so a body binding an enum refuses it (400) instead of
        // taking it for the first member (as "0" once became condition A).
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
            // {"title":"x","title":"y"} (or "Title") is refused, not read as y: a proxy or validator that reads the first
            // key must not see another lot than the one stored.
            o.SerializerOptions.AllowDuplicateProperties = false;
            o.SerializerOptions.Converters.Add(new Api.InstantJsonConverter());
        });
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o =>
        {
            o.Limits.MaxRequestBodySize = ApiLimits.MaxRequestBodyBytes;
            o.Limits.MaxRequestLineSize = ApiLimits.MaxRequestLineBytes;
        });
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>
    /// Middleware in order: the real client behind trusted proxies, problems for failures, limits per address, who is
    /// calling and what they may do, limits per caller, idempotent retries.
    /// </summary>
    public static WebApplication UseMarketplaceApi(this WebApplication app)
    {
        // Every answer, not only the pages: JSON, exports and open data carry sellers' text, which a browser must never
        // sniff into a page (probe 28). Set as the answer starts, so an error handler that clears the headers keeps it.
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                ((HttpResponse)state).Headers.XContentTypeOptions = "nosniff";
                return Task.CompletedTask;
            }, context.Response);
            return next(context);
        });
        app.UseMarketplaceForwardedHeaders();
        // A failure on a person's page sends the browser to the error page with the failure's status (a form that cannot
        // be read is 400); everything else gets the problem document (ProblemPageOptions, set in AddMarketplaceApi).
        app.UseExceptionHandler();
        // A person's browser gets a page in their language for an answer without a body (an unknown address, a page's
        // NotFound); the API, the sign-in server and every other caller get a problem document.
        app.UseWhen(ForBrowser, branch => branch.UseStatusCodePagesWithReExecute("/error/{0}"));
        app.UseWhen(c => !ForBrowser(c), branch => branch.UseStatusCodePages());
        // An address too long for any page or endpoint: 414 without a body, which the status code pages above make a
        // problem document or the error page (Kestrel's own 414, past its request-line limit, has no body at all).
        app.Use((context, next) =>
        {
            // A refusal below re-executed as the error page carries the same headers and body: not refused again (the page
            // would be left blank).
            if (context.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodeReExecuteFeature>() is not null)
            {
                return next(context);
            }

            if ((context.Request.Path.Value?.Length ?? 0) + (context.Request.QueryString.Value?.Length ?? 0) > ApiLimits.MaxRequestTargetLength)
            {
                context.Response.StatusCode = StatusCodes.Status414UriTooLong;
                return Task.CompletedTask;
            }

            // A compressed body was read as if it were plain, and refused as "not valid JSON".
            if (context.Request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            {
                return Refuse(context, ApiProblems.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
                    "Compressed request bodies are not accepted: send the body without a Content-Encoding."));
            }

            // A charset the server cannot decode failed deep in the JSON reader with a 500.
            if (UnknownCharset(context.Request.ContentType) is { } charset)
            {
                return Refuse(context, ApiProblems.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
                    $"The charset '{charset}' is not one this server reads: send UTF-8 (charset=utf-8, or no charset)."));
            }

            // Escapes that do not spell UTF-8 are left escaped by the framework's decoding, so a search would look for
            // "%ED%A0%80" itself: refuse them, as a body that is not UTF-8 is refused.
            if (!QueryIsUtf8(context.Request.QueryString.Value))
            {
                return Refuse(context, ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid-encoding", "Address not UTF-8",
                    "The query string's percent-escapes do not spell UTF-8 text: encode parameters as UTF-8 before escaping them."));
            }

            // The same for a form's body: the framework's form reader leaves such escapes as typed, so "%ED%A0%80" was
            // stored as a lot's text, unlike in JSON bodies, which are refused when they are not UTF-8.
            if (HttpMethods.IsPost(context.Request.Method) && IsUrlEncodedForm(context.Request.ContentType))
            {
                return CheckFormEncodingAsync(context, next);
            }

            return next(context);
        });
        // Routing after the status code pages, so that a re-executed request is routed to the error page.
        app.UseRouting();
        app.Use(QueryNumbersAndFlags);
        app.UseMarketplaceIdentity();
        app.Use(CallerSetup.LimitPerCaller);
        app.UseMiddleware<IdempotencyMiddleware>();
        return app;
    }

    /// <summary>
    /// An endpoint's number and flag query parameters (<c>limit</c>, <c>overdue</c>, …) that do not read as one value of
    /// their type: 400 <c>bad-request</c> naming each. The framework answered them with a bare 400 that named nothing
    /// ("limit=abc", or "limit=5&amp;limit=5", which it joins into "5,5").
    /// </summary>
    private static Task QueryNumbersAndFlags(HttpContext context, RequestDelegate next)
    {
        if (!IsMachinePath(context.Request.Path) || context.Request.QueryString.Value is not { Length: > 0 }
            || context.GetEndpoint()?.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Http.Metadata.IParameterBindingMetadata>() is not { Count: > 0 } parameters)
        {
            return next(context);
        }

        Dictionary<string, string[]>? errors = null;
        foreach (var parameter in parameters)
        {
            var type = Nullable.GetUnderlyingType(parameter.ParameterInfo.ParameterType) ?? parameter.ParameterInfo.ParameterType;
            var kind = type == typeof(int) || type == typeof(long) ? "a whole number" : type == typeof(bool) ? "true or false" : null;
            if (kind is null || context.Request.RouteValues.ContainsKey(parameter.Name) || !context.Request.Query.TryGetValue(parameter.Name, out var values))
            {
                continue;
            }

            var valid = values.Count == 1 && (string.IsNullOrEmpty(values[0])
                || (type == typeof(bool) ? bool.TryParse(values[0], out _) : long.TryParse(values[0], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var number) && (type == typeof(long) || number is >= int.MinValue and <= int.MaxValue)));
            if (!valid)
            {
                (errors ??= [])[parameter.Name] = [values.Count > 1 ? $"Give {parameter.Name} once, not {values.Count} times." : $"{parameter.Name} must be {kind}."];
            }
        }

        return errors is null
            ? next(context)
            : ApiProblems.Write(context, new Microsoft.AspNetCore.Http.HttpValidationProblemDetails(errors)
            {
                Status = StatusCodes.Status400BadRequest,
                Type = ApiProblems.TypePrefix + "bad-request",
                Title = "Malformed request",
                Detail = $"The query parameter{(errors.Count > 1 ? "s" : "")} {string.Join(", ", errors.Keys)} could not be read: {string.Join(" ", errors.Values.SelectMany(m => m))}",
            });
    }

    /// <summary>A request refused before routing: the problem document, or for a person's browser the bare status (the error page says it).</summary>
    private static Task Refuse(HttpContext context, Microsoft.AspNetCore.Mvc.ProblemDetails problem)
    {
        if (ForBrowser(context))
        {
            context.Response.StatusCode = problem.Status!.Value;
            return Task.CompletedTask;
        }

        return ApiProblems.Write(context, problem);
    }

    /// <summary>The Content-Type's charset when .NET has no encoding of that name, else null.</summary>
    internal static string? UnknownCharset(string? contentType)
    {
        if (contentType is null || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media) || !media.Charset.HasValue)
        {
            return null;
        }

        var name = media.Charset.Value.Trim('"');
        try
        {
            _ = System.Text.Encoding.GetEncoding(name);
            return null;
        }
        catch (ArgumentException)
        {
            return name.Length > 40 ? name[..40] + "…" : name;
        }
    }

    /// <summary>True when the query string's percent-escapes, decoded, are UTF-8 (or it has none above ASCII).</summary>
    internal static bool QueryIsUtf8(string? query)
        => string.IsNullOrEmpty(query) || !query.Contains('%', StringComparison.Ordinal) || EscapedIsUtf8(System.Text.Encoding.UTF8.GetBytes(query));

    /// <summary>True when URL-encoded text (a query, a form's body) spells UTF-8 once its percent-escapes are decoded.</summary>
    internal static bool EscapedIsUtf8(ReadOnlySpan<byte> text)
    {
        if (text.IndexOf((byte)'%') < 0)
        {
            return System.Text.Unicode.Utf8.IsValid(text);
        }

        var bytes = new byte[text.Length];
        var length = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%' && i + 2 < text.Length && Uri.IsHexDigit((char)text[i + 1]) && Uri.IsHexDigit((char)text[i + 2]))
            {
                bytes[length++] = (byte)((HexValue(text[i + 1]) << 4) | HexValue(text[i + 2]));
                i += 2;
            }
            else
            {
                bytes[length++] = text[i];
            }
        }

        return System.Text.Unicode.Utf8.IsValid(bytes.AsSpan(0, length));

        static int HexValue(byte digit) => digit <= '9' ? digit - '0' : (digit | 0x20) - 'a' + 10;
    }

    /// <summary>Form bodies longer than this are left to the form reader's own limits unchecked (the marketplace's forms are far smaller).</summary>
    private const int MaxCheckedFormBytes = 64 * 1024;

    private static bool IsUrlEncodedForm(string? contentType)
        => contentType is not null && contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    /// <summary>Refuses (400 <c>invalid-encoding</c>) a form body whose escapes do not spell UTF-8; the body is buffered and read again by the endpoint.</summary>
    private static async Task CheckFormEncodingAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (request.ContentLength is > MaxCheckedFormBytes)
        {
            await next(context);
            return;
        }

        request.EnableBuffering();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(MaxCheckedFormBytes + 1);
        try
        {
            var total = 0;
            int read;
            while (total <= MaxCheckedFormBytes && (read = await request.Body.ReadAsync(buffer.AsMemory(total, MaxCheckedFormBytes + 1 - total), context.RequestAborted)) > 0)
            {
                total += read;
            }

            request.Body.Position = 0;
            if (total <= MaxCheckedFormBytes && !EscapedIsUtf8(buffer.AsSpan(0, total)))
            {
                await Refuse(context, ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid-encoding", "Form not UTF-8",
                    "The form's percent-escapes do not spell UTF-8 text: encode its fields as UTF-8 before escaping them."));
                return;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        await next(context);
    }

    /// <summary>A page request from a browser: it accepts HTML and is not for the API, the sign-in server or the operators' endpoints.</summary>
    private static bool ForBrowser(HttpContext context)
        => !IsMachinePath(context.Request.Path) && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for the API's, the sign-in server's and the operators' addresses: not a person's pages.</summary>
    internal static bool IsMachinePath(PathString path)
    {
        foreach (var machine in MachinePaths)
        {
            if (path.StartsWithSegments(machine))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Where the API, the sign-in server and the operators' endpoints answer.</summary>
    internal static readonly string[] MachinePaths = ["/api", "/connect", "/health", "/openapi", "/docs", "/dashboard", "/metrics", "/.well-known", "/matches/stream"];

    /// <summary>Maps every capability's endpoints, the OpenAPI document and the API reference.</summary>
    public static WebApplication MapMarketplaceApi(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs").AllowAnonymous();
        app.MapHealthApi();
        app.MapMarketplaceTelemetry();
        app.MapMaterialsApi();
        app.MapTradersApi();
        app.MapListingsApi();
        app.MapHoldsApi();
        app.MapPhotosApi();
        app.MapDemandsApi();
        app.MapMatchesApi();
        app.MapOrdersApi();
        app.MapTransferDocumentsApi();
        app.MapReviewsApi();
        app.MapAdminApi();
        app.MapCarbonApi();
        app.MapExportsApi();
        app.MapImportsApi();
        app.MapSchemasApi();
        app.MapSearchApi();
        app.MapPaymentsApi();
        app.MapMembersApi();
        app.MapClientsApi();
        app.MapWebhooksApi();
        app.MapMarketplaceIdentity();
        return app;
    }
}
