namespace Marketplace.Grains.Idempotency;

/// <summary>The first answer to a request carrying an <c>Idempotency-Key</c>, replayed to retries.</summary>
[GenerateSerializer, Immutable]
public sealed record StoredResponse(
    [property: Id(0)] int StatusCode,
    [property: Id(1)] string? ContentType,
    [property: Id(2)] string? Location,
    [property: Id(3)] byte[] Body);

/// <summary>What to do with a request carrying an idempotency key.</summary>
public enum IdempotencyOutcome
{
    /// <summary>First time: do the work, then complete the key.</summary>
    Proceed,

    /// <summary>Done before with the same request: replay the stored answer.</summary>
    Replay,

    /// <summary>The same key came with another request: refuse (422).</summary>
    Mismatch,

    /// <summary>The first request is still being worked on: ask the caller to retry shortly (409).</summary>
    InProgress,
}

/// <summary>The decision for one request.</summary>
[GenerateSerializer, Immutable]
public sealed record IdempotencyDecision([property: Id(0)] IdempotencyOutcome Outcome, [property: Id(1)] StoredResponse? Response);

/// <summary>One idempotency key of one caller (key: caller, then the key). Makes a retried POST do its work once.</summary>
public interface IIdempotencyGrain : IGrainWithStringKey
{
    /// <summary>
    /// Claims the key for a request fingerprint, or says how an earlier request with the key went. <paramref name="claimer"/>
    /// is the silo whose host handles the request (<c>SiloAddress.ToParsableString</c>): a claim of a silo the cluster has
    /// declared dead, or that restarted since, is taken over at once instead of after the lease.
    /// </summary>
    Task<IdempotencyDecision> BeginAsync(string fingerprint, string? claimer = null);

    /// <summary>Stores the answer for the claimed key.</summary>
    Task CompleteAsync(string fingerprint, StoredResponse response);

    /// <summary>Frees the key after a failure that should not be replayed (a 5xx), so a retry does the work.</summary>
    Task AbandonAsync(string fingerprint);
}
