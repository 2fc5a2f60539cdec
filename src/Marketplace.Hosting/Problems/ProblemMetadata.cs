namespace Marketplace.Hosting.Problems;

/// <summary>Declares in OpenAPI which problem documents an endpoint can answer.</summary>
public static class ProblemMetadata
{
    /// <summary>Problems any API endpoint can answer: malformed input, unknown ids, invalid fields, an unavailable silo.</summary>
    public static RouteGroupBuilder WithCommonProblems(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(ProblemHandling.MapExceptions)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    /// <summary>Requires sign-in and declares the problems of a guarded write: 401, 403, 409 and 413.</summary>
    public static TBuilder Guarded<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireAuthorization();
        builder.WithMetadata(
            new ProducesResponseTypeMetadata(StatusCodes.Status401Unauthorized, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]),
            new ProducesResponseTypeMetadata(StatusCodes.Status403Forbidden, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]),
            new ProducesResponseTypeMetadata(StatusCodes.Status409Conflict, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]),
            new ProducesResponseTypeMetadata(StatusCodes.Status413PayloadTooLarge, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
        return builder;
    }
}
