using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Imports;

/// <summary>One problem with one row of an import: the file's line, the row's external id when known, the field and what is wrong.</summary>
public sealed record ImportError(int Line, string? ExternalId, string Field, string Message);

/// <summary>
/// A row read as a lot: where it goes (<see cref="LotId"/>), its details, and the problems found reading it. A row with
/// problems has no details and is not sent to the lot.
/// </summary>
/// <param name="Line">Line of the file the row starts on.</param>
/// <param name="ExternalId">The seller's id of the row, when it has one.</param>
/// <param name="LotId">The lot the row creates or updates.</param>
/// <param name="ByLotId">True when the row names an existing lot by its own id (a re-imported export) rather than by an external id.</param>
/// <param name="Details">The lot's details, when the row could be read.</param>
/// <param name="Errors">What is wrong with the row.</param>
public sealed record LotRow(int Line, string? ExternalId, string? LotId, bool ByLotId, ListingDetails? Details, IReadOnlyList<ImportError> Errors);

/// <summary>
/// Which column of the file feeds each field of a lot. By default a field reads the first column present of its
/// aliases, which are the lot export's own column names and the API's dotted names, so an export (CSV or JSON Lines)
/// imports back as it is. A caller names other columns per field (<see cref="With"/>).
/// </summary>
public sealed class ImportMapping
{
    /// <summary>The fields of a lot a row may set, each with the column names it is read from by default.</summary>
    public static IReadOnlyDictionary<string, string[]> Defaults { get; } = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
    {
        ["externalId"] = ["externalId", "external_id"],
        ["id"] = ["id"],
        ["title"] = ["title"],
        ["description"] = ["description"],
        ["category"] = ["category"],
        ["quantity"] = ["quantity", "listedQuantity", "quantities.listed"],
        ["unit"] = ["unit"],
        ["massPerUnitKg"] = ["massPerUnitKg"],
        ["condition"] = ["condition"],
        ["unitPriceMinor"] = ["unitPriceMinor", "unitPrice.minorUnits"],
        ["unitPrice"] = ["unitPrice", "price"],
        ["currency"] = ["currency", "unitPrice.currency"],
        ["address"] = ["address", "location.address"],
        ["municipality"] = ["municipality", "location.municipality"],
        ["latitude"] = ["latitude", "location.latitude"],
        ["longitude"] = ["longitude", "location.longitude"],
        ["pickup"] = ["pickup"],
        ["delivery"] = ["delivery"],
        ["availableFrom"] = ["availableFrom", "availability.from"],
        ["availableTo"] = ["availableTo", "availability.to"],
        ["isWaste"] = ["isWaste"],
        ["wasteCode"] = ["wasteCode"],
        ["photos"] = ["photos"],
    };

    private readonly Dictionary<string, string> _chosen = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The mapping of every field to its default columns.</summary>
    public static ImportMapping Default => new();

    /// <summary>The columns named explicitly, by field.</summary>
    public IReadOnlyDictionary<string, string> Chosen => _chosen;

    /// <summary>Reads <paramref name="field"/> from <paramref name="column"/>; an unknown field is a validation error.</summary>
    public ImportMapping With(string field, string column)
    {
        if (!Defaults.ContainsKey(field))
        {
            throw new DomainException("invalid-mapping", $"'{field}' is not a field of a lot.", DomainErrorKind.Validation,
                new Dictionary<string, string[]> { ["map." + field] = [$"Map one of {string.Join(", ", Defaults.Keys)}."] });
        }

        _chosen[field] = column;
        return this;
    }

    /// <summary>
    /// The column index of each field in <paramref name="table"/> (-1 when the file has none); a chosen column the file
    /// lacks is a validation error, as is a file from which neither an external id nor a lot id can be read.
    /// </summary>
    public IReadOnlyDictionary<string, int> Resolve(ImportTable table)
    {
        var resolved = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var missing = new Dictionary<string, string[]>();
        foreach (var (field, aliases) in Defaults)
        {
            if (_chosen.TryGetValue(field, out var column))
            {
                resolved[field] = table.IndexOf(column);
                if (resolved[field] < 0)
                {
                    missing["map." + field] = [$"The file has no column '{column}'; its columns are {string.Join(", ", table.Columns)}."];
                }
            }
            else
            {
                resolved[field] = aliases.Select(table.IndexOf).FirstOrDefault(i => i >= 0, -1);
            }
        }

        if (missing.Count > 0)
        {
            throw new DomainException("invalid-mapping", "The column mapping names columns the file does not have.", DomainErrorKind.Validation, missing);
        }

        if (resolved["externalId"] < 0 && resolved["id"] < 0)
        {
            throw new DomainException("invalid-mapping", "Each row needs an external id: name its column with map.externalId (or give an 'externalId' column).",
                DomainErrorKind.Validation, new Dictionary<string, string[]> { ["map.externalId"] = ["The file has no 'externalId' or 'id' column."] });
        }

        return resolved;
    }
}

/// <summary>
/// Reads an import row into a lot's details: numbers with a decimal point or a Finnish decimal comma (spaces between
/// thousands allowed), dates as yyyy-MM-dd or d.M.yyyy, the category by slug or by its English or Finnish name, units by
/// code or common name (kpl, m², tonni, ...). What the row says is checked by the lot's own rules
/// (<see cref="Listing.Validate"/>), so an import refuses exactly what the API refuses, with the same messages.
/// </summary>
public sealed class LotRowReader
{
    /// <summary>Longest external id.</summary>
    public const int MaxExternalIdLength = 200;

    private static readonly Dictionary<string, Unit> UnitNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["kg"] = Unit.Kg, ["kilo"] = Unit.Kg, ["kilogram"] = Unit.Kg, ["kilograms"] = Unit.Kg, ["kilogramma"] = Unit.Kg,
        ["t"] = Unit.T, ["tn"] = Unit.T, ["tonne"] = Unit.T, ["tonnes"] = Unit.T, ["ton"] = Unit.T, ["tons"] = Unit.T, ["tonni"] = Unit.T, ["tonnia"] = Unit.T,
        ["m"] = Unit.M, ["metre"] = Unit.M, ["metres"] = Unit.M, ["meter"] = Unit.M, ["meters"] = Unit.M, ["metri"] = Unit.M, ["metriä"] = Unit.M, ["jm"] = Unit.M,
        ["m2"] = Unit.M2, ["m²"] = Unit.M2, ["sqm"] = Unit.M2, ["neliö"] = Unit.M2, ["neliömetri"] = Unit.M2, ["neliömetriä"] = Unit.M2,
        ["m3"] = Unit.M3, ["m³"] = Unit.M3, ["kuutio"] = Unit.M3, ["kuutiometri"] = Unit.M3, ["kuutiometriä"] = Unit.M3,
        ["pcs"] = Unit.Pcs, ["pc"] = Unit.Pcs, ["piece"] = Unit.Pcs, ["pieces"] = Unit.Pcs, ["kpl"] = Unit.Pcs, ["kappale"] = Unit.Pcs, ["kappaletta"] = Unit.Pcs,
    };

    private readonly MaterialTaxonomy _taxonomy;
    private readonly Dictionary<string, string?> _categoryNames = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _firmId;
    private readonly IReadOnlyDictionary<string, int> _columns;
    private readonly Func<DateTimeOffset> _now;
    private readonly ServiceArea? _area;

    /// <summary>A reader of one file's rows for one firm.</summary>
    public LotRowReader(string firmId, IReadOnlyDictionary<string, int> columns, MaterialTaxonomy taxonomy, Func<DateTimeOffset> now, ServiceArea? area)
    {
        _firmId = firmId;
        _columns = columns;
        _taxonomy = taxonomy;
        _now = now;
        _area = area;
        foreach (var category in taxonomy.Categories)
        {
            foreach (var name in new[] { category.NameEn, category.NameFi })
            {
                // A name two categories share names neither: the row must use the slug.
                _categoryNames[name] = _categoryNames.ContainsKey(name) ? null : category.Id;
            }
        }
    }

    /// <summary>
    /// The lot id for <paramref name="externalId"/> of <paramref name="firmId"/>: derived (32 hex digits of SHA-256 over
    /// the firm and the id), so the same row always reaches the same lot, on any host, with nothing to look up, and
    /// two firms' external ids never meet.
    /// </summary>
    public static string LotIdFor(string firmId, string externalId)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"import\n{firmId}\n{externalId}")))[..32];

    /// <summary>Reads one record.</summary>
    public LotRow Read(ImportRecord record)
    {
        var externalId = Cell(record, "externalId")?.Trim();
        var lotId = Cell(record, "id")?.Trim();
        var errors = new List<ImportError>();
        if (record.Error is not null)
        {
            return new LotRow(record.Line, externalId, null, false, null, [new ImportError(record.Line, externalId, "row", record.Error)]);
        }

        void Error(string field, string message) => errors.Add(new ImportError(record.Line, externalId, field, message));

        string? target = null;
        var byLotId = false;
        if (!string.IsNullOrEmpty(externalId))
        {
            if (externalId.Length > MaxExternalIdLength)
            {
                Error("externalId", $"The external id must be at most {MaxExternalIdLength} characters.");
            }
            else
            {
                target = LotIdFor(_firmId, externalId);
            }
        }
        else if (!string.IsNullOrEmpty(lotId))
        {
            target = lotId.Length <= MaxExternalIdLength ? lotId : null;
            byLotId = true;
            externalId = null;
            if (target is null)
            {
                Error("id", "Not a lot id.");
            }
        }
        else
        {
            Error("externalId", "Each row needs an external id (or the id of one of your lots).");
        }

        var category = Category(Cell(record, "category"));
        var unit = Cell(record, "unit")?.Trim();
        var price = Price(record, Error);
        var details = new ListingDetails
        {
            Title = Text(record, "title") ?? "",
            Description = Text(record, "description") ?? "",
            Category = category ?? "",
            Quantity = Number(record, "quantity", Error) ?? 0,
            Unit = unit is not null && UnitNames.TryGetValue(unit, out var u) ? u.Code() : unit ?? "",
            MassPerUnitKg = Number(record, "massPerUnitKg", Error),
            Condition = Cell(record, "condition")?.Trim().ToUpperInvariant() ?? "",
            UnitPrice = new Money(price ?? 0, Cell(record, "currency")?.Trim().ToUpperInvariant() is { Length: > 0 } currency ? currency : Money.DefaultCurrency),
            Location = new ListingLocation(
                (double?)Number(record, "latitude", Error) ?? double.NaN,
                (double?)Number(record, "longitude", Error) ?? double.NaN,
                Text(record, "address"),
                Text(record, "municipality") ?? ""),
            Pickup = Flag(record, "pickup", Error) ?? true,
            Delivery = Flag(record, "delivery", Error) ?? false,
            Availability = Window(record, Error),
            IsWaste = Flag(record, "isWaste", Error) ?? false,
            WasteCode = Cell(record, "wasteCode")?.Trim() is { Length: > 0 } code ? code : null,
            Photos = Cell(record, "photos")?.Split([' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries) ?? [],
        };

        try
        {
            Listing.Validate(details, _taxonomy, _now(), _area);
        }
        catch (DomainException e)
        {
            // The lot's own rules; a field already reported as unreadable is not reported again for the placeholder it left.
            var unreadable = errors.Select(x => x.Field).ToHashSet(StringComparer.Ordinal);
            foreach (var (field, messages) in e.Errors)
            {
                var reported = field == "availability" ? unreadable.Contains("availableFrom") || unreadable.Contains("availableTo")
                    : field.StartsWith("unitPrice", StringComparison.Ordinal) ? unreadable.Contains("unitPrice") || unreadable.Contains("unitPriceMinor")
                    : unreadable.Contains(field) || unreadable.Contains(field.Replace("location.", "", StringComparison.Ordinal));
                if (!reported)
                {
                    foreach (var message in messages)
                    {
                        Error(field, message);
                    }
                }
            }
        }

        return new LotRow(record.Line, externalId, target, byLotId, errors.Count == 0 ? details : null, errors);
    }

    private string? Category(string? text)
    {
        var value = text?.Trim();
        if (string.IsNullOrEmpty(value) || _taxonomy.Find(value) is not null)
        {
            return value;
        }

        return _categoryNames.TryGetValue(value, out var id) && id is not null ? id : value;
    }

    private string? Cell(ImportRecord record, string field)
    {
        var index = _columns.TryGetValue(field, out var i) ? i : -1;
        return index >= 0 && index < record.Cells.Length ? record.Cells[index] : null;
    }

    /// <summary>Text as written, without the <c>'</c> an export puts before a leading = + - @ (its guard against formulas).</summary>
    private string? Text(ImportRecord record, string field)
    {
        var text = Cell(record, field);
        return text is { Length: > 1 } && text[0] == '\'' && text[1] is '=' or '+' or '-' or '@' or '\t' or '\r' ? text[1..] : text;
    }

    private decimal? Number(ImportRecord record, string field, Action<string, string> error)
    {
        var text = Cell(record, field);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (TryParseNumber(text, out var value))
        {
            return value;
        }

        error(field, $"'{text}' is not a number (write 1234.5 or 1234,5).");
        return null;
    }

    /// <summary>A number with a decimal point or a decimal comma, spaces (also no-break) between thousands allowed.</summary>
    public static bool TryParseNumber(string text, out decimal value)
    {
        var plain = text.Trim().Replace(" ", "", StringComparison.Ordinal).Replace("\u00A0", "", StringComparison.Ordinal).Replace("\u202F", "", StringComparison.Ordinal);
        if (plain.Contains(',', StringComparison.Ordinal))
        {
            if (plain.Contains('.', StringComparison.Ordinal) || plain.Count(c => c == ',') > 1)
            {
                value = 0;
                return false;
            }

            plain = plain.Replace(',', '.');
        }

        return decimal.TryParse(plain, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
    }

    private long? Price(ImportRecord record, Action<string, string> error)
    {
        if (Number(record, "unitPriceMinor", error) is { } minor)
        {
            if (minor is < long.MinValue or > long.MaxValue)
            {
                error("unitPriceMinor", $"The price must be at most {Money.MaxMinorUnits:N0} minor units.");
                return null;
            }

            if (decimal.Truncate(minor) != minor)
            {
                error("unitPriceMinor", "The price in minor units (cents) is a whole number.");
                return null;
            }

            return (long)minor;
        }

        if (Number(record, "unitPrice", error) is { } major)
        {
            // (Beyond about 7.9e26 the product itself would overflow: any such price is over the limit anyway.)
            var cents = Math.Abs(major) > long.MaxValue / 100m ? (decimal?)null : major * 100;
            if (cents is null or < long.MinValue or > long.MaxValue)
            {
                error("unitPrice", $"The price must be at most {Money.MaxMinorUnits / 100m:N2} euros.");
                return null;
            }

            if (decimal.Truncate(cents.Value) != cents)
            {
                error("unitPrice", "The price has at most two decimals.");
                return null;
            }

            return (long)cents.Value;
        }

        return null;
    }

    private bool? Flag(ImportRecord record, string field, Action<string, string> error)
    {
        var text = Cell(record, field)?.Trim().ToLowerInvariant();
        switch (text)
        {
            case null or "":
                return null;
            case "true" or "yes" or "y" or "1" or "kyllä" or "k" or "x":
                return true;
            case "false" or "no" or "n" or "0" or "ei" or "e":
                return false;
            default:
                error(field, $"'{text}' is not true or false (also yes/no, kyllä/ei, 1/0).");
                return null;
        }
    }

    private DateWindow Window(ImportRecord record, Action<string, string> error)
    {
        var from = Date(record, "availableFrom", error);
        var to = Date(record, "availableTo", error);
        return from is { } f && to is { } t ? new DateWindow(f, t) : default;
    }

    private DateOnly? Date(ImportRecord record, string field, Action<string, string> error)
    {
        var text = Cell(record, field)?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error(field, "The date is required (yyyy-MM-dd or d.M.yyyy).");
            return null;
        }

        if (DateOnly.TryParseExact(text, ["yyyy-MM-dd", "d.M.yyyy"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        error(field, $"'{text}' is not a date (yyyy-MM-dd or d.M.yyyy).");
        return null;
    }
}
