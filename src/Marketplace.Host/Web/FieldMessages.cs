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

        // A message the domain always words the same has its translation under "msg:" and its English text.
        var known = shared["msg:" + message];
        return known.ResourceNotFound ? message : known.Value;
    }

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
