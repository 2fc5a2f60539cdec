namespace Marketplace.Grains.Storage;

/// <summary>
/// Grain storage that reads and creates many grain states at once, without activating the grains (bulk imports). Only
/// the SQLite provider implements it; with another provider the importer goes through each lot's grain instead.
/// </summary>
public interface IBulkGrainStorage
{
    /// <summary>
    /// The stored states named <paramref name="stateName"/> of the grains <paramref name="grainIds"/> that exist, by
    /// grain id, read in one query (storage is the authority: a grain writes before it answers).
    /// </summary>
    Task<IReadOnlyDictionary<GrainId, T>> ReadManyAsync<T>(string stateName, IReadOnlyCollection<GrainId> grainIds);

    /// <summary>A new state serialised as this storage stores it, for <see cref="CreateAllAsync"/>.</summary>
    NewGrainState Prepare<T>(string stateName, GrainId grainId, T state);

    /// <summary>
    /// Stores every state of <paramref name="states"/> as a new record (ETag 1) in one transaction: all of them or, when
    /// any already exists (it was created meanwhile), none, which throws <see cref="Orleans.Storage.InconsistentStateException"/>.
    /// A grain of one of them activated earlier with no state re-reads storage before it answers (<c>ListingGrain</c> does).
    /// </summary>
    Task CreateAllAsync(IReadOnlyList<NewGrainState> states);
}

/// <summary>One state ready to be created by <see cref="IBulkGrainStorage.CreateAllAsync"/>.</summary>
public sealed record NewGrainState(string StateName, GrainId GrainId, byte[] Payload);
