using Marketplace.Identity;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Marketplace.Host.Api.Idempotency;

/// <summary>
/// Declares what <see cref="IdempotencyMiddleware"/> does on every POST that needs a signed-in caller: the optional
/// <c>Idempotency-Key</c> request header, and the <c>Idempotent-Replayed</c> header of an answer replayed for it, so a
/// client generated from the document can send the key and see a replay.
/// </summary>
internal sealed class IdempotencyOpenApi : IOpenApiOperationTransformer
{
    /// <inheritdoc />
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var rule = context.Description.ActionDescriptor.EndpointMetadata.OfType<AccessRule>().FirstOrDefault();
        if (!string.Equals(context.Description.HttpMethod, "POST", StringComparison.OrdinalIgnoreCase) || rule is not { SignInRequired: true })
        {
            return Task.CompletedTask;
        }

        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = IdempotencyMiddleware.Header,
            In = ParameterLocation.Header,
            Required = false,
            Description = "Makes a retry safe: the first request with a key does the work, and a retry with the same key and the same body (byte for byte) "
                + "within 24 hours is answered with the first answer, with Idempotent-Replayed: true. 1 to 255 visible ASCII characters, e.g. a UUID; "
                + "the same key with another body is 422 idempotency-key-reused.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255, Pattern = "^[!-~]{1,255}$" },
        });
        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (status.StartsWith('2') && response is OpenApiResponse answer)
            {
                answer.Headers ??= new Dictionary<string, IOpenApiHeader>();
                answer.Headers[IdempotencyMiddleware.ReplayedHeader] = new OpenApiHeader
                {
                    Description = "true when this is the stored answer of an earlier request with the same Idempotency-Key.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [System.Text.Json.Nodes.JsonValue.Create("true")] },
                };
            }
        }

        return Task.CompletedTask;
    }
}
