using Orleans.Storage;

namespace Marketplace.Grains.Storage;

/// <summary>Writing one page of a record kept in pages apart from it (a firm's lots, a day's deadline calendar, a matching partition's membership).</summary>
internal static class PageWrites
{
    /// <summary>
    /// Writes a page with the ETag its owner knows. A page the owner has never read (ETag null) may still be stored: left
    /// beyond the record's page count by an earlier write whose record write failed, so never read and safe to overwrite.
    /// On the store's refusal that page's ETag is read and the write made again over it. The written ETag is on the state.
    /// With <paramref name="overwriteAny"/> a page stored under another ETag is overwritten too (a matching partition's
    /// pages: the one activation's state is the current one, as its whole records are).
    /// </summary>
    public static async Task WriteAsync<T>(IGrainStorage storage, string stateName, GrainId page, GrainState<T> state, bool overwriteAny = false)
        where T : new()
    {
        try
        {
            await storage.WriteStateAsync(stateName, page, state);
        }
        catch (InconsistentStateException) when (state.ETag is null || overwriteAny)
        {
            var stored = new GrainState<T>();
            await storage.ReadStateAsync(stateName, page, stored);
            state.ETag = stored.ETag;
            await storage.WriteStateAsync(stateName, page, state);
        }
    }
}
