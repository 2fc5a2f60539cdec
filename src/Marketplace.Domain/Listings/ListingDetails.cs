using System.Text.Json.Serialization;
using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;

namespace Marketplace.Domain.Listings;

/// <summary>How good a lot is for reuse.</summary>
public enum ConditionGrade
{
    /// <summary>A: reusable as is.</summary>
    A,

    /// <summary>B: needs refurbishment before reuse.</summary>
    B,

    /// <summary>C: fit for material recovery only.</summary>
    C,
}

/// <summary>Condition grades as ranks, for "at least this good" comparisons.</summary>
public static class ConditionGrades
{
    /// <summary>True for exactly A, B or C (not a number, not lower case: enum parsing would take "0" for A).</summary>
    public static bool IsGrade(string? code) => code is "A" or "B" or "C";

    /// <summary>Rank of a grade code: A = 3, B = 2, C = 1, anything else 0.</summary>
    public static int Rank(string? grade) => grade switch
    {
        "A" => 3,
        "B" => 2,
        "C" => 1,
        _ => 0,
    };
}

/// <summary>Where a lot is: a point plus a street address or at least a municipality.</summary>
public sealed record ListingLocation(double Latitude, double Longitude, string? Address, string Municipality)
{
    /// <summary>The point.</summary>
    [JsonIgnore]
    public GeoPoint Point => new(Latitude, Longitude);
}

/// <summary>A partial change to a lot's location: given members replace the current ones, merged by the lot's grain in one turn.</summary>
public sealed record LocationChanges(double? Latitude, double? Longitude, string? Address, string? Municipality)
{
    /// <summary>The location after the change; missing members with no current location become values validation refuses.</summary>
    public ListingLocation ApplyTo(ListingLocation? current) => new(
        Latitude ?? current?.Latitude ?? double.NaN,
        Longitude ?? current?.Longitude ?? double.NaN,
        Address ?? current?.Address,
        Municipality ?? current?.Municipality ?? "");
}

/// <summary>The seller-editable description of a lot, as the seller entered it (validated by <see cref="Listing"/>).</summary>
public sealed record ListingDetails
{
    /// <summary>Short title, 1–200 characters.</summary>
    public required string Title { get; init; }

    /// <summary>Free description, up to 10,000 characters.</summary>
    public string Description { get; init; } = "";

    /// <summary>Taxonomy slug, e.g. <c>masonry/bricks</c>.</summary>
    public required string Category { get; init; }

    /// <summary>Listed quantity, greater than zero, in <see cref="Unit"/>.</summary>
    public required decimal Quantity { get; init; }

    /// <summary>Unit code the category allows (kg, t, m, m2, m3, pcs).</summary>
    public required string Unit { get; init; }

    /// <summary>Mass of one unit in kg; defaults to the taxonomy's typical mass.</summary>
    public decimal? MassPerUnitKg { get; init; }

    /// <summary>Condition grade A, B or C.</summary>
    public required string Condition { get; init; }

    /// <summary>Price of one unit; zero means the lot is free.</summary>
    public Money UnitPrice { get; init; } = Money.Zero;

    /// <summary>Where the lot is; required (null only in unvalidated input).</summary>
    public ListingLocation? Location { get; init; }

    /// <summary>The buyer may collect the lot.</summary>
    public bool Pickup { get; init; } = true;

    /// <summary>The seller can deliver the lot.</summary>
    public bool Delivery { get; init; }

    /// <summary>Dates between which the lot can be collected or delivered, inclusive.</summary>
    public required DateWindow Availability { get; init; }

    /// <summary>True when the lot is legally waste (not a product), which needs a waste code.</summary>
    public bool IsWaste { get; init; }

    /// <summary>EU List of Waste code such as <c>17 01 02</c>; defaults to the category's code for waste lots.</summary>
    public string? WasteCode { get; init; }

    /// <summary>References (URLs) of photos.</summary>
    public IReadOnlyList<string> Photos { get; init; } = [];
}

/// <summary>
/// A partial change to a lot's details: null members stay as they are, and nested ones (location, price, window) are
/// merged member by member with the current lot by its grain in one turn, so concurrent edits of different members
/// never undo each other.
/// </summary>
public sealed record ListingChanges
{
    /// <summary>New title.</summary>
    public string? Title { get; init; }

    /// <summary>New description.</summary>
    public string? Description { get; init; }

    /// <summary>New category slug.</summary>
    public string? Category { get; init; }

    /// <summary>New listed quantity; never below held + sold.</summary>
    public decimal? Quantity { get; init; }

    /// <summary>New unit code.</summary>
    public string? Unit { get; init; }

    /// <summary>New mass per unit in kg.</summary>
    public decimal? MassPerUnitKg { get; init; }

    /// <summary>New condition grade.</summary>
    public string? Condition { get; init; }

    /// <summary>Changes to the unit price.</summary>
    public MoneyChanges? UnitPrice { get; init; }

    /// <summary>Changes to the location.</summary>
    public LocationChanges? Location { get; init; }

    /// <summary>New pickup option.</summary>
    public bool? Pickup { get; init; }

    /// <summary>New delivery option.</summary>
    public bool? Delivery { get; init; }

    /// <summary>Changes to the availability window.</summary>
    public WindowChanges? Availability { get; init; }

    /// <summary>New waste flag.</summary>
    public bool? IsWaste { get; init; }

    /// <summary>New waste code.</summary>
    public string? WasteCode { get; init; }

    /// <summary>New photo references (replaces the list).</summary>
    public IReadOnlyList<string>? Photos { get; init; }

    /// <summary>The details after applying these changes.</summary>
    public ListingDetails ApplyTo(ListingDetails d) => d with
    {
        Title = Title ?? d.Title,
        Description = Description ?? d.Description,
        Category = Category ?? d.Category,
        Quantity = Quantity ?? d.Quantity,
        Unit = Unit ?? d.Unit,
        MassPerUnitKg = MassPerUnitKg ?? d.MassPerUnitKg,
        Condition = Condition ?? d.Condition,
        UnitPrice = UnitPrice?.ApplyTo(d.UnitPrice) ?? d.UnitPrice,
        Location = Location?.ApplyTo(d.Location) ?? d.Location,
        Pickup = Pickup ?? d.Pickup,
        Delivery = Delivery ?? d.Delivery,
        Availability = Availability?.ApplyTo(d.Availability) ?? d.Availability,
        IsWaste = IsWaste ?? d.IsWaste,
        WasteCode = WasteCode ?? d.WasteCode,
        Photos = Photos ?? d.Photos,
    };
}
