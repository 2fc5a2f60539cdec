using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Carbon;

/// <summary>One material row: virgin production emissions of the categories it covers.</summary>
/// <param name="Id">Stable row id, stored on every figure computed with it.</param>
/// <param name="Categories">Taxonomy slugs the row covers; each slug appears in at most one row.</param>
/// <param name="KgCo2ePerKg">Cradle-to-gate (A1–A3) emissions of virgin production, kgCO2e per kg.</param>
/// <param name="Source">Where the value comes from (database, edition, entry).</param>
/// <param name="Year">Year of the source's edition.</param>
/// <param name="Licence">Terms the value may be used under.</param>
/// <param name="Indicative">True when the value is for orientation only (databases disagree, or it stands in for another material).</param>
/// <param name="Note">Why this value serves these categories, where not obvious.</param>
public sealed record MaterialFactor(string Id, IReadOnlyList<string> Categories, decimal KgCo2ePerKg, string Source, int Year, string Licence,
    bool Indicative, string? Note);

/// <summary>The transport row: emissions of carrying one tonne one kilometre.</summary>
/// <param name="Id">Stable row id.</param>
/// <param name="KgCo2ePerTonneKm">kgCO2e per tonne-km.</param>
/// <param name="Source">Where the value comes from.</param>
/// <param name="Year">Year of the source's edition.</param>
/// <param name="Licence">Terms the value may be used under.</param>
/// <param name="Indicative">True when the value is for orientation only.</param>
/// <param name="Note">Anything an auditor should know.</param>
public sealed record TransportFactor(string Id, decimal KgCo2ePerTonneKm, string Source, int Year, string Licence, bool Indicative, string? Note);

/// <summary>How much new product one unit of reused material of a condition grade replaces.</summary>
/// <param name="Id">Stable row id.</param>
/// <param name="Condition">Condition grade A, B or C.</param>
/// <param name="Ratio">Share of new product replaced, above 0 and at most 1.</param>
/// <param name="Reason">Why this ratio.</param>
public sealed record SubstitutionRatio(string Id, string Condition, decimal Ratio, string Reason);

/// <summary>Reporting shares applied to avoided virgin production (not to transport or refurbishment).</summary>
/// <param name="Id">Stable row id.</param>
/// <param name="AttributionShare">Share of the outcome the marketplace claims for itself, above 0 and at most 1 (default 1).</param>
/// <param name="Deadweight">Share of the outcome that would have happened without the marketplace, from 0 to below 1 (default 0).</param>
/// <param name="Note">Why these shares.</param>
public sealed record ReportingShares(string Id, decimal AttributionShare, decimal Deadweight, string? Note);

/// <summary>
/// A versioned emission-factor data file: material rows per taxonomy category, the transport row, substitution ratios
/// per condition grade and the reporting shares. The shipped file is <c>Carbon/emission-factors.json</c>, embedded in
/// this assembly; an operator can supply its own licensed file of the same format.
/// </summary>
public sealed partial class EmissionFactors
{
    private readonly Dictionary<string, MaterialFactor> _byCategory;
    private readonly Dictionary<string, SubstitutionRatio> _byCondition;

    private EmissionFactors(string version, IReadOnlyList<MaterialFactor> materials, TransportFactor transport,
        IReadOnlyList<SubstitutionRatio> substitution, ReportingShares reporting)
    {
        Version = version;
        Materials = materials;
        Transport = transport;
        Substitution = substitution;
        Reporting = reporting;
        _byCategory = materials.SelectMany(m => m.Categories, (m, c) => (m, c)).ToDictionary(x => x.c, x => x.m, StringComparer.Ordinal);
        _byCondition = substitution.ToDictionary(s => s.Condition, StringComparer.Ordinal);
    }

    /// <summary>The file shipped with the product, checked against the shipped taxonomy.</summary>
    public static EmissionFactors Default { get; } = Parse(ReadEmbedded(), MaterialTaxonomy.Default);

    /// <summary>Version of the data file, stored on every figure.</summary>
    public string Version { get; }

    /// <summary>Material rows in file order.</summary>
    public IReadOnlyList<MaterialFactor> Materials { get; }

    /// <summary>The transport row.</summary>
    public TransportFactor Transport { get; }

    /// <summary>Substitution ratios, one per condition grade.</summary>
    public IReadOnlyList<SubstitutionRatio> Substitution { get; }

    /// <summary>Attribution share and deadweight.</summary>
    public ReportingShares Reporting { get; }

    /// <summary>
    /// The row for a category: its own, else its nearest ancestor's (<c>metals/steel/sheets</c> takes <c>metals/steel</c>'s);
    /// null when neither the category nor any ancestor has one.
    /// </summary>
    public MaterialFactor? MaterialFor(string? category)
    {
        for (var slug = category; slug is not null; slug = slug.LastIndexOf('/') is var i and > 0 ? slug[..i] : null)
        {
            if (_byCategory.TryGetValue(slug, out var row))
            {
                return row;
            }
        }

        return null;
    }

    /// <summary>The substitution ratio of a condition grade, or null for anything but A, B or C.</summary>
    public SubstitutionRatio? SubstitutionFor(string? condition)
        => condition is not null && _byCondition.TryGetValue(condition, out var s) ? s : null;

    /// <summary>The embedded file's text.</summary>
    public static string ReadEmbedded()
    {
        using var stream = typeof(EmissionFactors).Assembly.GetManifestResourceStream("Marketplace.Domain.Carbon.emission-factors.json")
                           ?? throw new InvalidOperationException("The embedded emission-factor file is missing from Marketplace.Domain.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Parses and checks a data file; throws <see cref="FormatException"/> naming the first bad row. With a taxonomy, every
    /// category a row names must exist in it and every category of it must resolve to a row (itself or an ancestor).
    /// </summary>
    public static EmissionFactors Parse(string json, MaterialTaxonomy? taxonomy = null)
    {
        FactorFile doc;
        try
        {
            doc = JsonSerializer.Deserialize<FactorFile>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true, AllowTrailingCommas = true })
                  ?? throw new FormatException("The emission-factor file is empty.");
        }
        catch (JsonException e)
        {
            throw new FormatException($"The emission-factor file is not valid JSON ({e.Message}).", e);
        }

        if (string.IsNullOrWhiteSpace(doc.Version) || doc.Version.Length > 64)
        {
            throw new FormatException("The emission-factor file needs a version (1 to 64 characters).");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var categories = new HashSet<string>(StringComparer.Ordinal);
        var materials = new List<MaterialFactor>();
        foreach (var (row, index) in (doc.Materials ?? []).Select((r, i) => (r, i)))
        {
            var name = RowName("materials", index, row.Id);
            var id = CheckId(row.Id, name, ids);
            if (row.Categories is not { Count: > 0 })
            {
                throw new FormatException($"{name} names no categories.");
            }

            foreach (var category in row.Categories)
            {
                if (category is null || !SlugPattern().IsMatch(category))
                {
                    throw new FormatException($"{name} names '{category}', which is not a category slug.");
                }

                if (taxonomy is not null && taxonomy.Find(category) is null)
                {
                    throw new FormatException($"{name} names category '{category}', which the material taxonomy (version {taxonomy.Version}) does not have.");
                }

                if (!categories.Add(category))
                {
                    throw new FormatException($"{name} names category '{category}', which an earlier row already covers.");
                }
            }

            var factor = row.KgCo2ePerKg is { } f and >= 0m and <= 1000m ? f : throw new FormatException($"{name} needs kgCo2ePerKg from 0 to 1000.");
            var (source, year, licence) = CheckProvenance(name, row.Source, row.Year, row.Licence);
            materials.Add(new MaterialFactor(id, row.Categories.Select(c => c!).ToArray(), factor, source, year, licence, row.Indicative ?? true, row.Note));
        }

        if (materials.Count == 0)
        {
            throw new FormatException("The emission-factor file has no material rows.");
        }

        var t = doc.Transport ?? throw new FormatException("The emission-factor file has no transport row.");
        var transportName = RowName("transport", null, t.Id);
        var transportId = CheckId(t.Id, transportName, ids);
        var perTonneKm = t.KgCo2ePerTonneKm is { } p and >= 0m and <= 100m ? p : throw new FormatException($"{transportName} needs kgCo2ePerTonneKm from 0 to 100.");
        var (tSource, tYear, tLicence) = CheckProvenance(transportName, t.Source, t.Year, t.Licence);
        var transport = new TransportFactor(transportId, perTonneKm, tSource, tYear, tLicence, t.Indicative ?? true, t.Note);

        var substitution = new List<SubstitutionRatio>();
        foreach (var (row, index) in (doc.Substitution ?? []).Select((r, i) => (r, i)))
        {
            var name = RowName("substitution", index, row.Id);
            var id = CheckId(row.Id, name, ids);
            if (row.Condition is not ("A" or "B" or "C") || substitution.Any(s => s.Condition == row.Condition))
            {
                throw new FormatException($"{name} needs a condition A, B or C not given by another row.");
            }

            var ratio = row.Ratio is { } r and > 0m and <= 1m ? r : throw new FormatException($"{name} needs a ratio above 0 and at most 1.");
            substitution.Add(new SubstitutionRatio(id, row.Condition, ratio, row.Reason ?? ""));
        }

        if (substitution.Count != 3)
        {
            throw new FormatException("The emission-factor file needs a substitution row for each condition grade A, B and C.");
        }

        var rep = doc.Reporting ?? new ReportingRow("reporting-default", 1m, 0m, null);
        var reportingName = RowName("reporting", null, rep.Id);
        var reportingId = CheckId(rep.Id, reportingName, ids);
        var attribution = rep.AttributionShare ?? 1m;
        var deadweight = rep.Deadweight ?? 0m;
        if (attribution is <= 0m or > 1m || deadweight is < 0m or >= 1m)
        {
            throw new FormatException($"{reportingName} needs an attributionShare above 0 and at most 1, and a deadweight from 0 to below 1.");
        }

        var factors = new EmissionFactors(doc.Version, materials, transport, substitution, new ReportingShares(reportingId, attribution, deadweight, rep.Note));
        var unresolved = taxonomy?.Categories.FirstOrDefault(c => factors.MaterialFor(c.Id) is null);
        if (unresolved is not null)
        {
            throw new FormatException($"Taxonomy category '{unresolved.Id}' has no material row, and neither has any category above it.");
        }

        return factors;
    }

    private static string RowName(string section, int? index, string? id)
        => $"Row {(index is { } i ? (i + 1).ToString(CultureInfo.InvariantCulture) + " of " : "")}'{section}'{(string.IsNullOrWhiteSpace(id) ? "" : $" (id '{id}')")}";

    private static string CheckId(string? id, string name, HashSet<string> ids)
    {
        if (id is null || !IdPattern().IsMatch(id))
        {
            throw new FormatException($"{name} needs an id of lower-case letters, digits, '.', '_' and '-' (1 to 80 characters).");
        }

        return ids.Add(id) ? id : throw new FormatException($"{name} repeats an id used by an earlier row.");
    }

    private static (string Source, int Year, string Licence) CheckProvenance(string name, string? source, int? year, string? licence)
    {
        if (string.IsNullOrWhiteSpace(source))
        {
            throw new FormatException($"{name} needs a source.");
        }

        if (year is not (>= 1990 and <= 2100))
        {
            throw new FormatException($"{name} needs the source's year (1990 to 2100).");
        }

        return string.IsNullOrWhiteSpace(licence) ? throw new FormatException($"{name} needs a licence.") : (source, year.Value, licence);
    }

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*){0,3}$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,79}$")]
    private static partial Regex IdPattern();

    private sealed record FactorFile(string? Version, List<MaterialRow>? Materials, TransportRow? Transport, List<SubstitutionRow>? Substitution, ReportingRow? Reporting);

    private sealed record MaterialRow(string? Id, List<string?>? Categories, decimal? KgCo2ePerKg, string? Source, int? Year, string? Licence, bool? Indicative, string? Note);

    private sealed record TransportRow(string? Id, decimal? KgCo2ePerTonneKm, string? Source, int? Year, string? Licence, bool? Indicative, string? Note);

    private sealed record SubstitutionRow(string? Id, string? Condition, decimal? Ratio, string? Reason);

    private sealed record ReportingRow(string? Id, decimal? AttributionShare, decimal? Deadweight, string? Note);
}
