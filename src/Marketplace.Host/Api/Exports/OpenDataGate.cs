namespace Marketplace.Host.Api.Exports;

/// <summary>
/// How many open-data downloads run at once on this host (<c>Search:OpenDataConcurrent</c>): each walks the whole search
/// index, so six at once slowed everyone's searches from milliseconds to seconds (probe 11). A download holds its place
/// until its request ends, however it ends.
/// </summary>
public sealed class OpenDataGate(int concurrent)
{
    private readonly SemaphoreSlim _places = new(concurrent, concurrent);

    /// <summary>Takes a place for the request's lifetime (given back when the response is disposed), or answers false when every place is taken.</summary>
    public bool TryEnter(HttpContext context)
    {
        if (!TryEnter(out var place))
        {
            return false;
        }

        context.Response.RegisterForDispose(place);
        return true;
    }

    /// <summary>Takes a place, given back when <paramref name="place"/> is disposed (once, however often it is disposed).</summary>
    public bool TryEnter(out IDisposable place)
    {
        var entered = _places.Wait(0);
        place = entered ? new Place(_places) : NoPlace.Instance;
        return entered;
    }

    private sealed class NoPlace : IDisposable
    {
        public static readonly NoPlace Instance = new();

        public void Dispose()
        {
        }
    }

    private sealed class Place(SemaphoreSlim places) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                places.Release();
            }
        }
    }
}
