using System.Collections.Concurrent;

namespace Marketplace.Identity;

/// <summary>
/// How often one person may be mailed the same kind of thing (this host's memory): the forgot-password page is limited
/// per sender's address, but thirty addresses could each send one account a reset link (probe 29).
/// </summary>
public sealed class MailBounds(TimeProvider time)
{
    /// <summary>Password-reset mails one account gets within <see cref="Window"/>.</summary>
    public const int PasswordResetsPerWindow = 3;

    /// <summary>The window the bound counts over.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    /// <summary>Keys remembered at most; the oldest are forgotten first.</summary>
    public const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, List<DateTimeOffset>> _sent = new();

    /// <summary>True (and counted) when a mail of this kind may go to the key now.</summary>
    public bool TryTake(string key, int max = PasswordResetsPerWindow)
    {
        var now = time.GetUtcNow();
        var sent = _sent.GetOrAdd(key, _ => []);
        lock (sent)
        {
            sent.RemoveAll(t => now - t >= Window);
            if (sent.Count >= max)
            {
                return false;
            }

            sent.Add(now);
        }

        if (_sent.Count > Capacity)
        {
            foreach (var (stale, times) in _sent)
            {
                lock (times)
                {
                    if (times.All(t => now - t >= Window))
                    {
                        _sent.TryRemove(stale, out _);
                    }
                }
            }
        }

        return true;
    }
}
