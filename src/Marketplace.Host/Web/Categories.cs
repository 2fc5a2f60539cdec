using System.Globalization;
using Marketplace.Domain.Materials;

namespace Marketplace.Host.Web;

/// <summary>Category names of the taxonomy in the page's language.</summary>
public static class Categories
{
    /// <summary>The category's name in the current UI language, or the id when it is unknown.</summary>
    public static string Name(MaterialTaxonomy taxonomy, string id)
        => taxonomy.Find(id) is { } c ? (CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "fi" ? c.NameFi : c.NameEn) : id;

    /// <summary>The path of names from the top level down, e.g. "Masonry › Bricks".</summary>
    public static string Path(MaterialTaxonomy taxonomy, string id)
    {
        var names = new List<string>();
        for (var c = taxonomy.Find(id); c is not null; c = c.ParentId is null ? null : taxonomy.Find(c.ParentId))
        {
            names.Insert(0, Name(taxonomy, c.Id));
        }

        return names.Count == 0 ? id : string.Join(" › ", names);
    }
}
