using System.Globalization;
using System.Text.RegularExpressions;
using Marketplace.Domain.Common;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web;

/// <summary>
/// The API's most common field messages, which name the field by its API path in English ("The contact.phone must not
/// contain control characters…"), said in the person's language without the path: a page shows each next to its field
/// already. The messages are <see cref="Validation.Text"/>'s; any other message is shown as the API wrote it.
/// </summary>
public static partial class FieldMessages
{
    /// <summary>The message in the person's language when it is one of <see cref="Validation.Text"/>'s, else unchanged.</summary>
    public static string Localize(string message, IStringLocalizer shared)
    {
        if (Empty().IsMatch(message))
        {
            return shared["field.required"];
        }

        if (TooLong().Match(message) is { Success: true } tooLong)
        {
            return shared["field.too-long", Count(tooLong.Groups[1].Value), Count(tooLong.Groups[2].Value)];
        }

        if (ControlCharacters().IsMatch(message))
        {
            return shared["field.control-characters"];
        }

        if (OutsideArea().IsMatch(message) && shared["field.outside-area"] is { ResourceNotFound: false } outside)
        {
            // English keeps the domain's own words, which name the area's bounds.
            return outside.Value;
        }

        // Messages with a part that varies (a number the domain formats in its own culture, a category id, the scopes):
        // each kind has its own text; where the person's language has none, the domain's own words stand.
        if (Worded(message, shared) is { } worded)
        {
            return worded;
        }

        // A message the domain always words the same has its translation under "msg:" and its English text.
        var known = shared["msg:" + message];
        return known.ResourceNotFound ? message : known.Value;
    }

    private static string? Worded(string message, IStringLocalizer shared)
    {
        (string? Key, object[] Args) found = message switch
        {
            _ when PriceRange().IsMatch(message) => ("field.price-range", []),
            _ when HighestPriceRange().IsMatch(message) => ("field.highest-price-range", []),
            // A person picks the material from the form's list: never told to call the API for the list.
            _ when UnknownCategory().IsMatch(message) => ("field.category-unknown", []),
            _ when UnknownUnit().IsMatch(message) => ("field.unit-unknown", []),
            _ when MassTooLarge().Match(message) is { Success: true } mass => ("field.mass-too-large", [Count(Digits(mass.Groups[1].Value))]),
            _ when DatesOutsideHorizon().Match(message) is { Success: true } dates => ("field.dates-outside-horizon",
                [Date(dates.Groups[1].Value), Date(dates.Groups[2].Value), dates.Groups[3].Value]),
            _ when NoScope().IsMatch(message) => ("field.scope-required", []),
            _ when PickupCodeTries().Match(message) is { Success: true } tries => ("field.pickup-code-tries", [Count(tries.Groups[1].Value)]),
            _ => (null, []),
        };
        return found.Key is not null && shared[found.Key, found.Args] is { ResourceNotFound: false } text ? text.Value : null;
    }

    // The domain formats the bound with N0 in the culture it runs in (grains: the invariant one), so any grouping is read.
    [GeneratedRegex(@"^The price must be from 0 to [\d.,\s\u00a0\u202f]+ minor units\.$", RegexOptions.CultureInvariant)]
    private static partial Regex PriceRange();

    [GeneratedRegex(@"^The highest price must be from 0 to [\d.,\s\u00a0\u202f]+ minor units and needs an ISO 4217 currency\.$", RegexOptions.CultureInvariant)]
    private static partial Regex HighestPriceRange();

    [GeneratedRegex(@"^'.*' is not a material category; GET /api/v1/materials lists them\.$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex UnknownCategory();

    [GeneratedRegex(@"^'.*' is not a unit; use one of .+\.$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex UnknownUnit();

    [GeneratedRegex(@"^The mass per unit must be at most ([\d.,\s\u00a0\u202f]+) kg\.$", RegexOptions.CultureInvariant)]
    private static partial Regex MassTooLarge();

    [GeneratedRegex(@"^The \S+ dates must lie between (\d{4}-\d{2}-\d{2}) and (\d{4}-\d{2}-\d{2}) \((\d+) years either side of today\)\.$", RegexOptions.CultureInvariant)]
    private static partial Regex DatesOutsideHorizon();

    private static string Digits(string grouped) => new(grouped.Where(char.IsAsciiDigit).ToArray());

    private static string Date(string iso) => DateOnly.ParseExact(iso, "yyyy-MM-dd", CultureInfo.InvariantCulture).ToString("d", CultureInfo.CurrentCulture);

    [GeneratedRegex(@"^Name at least one scope: .+\.$", RegexOptions.CultureInvariant)]
    private static partial Regex NoScope();

    [GeneratedRegex(@"^That is not the buyer's pickup code \((\d+) more (?:try|tries) before only the buyer can confirm the handover\)\.$", RegexOptions.CultureInvariant)]
    private static partial Regex PickupCodeTries();

    [GeneratedRegex(@"^The marketplace serves .+; this point lies outside it\.$", RegexOptions.CultureInvariant)]
    private static partial Regex OutsideArea();

    private static string Count(string digits) => long.Parse(digits, CultureInfo.InvariantCulture).ToString("N0", CultureInfo.CurrentCulture);

    [GeneratedRegex(@"^The \S+ must not be empty\.$", RegexOptions.CultureInvariant)]
    private static partial Regex Empty();

    [GeneratedRegex(@"^The \S+ must be at most (\d+) characters \(it has (\d+)\)\.$", RegexOptions.CultureInvariant)]
    private static partial Regex TooLong();

    [GeneratedRegex(@"^The \S+ must not contain control characters \(", RegexOptions.CultureInvariant)]
    private static partial Regex ControlCharacters();
}
