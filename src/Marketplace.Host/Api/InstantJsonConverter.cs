using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketplace.Host.Api;

/// <summary>
/// Reads an instant only with its offset (<c>2026-12-10T10:00:00+02:00</c> or <c>…Z</c>), as the API documents: one
/// without was taken as UTC, two hours off for a caller in Helsinki who meant local time. Written as ever.
/// </summary>
public sealed class InstantJsonConverter : JsonConverter<DateTimeOffset>
{
    /// <inheritdoc />
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("An instant is a string such as \"2026-12-10T10:00:00+02:00\".");
        }

        var text = reader.GetString()!;
        if (!HasOffset(text) || !DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
        {
            throw new JsonException($"An instant is an ISO 8601 date and time with its offset, such as 2026-12-10T10:00:00+02:00 or 2026-12-10T08:00:00Z.");
        }

        return value;
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    // "Z" or "+hh:mm" / "-hh:mm" at the end (K also reads no offset at all, which is what is refused).
    private static bool HasOffset(string text)
        => text.EndsWith('Z') || text.EndsWith('z')
           || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
}
