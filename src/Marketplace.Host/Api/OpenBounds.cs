using System.Collections.Concurrent;
using Marketplace.Domain.Common;
using Marketplace.Grains.Common;

namespace Marketplace.Host.Api;

/// <summary>
/// A firm's bound of open things (holds across lots, demands): its record counts those not known closed; at the bound
/// the caller reads each where it lives (16 at a time), the record forgets those found closed, and only a firm that
/// still has that many open is refused. The reading happens here, outside the record's grain, so that the record never
/// waits on a lot or demand that may itself be waiting on the record.
/// </summary>
public static class OpenBounds
{
    /// <summary>Returns when another fits; throws <paramref name="refusal"/>'s exception when the firm is at its bound.</summary>
    /// <param name="check">Asks the firm's record.</param>
    /// <param name="isOpen">Reads one counted item where it lives: true while it is still open.</param>
    /// <param name="closed">Tells the record which were found closed; answers whether another fits now.</param>
    /// <param name="refusal">The 409 to answer at the bound.</param>
    public static async Task EnsureRoomAsync(Func<Task<OpenBoundCheck>> check, Func<string, Task<bool>> isOpen,
        Func<IReadOnlyList<string>, Task<bool>> closed, Func<DomainException> refusal)
    {
        var found = await check();
        if (found.Allowed)
        {
            return;
        }

        if (found.Verify.Count > 0)
        {
            var shut = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(found.Verify, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (key, _) =>
            {
                if (!await isOpen(key))
                {
                    shut.Add(key);
                }
            });
            if (await closed([.. shut]))
            {
                return;
            }
        }

        throw refusal();
    }
}
