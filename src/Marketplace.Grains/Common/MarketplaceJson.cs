using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketplace.Grains.Common;

/// <summary>The one JSON shape of domain state: used for stored grain state and for domain types crossing grain calls.</summary>
public static class MarketplaceJson
{
    /// <summary>camelCase names, enums as strings, private members marked <c>[JsonInclude]</c> kept.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>
    /// True for types whose wire form is this JSON (the pure domain and the payment contracts, which carry no Orleans
    /// attributes), rather than Orleans' generated codecs.
    /// </summary>
    public static bool IsDomainType(Type type) => type.Namespace is { } ns
                                                  && (ns.StartsWith("Marketplace.Domain", StringComparison.Ordinal) || ns.StartsWith("Marketplace.Payments", StringComparison.Ordinal))
                                                  && !typeof(Exception).IsAssignableFrom(type);

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            IncludeFields = false,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,

            // Unvalidated input may carry NaN for a missing coordinate; it must cross into the grain to be refused there.
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
