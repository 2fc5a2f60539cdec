using System.Globalization;

namespace Marketplace.Host.Web.Pages.Sell;

/// <summary>The lot form as a person fills it in: numbers as typed (comma or point), money in euros.</summary>
public sealed class LotForm
{
    /// <summary>Title.</summary>
    public string? Title { get; set; }

    /// <summary>Description.</summary>
    public string? Description { get; set; }

    /// <summary>Category id from the taxonomy.</summary>
    public string? Category { get; set; }

    /// <summary>Listed quantity.</summary>
    public string? Quantity { get; set; }

    /// <summary>Unit code.</summary>
    public string? Unit { get; set; }

    /// <summary>Mass of one unit in kg; empty: the category's typical mass.</summary>
    public string? MassPerUnitKg { get; set; }

    /// <summary>Condition grade A, B or C.</summary>
    public string? Condition { get; set; } = "A";

    /// <summary>Unit price in euros, VAT 0 %.</summary>
    public string? Price { get; set; }

    /// <summary>Latitude of the pickup place; empty with the longitude: the municipality's centre.</summary>
    public string? Latitude { get; set; }

    /// <summary>Longitude of the pickup place; empty with the latitude: the municipality's centre.</summary>
    public string? Longitude { get; set; }

    /// <summary>Street address.</summary>
    public string? Address { get; set; }

    /// <summary>Municipality.</summary>
    public string? Municipality { get; set; }

    /// <summary>The buyer may collect it.</summary>
    public bool Pickup { get; set; } = true;

    /// <summary>The seller delivers.</summary>
    public bool Delivery { get; set; }

    /// <summary>First day it can be had.</summary>
    public DateOnly? From { get; set; }

    /// <summary>Last day it can be had.</summary>
    public DateOnly? To { get; set; }

    /// <summary>The form of a lot as the API shows it.</summary>
    public static LotForm Of(LotDoc lot) => new()
    {
        Title = lot.Title,
        Description = lot.Description,
        Category = lot.Category,
        Quantity = lot.Quantities.Listed.ToString(CultureInfo.CurrentCulture),
        Unit = lot.Unit,
        MassPerUnitKg = lot.MassPerUnitKg?.ToString(CultureInfo.CurrentCulture),
        Condition = lot.Condition,
        Price = (lot.UnitPrice.MinorUnits / 100m).ToString("0.00", CultureInfo.CurrentCulture),
        // A lot placed at its municipality's centre shows no coordinates: the form places it by the municipality, so
        // choosing another one moves it.
        Latitude = AtCentre(lot) ? null : lot.Location.Latitude.ToString(CultureInfo.InvariantCulture),
        Longitude = AtCentre(lot) ? null : lot.Location.Longitude.ToString(CultureInfo.InvariantCulture),
        Address = lot.Location.Address,
        Municipality = lot.Location.Municipality,
        Pickup = lot.Pickup,
        Delivery = lot.Delivery,
        From = lot.Availability.From,
        To = lot.Availability.To,
    };

    /// <summary>The API's lot document (<c>POST</c>/<c>PATCH /listings</c>); numbers that cannot be read are reported in <paramref name="errors"/>.</summary>
    public object ToRequest(IDictionary<string, string> errors, Func<string, string> text)
    {
        // Checked here as the API would, so a pasted megabyte is named at its field in the page's language rather than
        // refused whole as a request body past the API's limit (probe 26).
        foreach (var (value, field, max) in new[] { (Title, "Form.Title", Domain.Listings.Listing.MaxTitleLength), (Description, "Form.Description", Domain.Listings.Listing.MaxDescriptionLength), (Address, "Form.Address", 300) })
        {
            if (value is { Length: var length } && length > max)
            {
                errors[field] = string.Format(CultureInfo.CurrentCulture, text("At most {0} characters; this has {1}."), max, length);
            }
        }

        var quantity = Number(Quantity, "Form.Quantity", required: true, errors, text);
        var mass = Number(MassPerUnitKg, "Form.MassPerUnitKg", required: false, errors, text);
        var price = Number(Price, "Form.Price", required: true, errors, text);
        var cents = price is { } euros ? Formats.Cents(euros) : null;
        if (price is not null && cents is null)
        {
            errors["Form.Price"] = text("Enter a smaller number.");
        }

        // Coordinates are for an exact spot or a place outside the list; without them the lot is at its municipality's centre.
        var placed = string.IsNullOrWhiteSpace(Latitude) && string.IsNullOrWhiteSpace(Longitude);
        var listed = Places.Find(Municipality);
        var latitude = placed ? null : Number(Latitude, "Form.Latitude", required: true, errors, text);
        var longitude = placed ? null : Number(Longitude, "Form.Longitude", required: true, errors, text);
        if (placed && !string.IsNullOrWhiteSpace(Municipality))
        {
            if (listed is { } centre)
            {
                latitude = (decimal)centre.Lat;
                longitude = (decimal)centre.Lon;
            }
            else
            {
                errors["Form.Municipality"] = text("Choose a municipality from the list, or give the latitude and longitude of the place.");
            }
        }

        if (From is null || To is null)
        {
            errors["Form.From"] = text("Give the first and the last day.");
        }

        return new
        {
            title = Title ?? "",
            description = Description ?? "",
            category = Category ?? "",
            quantity,
            unit = Unit ?? "",
            massPerUnitKg = mass,
            condition = Condition ?? "",
            unitPrice = new { minorUnits = cents, currency = "EUR" },
            location = new { latitude, longitude, address = string.IsNullOrWhiteSpace(Address) ? null : Address, municipality = listed?.Name ?? Municipality ?? "" },
            pickup = Pickup,
            delivery = Delivery,
            availability = new { from = From?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), to = To?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
        };
    }

    /// <summary>How the API's field paths map to this form's fields.</summary>
    public static IReadOnlyDictionary<string, string> Fields { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["unitPrice.minorUnits"] = "Form.Price", ["unitPrice.currency"] = "Form.Price", ["unitPrice"] = "Form.Price",
        ["location"] = "Form.Latitude", ["location.latitude"] = "Form.Latitude", ["location.longitude"] = "Form.Longitude",
        ["location.address"] = "Form.Address", ["location.municipality"] = "Form.Municipality",
        ["availability"] = "Form.From", ["pickup"] = "Form.Pickup",
    };

    /// <summary>True when the lot is at the centre of the municipality it names.</summary>
    private static bool AtCentre(LotDoc lot)
        => Places.At(lot.Location.Latitude, lot.Location.Longitude) is { } place
            && string.Equals(place.Name, lot.Location.Municipality?.Trim(), StringComparison.OrdinalIgnoreCase);

    private static decimal? Number(string? value, string field, bool required, IDictionary<string, string> errors, Func<string, string> text)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors[field] = text("Enter a number.");
            }

            return null;
        }

        if (Formats.ParseNumber(value) is { } n)
        {
            return n;
        }

        errors[field] = text("Enter a number, e.g. 12,5.");
        return null;
    }
}
