using Marketplace.Grains.Storage;

namespace Marketplace.Grains.Idempotency;

/// <summary>Stored state of one idempotency key.</summary>
public sealed class IdempotencyRecord
{
    /// <summary>Hash of the first request's method, path and body.</summary>
    public string? Fingerprint { get; set; }

    /// <summary>When the key was claimed.</summary>
    public DateTimeOffset ClaimedAt { get; set; }

    /// <summary>The stored answer once the work is done.</summary>
    public int? StatusCode { get; set; }

    /// <summary>Content type of the answer.</summary>
    public string? ContentType { get; set; }

    /// <summary>Location header of the answer.</summary>
    public string? Location { get; set; }

    /// <summary>Body of the answer.</summary>
    public byte[]? Body { get; set; }
}

/// <summary>Keeps the first answer for a key for 24 hours; a claim not completed within 2 minutes can be taken over.</summary>
public sealed class IdempotencyGrain(
    [PersistentState("idempotency", StorageOptions.StoreName)] IPersistentState<IdempotencyRecord> state,
    TimeProvider time) : Grain, IIdempotencyGrain
{
    private static readonly TimeSpan Retention = TimeSpan.FromHours(24);
    private static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(2);

    /// <inheritdoc />
    public async Task<IdempotencyDecision> BeginAsync(string fingerprint)
    {
        var now = time.GetUtcNow();
        var record = state.State;
        var expired = record.Fingerprint is null
                      || now - record.ClaimedAt > Retention
                      || (record.StatusCode is null && now - record.ClaimedAt > ClaimLease);
        if (!expired)
        {
            if (record.Fingerprint != fingerprint)
            {
                return new IdempotencyDecision(IdempotencyOutcome.Mismatch, null);
            }

            return record.StatusCode is { } status
                ? new IdempotencyDecision(IdempotencyOutcome.Replay, new StoredResponse(status, record.ContentType, record.Location, record.Body ?? []))
                : new IdempotencyDecision(IdempotencyOutcome.InProgress, null);
        }

        state.State = new IdempotencyRecord { Fingerprint = fingerprint, ClaimedAt = now };
        await state.WriteStateAsync();
        return new IdempotencyDecision(IdempotencyOutcome.Proceed, null);
    }

    /// <inheritdoc />
    public async Task CompleteAsync(string fingerprint, StoredResponse response)
    {
        if (state.State.Fingerprint != fingerprint)
        {
            return;
        }

        state.State.StatusCode = response.StatusCode;
        state.State.ContentType = response.ContentType;
        state.State.Location = response.Location;
        state.State.Body = response.Body;
        await state.WriteStateAsync();
    }

    /// <inheritdoc />
    public async Task AbandonAsync(string fingerprint)
    {
        if (state.State.Fingerprint == fingerprint && state.State.StatusCode is null)
        {
            await state.ClearStateAsync();
        }
    }
}
