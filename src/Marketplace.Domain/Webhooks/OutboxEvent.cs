using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Marketplace.Domain.Webhooks;

/// <summary>
/// An event recorded in the same stored write as the change it describes (the emitting state's outbox), so that a
/// crash never loses it; handed to the firms' webhook subscriptions after the write.
/// </summary>
/// <param name="Id">Derived from subject, resource, version and type (<see cref="IdFor"/>): a retry never invents a new event.</param>
/// <param name="Type">The event type, e.g. <c>hold.placed</c>.</param>
/// <param name="Subject">What deliveries are ordered by: the emitting resource (<c>listing/{id}</c>, <c>order/{id}</c>, …).</param>
/// <param name="Version">The subject's version this event belongs to; a subscription delivers a subject's versions in order.</param>
/// <param name="Time">When the change was made.</param>
/// <param name="Firms">The firms told of it (their subscriptions receive it).</param>
/// <param name="Resource">The resource as it was after the change, as its parties may see it.</param>
public sealed record OutboxEvent(string Id, string Type, string Subject, long Version, DateTimeOffset Time, IReadOnlyList<string> Firms, JsonElement Resource)
{
    /// <summary>The event id of <paramref name="type"/> for <paramref name="resourceId"/> at <paramref name="version"/> of <paramref name="subject"/>.</summary>
    /// <remarks>
    /// The first 16 bytes of the SHA-256 of <c>subject\nresourceId\nversion\ntype</c> (UTF-8), in lower-case hex. Made
    /// for every event of every change (several per matching proposal), so the text and hash stay on the stack and
    /// only the id is allocated; text too long for the stack buffer takes the allocating path to the same id.
    /// </remarks>
    public static string IdFor(string subject, string resourceId, long version, string type)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> text = stackalloc byte[512];
        if (System.Text.Unicode.Utf8.TryWrite(text, CultureInfo.InvariantCulture, $"{subject}\n{resourceId}\n{version}\n{type}", out var written))
        {
            SHA256.HashData(text[..written], hash);
        }
        else
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{subject}\n{resourceId}\n{version}\n{type}")), hash);
        }

        Span<char> id = stackalloc char[IdPrefix.Length + 32];
        IdPrefix.CopyTo(id);
        Convert.TryToHexStringLower(hash[..16], id[IdPrefix.Length..], out _);
        return new string(id);
    }

    private const string IdPrefix = "evt_";

    /// <summary>Makes the event of <paramref name="type"/> for <paramref name="resourceId"/> with its derived id.</summary>
    public static OutboxEvent Create(string type, string subject, string resourceId, long version, DateTimeOffset time, IReadOnlyList<string> firms, JsonElement resource)
        => new(IdFor(subject, resourceId, version, type), type, subject, version, time, firms, resource);
}
