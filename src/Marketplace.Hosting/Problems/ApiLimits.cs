namespace Marketplace.Hosting.Problems;

/// <summary>Limits every API request is held to.</summary>
public static class ApiLimits
{
    /// <summary>Largest request body accepted (1 MiB); larger bodies get 413.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;
}
