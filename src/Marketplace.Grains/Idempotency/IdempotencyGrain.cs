using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Idempotency;

/// <summary>How long idempotency keys live (<c>Idempotency</c> section).</summary>
public sealed class IdempotencyOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Idempotency";

    /// <summary>How long the first answer is replayed before the key is forgotten and deleted. Default 24 hours.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a claimed key waits for its answer before another request may take it over. Default 1 minute: twice a
    /// grain call's timeout. A claim whose host's silo the cluster has declared dead (or that restarted) is taken over
    /// as soon as the membership says so, a few seconds after a crash rather than this long (probe 27).
    /// </summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Stored state of one idempotency key.</summary>
public sealed class IdempotencyRecord
{
    /// <summary>Hash of the first request's method, path and body.</summary>
    public string? Fingerprint { get; set; }

    /// <summary>When the key was claimed.</summary>
    public DateTimeOffset ClaimedAt { get; set; }

    /// <summary>The silo whose host claimed the key (its parsable address), while the answer is not stored.</summary>
    public string? ClaimedBy { get; set; }

    /// <summary>The stored answer once the work is done.</summary>
    public int? StatusCode { get; set; }

    /// <summary>Content type of the answer.</summary>
    public string? ContentType { get; set; }

    /// <summary>Location header of the answer.</summary>
    public string? Location { get; set; }

    /// <summary>Body of the answer.</summary>
    public byte[]? Body { get; set; }
}

/// <summary>
/// Keeps the first answer for a key for <see cref="IdempotencyOptions.Retention"/>, then deletes it (a reminder set
/// when the answer is stored); a claim not completed within <see cref="IdempotencyOptions.ClaimLease"/> can be taken over.
/// </summary>
public sealed class IdempotencyGrain(
    [PersistentState("idempotency", StorageOptions.StoreName)] IPersistentState<IdempotencyRecord> state,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<IdempotencyOptions> options,
    IClusterMembershipService membership) : Grain, IIdempotencyGrain, IRemindable
{
    private const string ExpiryReminder = "expire";

    private TimeSpan Retention => options.Value.Retention;

    private TimeSpan ClaimLease => options.Value.ClaimLease;

    /// <inheritdoc />
    public async Task<IdempotencyDecision> BeginAsync(string fingerprint, string? claimer = null)
    {
        var now = time.GetUtcNow();
        var record = state.State;
        var expired = record.Fingerprint is null
                      || now - record.ClaimedAt > Retention
                      || (record.StatusCode is null && (now - record.ClaimedAt > ClaimLease || ClaimerGone(record.ClaimedBy)));
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

        state.State = new IdempotencyRecord { Fingerprint = fingerprint, ClaimedAt = now, ClaimedBy = claimer };
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

        state.State.ClaimedBy = null;
        state.State.StatusCode = response.StatusCode;
        state.State.ContentType = response.ContentType;
        state.State.Location = response.Location;
        state.State.Body = response.Body;
        await state.WriteStateAsync();
        await this.RegisterOrUpdateReminder(ExpiryReminder, Retention, Retention);
    }

    /// <summary>
    /// True when the claim's host is gone: its silo is declared dead, or a newer generation of it runs at the same address
    /// (it restarted; a single host restarted after a crash knows only the new one). Its request died with it, and a retry
    /// may do the work (endpoints whose work may have begun derive its ids from the key, so the retry finds it).
    /// </summary>
    private bool ClaimerGone(string? claimedBy)
    {
        if (string.IsNullOrEmpty(claimedBy))
        {
            return false;
        }

        SiloAddress claimer;
        try
        {
            claimer = SiloAddress.FromParsableString(claimedBy);
        }
        catch (FormatException)
        {
            return false;
        }

        var snapshot = membership.CurrentSnapshot;
        return snapshot.GetSiloStatus(claimer) switch
        {
            SiloStatus.Dead => true,
            SiloStatus.None => snapshot.Members.Keys.Any(s => s.Endpoint.Equals(claimer.Endpoint) && s.Generation > claimer.Generation),
            _ => false,
        };
    }

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.Fingerprint is null || time.GetUtcNow() - state.State.ClaimedAt >= Retention)
        {
            if (state.RecordExists)
            {
                await state.ClearStateAsync();
            }

            if (await this.GetReminder(ExpiryReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            DeactivateOnIdle();
        }
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
