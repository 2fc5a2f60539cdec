using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Marketplace.Hosting.Problems;

/// <summary>Turns exceptions into problem documents: inside API endpoints (so idempotent replays see them) and for everything else.</summary>
public static class ProblemHandling
{
    /// <summary>Registers problem details and the exception handler.</summary>
    public static IServiceCollection AddMarketplaceProblems(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c => ApiProblems.Complete(c.ProblemDetails, c.HttpContext));
        services.AddExceptionHandler<ExceptionToProblem>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>Endpoint filter mapping exceptions to problem results inside the endpoint.</summary>
    public static async ValueTask<object?> MapExceptions(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (BlankRouteValue(context.HttpContext.Request.RouteValues) is { } blank)
        {
            // No resource has a blank id, and a grain refuses one as a key (an ArgumentException, once a 500).
            return TypedResults.Problem(ApiProblems.Create(StatusCodes.Status404NotFound, "not-found", "Not found",
                $"Nothing has a blank {blank}: an id is never empty or only white space."));
        }

        try
        {
            return await next(context);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            var problem = ApiProblems.FromException(exception, context.HttpContext);
            Log(context.HttpContext, exception, problem.Status ?? 500);
            return TypedResults.Problem(problem);
        }
    }

    /// <summary>
    /// The name of the first route value (an id in the path, <c>/listings/%20</c>) that is empty or only white space, or
    /// null: such an id names nothing, and a grain refuses it as a key. The API's filter and the pages answer it with 404.
    /// </summary>
    public static string? BlankRouteValue(RouteValueDictionary values)
    {
        foreach (var (name, value) in values)
        {
            if (value is string text && string.IsNullOrWhiteSpace(text))
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>Answers a failure that escaped an endpoint with its problem document, and logs it.</summary>
    public static async Task WriteAsync(HttpContext context, Exception exception)
    {
        var problem = ApiProblems.FromException(exception, context);
        Log(context, exception, problem.Status ?? 500);
        await ApiProblems.Write(context, problem);
    }

    private static void Log(HttpContext context, Exception exception, int status)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Marketplace.Api");
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            // Expected while a silo leaves or storage is slow (the caller retries): not an error of the code.
            logger.LogWarning("{Method} {Path} answered {Status}: {Reason}", context.Request.Method, context.Request.Path, status, exception.Message);
        }
        else if (status >= 500 && status != ApiProblems.ClientClosedRequest)
        {
            logger.LogError(exception, "{Method} {Path} failed with {Status}", context.Request.Method, context.Request.Path, status);
        }
        else
        {
            logger.LogDebug("{Method} {Path} refused with {Status}: {Message}", context.Request.Method, context.Request.Path, status, exception.Message);
        }
    }

    private sealed class ExceptionToProblem(IOptions<ProblemPageOptions> pages) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (pages.Value.ShowsPage(httpContext))
            {
                // A person's page: their browser is sent to the host's error page, a fresh GET that says the failure's
                // status in their language. Not re-executed: a form that could not be read (a %00 in a value) would
                // fail again in everything that reads it on the way (authentication looks for a token in a form).
                var status = ApiProblems.FromException(exception, httpContext).Status ?? StatusCodes.Status500InternalServerError;
                Log(httpContext, exception, status);
                httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
                httpContext.Response.Headers.Location = $"/error/{status}";
                return true;
            }

            await WriteAsync(httpContext, exception);
            return true;
        }
    }
}

/// <summary>Which failed requests a page shows rather than a problem document.</summary>
public sealed class ProblemPageOptions
{
    /// <summary>
    /// True for a request whose failure the host's error page shows (a person's browser on the web pages): the exception
    /// handler sends it there with 303. The host sets it; none by default: every failure is a problem document.
    /// </summary>
    public Func<HttpContext, bool> ShowsPage { get; set; } = static _ => false;
}
