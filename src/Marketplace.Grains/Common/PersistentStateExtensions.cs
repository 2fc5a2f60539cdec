namespace Marketplace.Grains.Common;

/// <summary>How marketplace grains write their state.</summary>
public static class PersistentStateExtensions
{
    /// <summary>
    /// Writes the state; when the write fails, reloads what storage holds before rethrowing, so memory never keeps a
    /// change that was not stored and the grain answers from storage afterwards.
    /// </summary>
    public static Task WriteOrReloadAsync<T>(this IPersistentState<T> state)
        => state is Storage.DirectPersistentState<T> direct ? direct.WriteOrReloadStateAsync() : WriteThenReloadAsync(state);

    private static async Task WriteThenReloadAsync<T>(IPersistentState<T> state)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            await state.ReadStateAsync();
            throw;
        }
    }
}
