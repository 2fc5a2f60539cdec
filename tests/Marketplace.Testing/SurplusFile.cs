using System.Globalization;
using System.Text;

namespace Marketplace.Testing;

/// <summary>
/// A demolition survey's surplus as a seller's system writes it: <c>;</c>-separated, Finnish decimal commas and dates,
/// categories by slug, English or Finnish name, unit names, quoted cells; exactly 3 % of the rows bad in one field each.
/// </summary>
public sealed record SurplusFile(string Csv, IReadOnlyList<SurplusFile.Row> Good, IReadOnlyList<SurplusFile.BadRow> Bad)
{
    /// <summary>A good row: its external id and what it is.</summary>
    public sealed record Row(string ExternalId, string Category);

    /// <summary>A bad row: its line, external id and the field the report must name.</summary>
    public sealed record BadRow(int Line, string ExternalId, string Field);

    private static readonly string[] Header =
        ["externalId", "title", "description", "category", "quantity", "unit", "condition", "unitPrice", "latitude", "longitude", "address", "municipality", "availableFrom", "availableTo"];

    /// <summary>The file of <paramref name="rows"/> rows near <paramref name="place"/>; rows in <paramref name="edited"/> get a changed title and price.</summary>
    public static SurplusFile Create(int rows, (double Latitude, double Longitude) place, IReadOnlySet<string>? edited = null)
    {
        var text = new StringBuilder(string.Join(';', Header)).Append("\r\n");
        var good = new List<Row>();
        var bad = new List<BadRow>();
        var line = 2;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        for (var i = 0; i < rows; i++)
        {
            var id = $"KOH-{i:D6}";
            var beams = i % 50 == 0;
            var (category, unit) = beams ? ("Teräspalkit", "kpl") : (i % 3) switch { 0 => ("masonry/bricks", "pcs"), 1 => ("Clay bricks", "kpl"), _ => ("Tiilet", "tonni") };
            var title = $"Purkutiili erä {i}" + (edited?.Contains(id) == true ? " (edited)" : "");
            var description = i == 0 ? "\"Two lines\nand a \"\"quote\"\"; kept\"" : $"\"Lavoilla; {i % 7 + 1} lavaa\"";
            var quantity = beams ? "3" : $"{1000 + i % 500} {(i % 4) * 125:D3}".Replace(" 000", "", StringComparison.Ordinal).Replace(" ", ",", StringComparison.Ordinal);
            var price = edited?.Contains(id) == true ? "1,25" : $"0,{45 + i % 40}";
            var from = (i % 2 == 0 ? today.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : today.AddDays(-1).ToString("d.M.yyyy", CultureInfo.InvariantCulture));
            var to = today.AddDays(60).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var lat = (place.Latitude + (i % 10 * 0.001)).ToString("0.00000", CultureInfo.InvariantCulture).Replace('.', ',');
            var lon = (place.Longitude + (i % 7 * 0.001)).ToString("0.00000", CultureInfo.InvariantCulture).Replace('.', ',');
            string? wrong = null;
            if (i % 100 is 5 or 40 or 75)
            {
                (wrong, category, quantity, title, from, unit, price, lat) = (i / 100 % 7) switch
                {
                    0 => ("category", "Banaanit", quantity, title, from, unit, price, lat),
                    1 => ("quantity", category, "-5", title, from, unit, price, lat),
                    2 => ("title", category, quantity, "", from, unit, price, lat),
                    3 => ("availableFrom", category, quantity, title, "31.2.2026", unit, price, lat),
                    4 => ("unit", category, quantity, title, from, "banaani", price, lat),
                    5 => ("unitPrice", category, quantity, title, from, unit, "12,3,4", lat),
                    _ => ("location", category, quantity, title, from, unit, price, "10,0"),
                };
            }

            text.AppendJoin(';', id, title, description, category, quantity, unit, "B", price, lat, lon, "\"Purkutie 1\"", "Helsinki", from, to).Append("\r\n");
            if (wrong is null)
            {
                good.Add(new Row(id, beams ? "beams" : "bricks"));
            }
            else
            {
                bad.Add(new BadRow(line, id, wrong));
            }

            line += i == 0 ? 2 : 1;
        }

        return new SurplusFile(text.ToString(), good, bad);
    }
}
