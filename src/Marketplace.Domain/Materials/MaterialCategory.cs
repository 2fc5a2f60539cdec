namespace Marketplace.Domain.Materials;

/// <summary>One node of the material taxonomy, e.g. <c>metals/steel/beams</c>.</summary>
/// <param name="Id">Stable slug; the parent is everything before the last '/'.</param>
/// <param name="NameEn">English name.</param>
/// <param name="NameFi">Finnish name.</param>
/// <param name="Units">Units lots of this material may be listed in.</param>
/// <param name="MassPerUnitKg">Typical mass of one unit, for units that are not themselves mass.</param>
/// <param name="WasteCode">EU List of Waste (chapter 17) code, e.g. <c>17 01 02</c>, where one applies.</param>
public sealed record MaterialCategory(
    string Id,
    string NameEn,
    string NameFi,
    IReadOnlyList<Unit> Units,
    IReadOnlyDictionary<Unit, decimal> MassPerUnitKg,
    string? WasteCode)
{
    /// <summary>The parent's slug, or null for a top-level category.</summary>
    public string? ParentId => Id.LastIndexOf('/') is var i and > 0 ? Id[..i] : null;

    /// <summary>The top-level category's slug.</summary>
    public string TopLevelId => Id.IndexOf('/') is var i and > 0 ? Id[..i] : Id;

    /// <summary>Depth in the tree: 1 for top-level categories.</summary>
    public int Depth => Id.Count(c => c == '/') + 1;

    /// <summary>True when lots of this material may be listed in the unit.</summary>
    public bool Allows(Unit unit) => Units.Contains(unit);
}
