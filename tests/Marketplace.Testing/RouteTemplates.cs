using System.Text.RegularExpressions;

namespace Marketplace.Testing;

/// <summary>Route templates read from a running host (<c>/lots/{id}</c>) turned into addresses to send.</summary>
public static partial class RouteTemplates
{
    /// <summary>The template with every parameter (<c>{id}</c>, <c>{id:guid}</c>, <c>{*rest}</c>) replaced by <paramref name="value"/>.</summary>
    public static string Fill(string template, string value) => Parameter().Replace(template, value);

    [GeneratedRegex(@"\{\**([^}:=?]+)[^}]*\}")]
    private static partial Regex Parameter();
}
