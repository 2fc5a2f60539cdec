using System.Text.Json;
using System.Text.RegularExpressions;

namespace Marketplace.Domain.Materials;

/// <summary>The material taxonomy: categories of construction surplus with units, typical masses and waste codes.</summary>
/// <remarks>Loaded from the data file <c>Materials/materials.json</c> embedded in this assembly.</remarks>
public sealed partial class MaterialTaxonomy
{
    private readonly Dictionary<string, MaterialCategory> _byId;

    private MaterialTaxonomy(string version, IReadOnlyList<MaterialCategory> categories)
    {
        Version = version;
        Categories = categories;
        _byId = categories.ToDictionary(c => c.Id, StringComparer.Ordinal);
    }

    /// <summary>The taxonomy shipped with the product.</summary>
    public static MaterialTaxonomy Default { get; } = LoadEmbedded();

    /// <summary>Version of the data file.</summary>
    public string Version { get; }

    /// <summary>All categories, parents before children.</summary>
    public IReadOnlyList<MaterialCategory> Categories { get; }

    /// <summary>Looks a category up by slug.</summary>
    public MaterialCategory? Find(string? id) => id is not null && _byId.TryGetValue(id, out var c) ? c : null;

    /// <summary>True when <paramref name="id"/> is <paramref name="ancestorId"/> or one of its descendants.</summary>
    public static bool IsSameOrBelow(string id, string ancestorId)
        => id.Length >= ancestorId.Length
           && id.StartsWith(ancestorId, StringComparison.Ordinal)
           && (id.Length == ancestorId.Length || id[ancestorId.Length] == '/');

    /// <summary>Parses a taxonomy document; throws <see cref="FormatException"/> naming the first broken entry.</summary>
    public static MaterialTaxonomy Parse(string json)
    {
        var doc = JsonSerializer.Deserialize<TaxonomyFile>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
                  ?? throw new FormatException("The taxonomy file is empty.");
        var list = new List<MaterialCategory>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in doc.Categories ?? [])
        {
            if (entry.Id is null || !SlugPattern().IsMatch(entry.Id))
            {
                throw new FormatException($"Taxonomy entry '{entry.Id}' does not have a valid slug id.");
            }

            var parent = entry.Id.LastIndexOf('/') is var i and > 0 ? entry.Id[..i] : null;
            if (parent is not null && !seen.Contains(parent))
            {
                throw new FormatException($"Taxonomy entry '{entry.Id}' comes before its parent '{parent}'.");
            }

            if (!seen.Add(entry.Id))
            {
                throw new FormatException($"Taxonomy entry '{entry.Id}' appears twice.");
            }

            var units = new List<Unit>();
            foreach (var code in entry.Units ?? [])
            {
                units.Add(Units.TryParse(code, out var u) ? u.Value : throw new FormatException($"Taxonomy entry '{entry.Id}' names unknown unit '{code}'."));
            }

            var masses = new Dictionary<Unit, decimal>();
            foreach (var (code, kg) in entry.MassPerUnitKg ?? [])
            {
                masses[Units.TryParse(code, out var u) ? u.Value : throw new FormatException($"Taxonomy entry '{entry.Id}' gives a mass for unknown unit '{code}'.")] = kg;
            }

            list.Add(new MaterialCategory(entry.Id, entry.En ?? entry.Id, entry.Fi ?? entry.En ?? entry.Id, units, masses, entry.WasteCode));
        }

        return new MaterialTaxonomy(doc.Version ?? "unversioned", list);
    }

    private static MaterialTaxonomy LoadEmbedded()
    {
        using var stream = typeof(MaterialTaxonomy).Assembly.GetManifestResourceStream("Marketplace.Domain.Materials.materials.json")
                           ?? throw new InvalidOperationException("The embedded taxonomy file is missing from Marketplace.Domain.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*){0,3}$")]
    private static partial Regex SlugPattern();

    private sealed record TaxonomyFile(string? Version, List<TaxonomyEntry>? Categories);

    private sealed record TaxonomyEntry(string? Id, string? En, string? Fi, List<string>? Units, Dictionary<string, decimal>? MassPerUnitKg, string? WasteCode);
}
