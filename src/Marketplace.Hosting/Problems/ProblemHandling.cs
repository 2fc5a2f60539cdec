using Microsoft.AspNetCore.Diagnostics;

namespace Marketplace.Hosting.Problems;

/// <summary>Turns exceptions into problem documents: inside API endpoints (so idempotent replays see them) and for everything else.</summary>
public static class ProblemHandling
{
    /// <summary>Registers problem details and the exception handler.</summary>
    public static IServiceCollection AddMarketplaceProblems(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            ApiProblems.GiveStableType(c.ProblemDetails);
            c.ProblemDetails.Instance ??= c.HttpContext.Request.Path;
            c.ProblemDetails.Extensions["traceId"] = c.HttpContext.TraceIdentifier;
        });
        services.AddExceptionHandler<ExceptionToProblem>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>Endpoint filter mapping exceptions to problem results inside the endpoint.</summary>
    public static async ValueTask<object?> MapExceptions(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
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
        if (status >= 500)
        {
            logger.LogError(exception, "{Method} {Path} failed with {Status}", context.Request.Method, context.Request.Path, status);
        }
        else
        {
            logger.LogDebug("{Method} {Path} refused with {Status}: {Message}", context.Request.Method, context.Request.Path, status, exception.Message);
        }
    }

    private sealed class ExceptionToProblem : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            await WriteAsync(httpContext, exception);
            return true;
        }
    }
}
