using System.Text.Json.Serialization;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;

namespace Marketplace.Search;

/// <summary>What the search index holds for one lot: a projection of the listing grain's state at one version.</summary>
/// <remarks>Every lot has a document, whatever its status; only active lots are ever returned by a search.</remarks>
public sealed record ListingDocument
{
    /// <summary>Listing id.</summary>
    public required string Id { get; init; }

    /// <summary>Seller (trader) id.</summary>
    public required string SellerId { get; init; }

    /// <summary>Status code: draft, active, sold-out, withdrawn, expired.</summary>
    public required string Status { get; init; }

    /// <summary>The listing's version: it grows with every change, so the index can tell a stale document.</summary>
    public required long Version { get; init; }

    /// <summary>Title.</summary>
    public required string Title { get; init; }

    /// <summary>Description.</summary>
    public string Description { get; init; } = "";

    /// <summary>Category id, e.g. <c>masonry/bricks</c>.</summary>
    public required string Category { get; init; }

    /// <summary>The category and its ancestors, most specific first (<c>masonry/bricks</c>, <c>masonry</c>).</summary>
    public required IReadOnlyList<string> CategoryPath { get; init; }

    /// <summary>English and Finnish names of the category and its ancestors, searched as text.</summary>
    public string CategoryNames { get; init; } = "";

    /// <summary>Condition grade A (reusable as is), B or C.</summary>
    public required string Condition { get; init; }

    /// <summary>Unit code (pcs, kg, t, m, m2, m3, ...).</summary>
    public required string Unit { get; init; }

    /// <summary>Quantity free to hold or buy now.</summary>
    public required decimal Available { get; init; }

    /// <summary>Unit price in minor units.</summary>
    public required long PriceMinor { get; init; }

    /// <summary>ISO 4217 currency of the price.</summary>
    public string Currency { get; init; } = "EUR";

    /// <summary>Latitude of the lot.</summary>
    public required double Latitude { get; init; }

    /// <summary>Longitude of the lot.</summary>
    public required double Longitude { get; init; }

    /// <summary>Municipality, searched as text too.</summary>
    public string? Municipality { get; init; }

    /// <summary>First day the lot can be collected.</summary>
    public required DateOnly AvailableFrom { get; init; }

    /// <summary>Last day the lot can be collected.</summary>
    public required DateOnly AvailableTo { get; init; }

    /// <summary>When the lot went on the market (or was created, for a draft); the "newest" order.</summary>
    public required DateTimeOffset ListedAt { get; init; }

    /// <summary>
    /// The version since which every field but <see cref="Available"/>, <see cref="Status"/> and <see cref="Version"/> has
    /// been the same (0: not known). An index that already holds the lot at this version or later has its text and every
    /// other field as they are now, so it only needs the quantity and status (a hold or its release), not the text analysed again.
    /// </summary>
    [JsonIgnore]
    public long DetailsSince { get; init; }

    /// <summary>True when the lot may appear in results.</summary>
    public bool IsActive => Status == "active";

    /// <summary>Rank of a condition grade: A = 3, B = 2, C = 1, unknown 0.</summary>
    public static int ConditionRank(string? grade) => ConditionGrades.Rank(grade);

    /// <summary>
    /// The text a lot is found by for its category: the English and Finnish names of the category and its ancestors, and
    /// their synonyms from <paramref name="vocabulary"/> (everyday words and trade names, e.g. plasterboard and drywall for
    /// gypsum boards). Empty for a category the taxonomy does not know.
    /// </summary>
    public static string CategoryNamesOf(MaterialTaxonomy taxonomy, string categoryId, SearchVocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(taxonomy);
        vocabulary ??= SearchVocabulary.Default;
        var names = new List<string>();
        for (var category = taxonomy.Find(categoryId); category is not null; category = category.ParentId is null ? null : taxonomy.Find(category.ParentId))
        {
            names.Add(category.NameEn);
            names.Add(category.NameFi);
            names.AddRange(vocabulary.SynonymsOf(category.Id));
        }

        return string.Join(' ', names);
    }

    /// <summary>
    /// Projects a listing; null for a listing that does not exist (yet). <paramref name="detailsSince"/> is the version
    /// since which its details and listing time are unchanged (<see cref="DetailsSince"/>; 0 when not known).
    /// </summary>
    public static ListingDocument? From(Listing listing, MaterialTaxonomy taxonomy, long detailsSince = 0)
    {
        var d = listing.Details;
        if (d is null)
        {
            return null;
        }

        var path = new List<string>();
        for (var category = taxonomy.Find(d.Category); category is not null; category = category.ParentId is null ? null : taxonomy.Find(category.ParentId))
        {
            path.Add(category.Id);
        }

        if (path.Count == 0)
        {
            path.Add(d.Category);
        }

        return new ListingDocument
        {
            Id = listing.Id,
            SellerId = listing.SellerId,
            Status = listing.IndexStatus,
            Version = listing.Version,
            Title = d.Title,
            Description = d.Description,
            Category = d.Category,
            CategoryPath = path,
            CategoryNames = CategoryNamesOf(taxonomy, d.Category),
            Condition = d.Condition,
            Unit = d.Unit,
            Available = listing.Available,
            PriceMinor = d.UnitPrice.MinorUnits,
            Currency = d.UnitPrice.Currency,
            Latitude = d.Location?.Latitude ?? 0,
            Longitude = d.Location?.Longitude ?? 0,
            Municipality = d.Location?.Municipality,
            AvailableFrom = d.Availability.From,
            AvailableTo = d.Availability.To,
            ListedAt = listing.PublishedAt ?? listing.CreatedAt,
            DetailsSince = detailsSince,
        };
    }
}
