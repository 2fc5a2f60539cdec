using System.Text.Json;
using Marketplace.Host.Web.Pages.Sell;

namespace Marketplace.Web.Tests;

/// <summary>The lot form places a lot by its municipality unless the seller gives coordinates.</summary>
public sealed class LotFormTests
{
    [Fact]
    public void ToRequest_WithoutCoordinates_PlacesTheLotAtItsMunicipalitysCentre()
    {
        var errors = new Dictionary<string, string>();
        var request = Form(" järvenpää ", null, null).ToRequest(errors, text => text);

        Assert.Empty(errors);
        var location = JsonSerializer.SerializeToElement(request).GetProperty("location");
        var centre = Marketplace.Host.Web.Places.Find("Järvenpää")!;
        Assert.Equal((centre.Lat, centre.Lon), (location.GetProperty("latitude").GetDouble(), location.GetProperty("longitude").GetDouble()));
        // Spelled as the list spells it, not as typed.
        Assert.Equal("Järvenpää", location.GetProperty("municipality").GetString());
    }

    /// <summary>A pasted megabyte is named at its field, not sent for the API to refuse as a body too large (probe 26).</summary>
    [Fact]
    public void ToRequest_TextPastItsLength_IsNamedAtItsField()
    {
        var errors = new Dictionary<string, string>();
        var form = Form("Vantaa", null, null);
        form.Description = new string('d', 1_500_000);
        form.Title = new string('t', 201);

        form.ToRequest(errors, text => text);

        Assert.Equal("At most 10000 characters; this has 1500000.", errors["Form.Description"]);
        Assert.Contains("201", errors["Form.Title"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1 000", 1000)]
    [InlineData("1\u00a0000,5", 1000.5)]
    [InlineData(" 12.25 ", 12.25)]
    [InlineData("1\u202f200", 1200)]
    public void ParseNumber_TakesNumbersAsThePagesPrintThem(string typed, double expected)
        => Assert.Equal((decimal)expected, Marketplace.Host.Web.Formats.ParseNumber(typed));

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("1,000.5")]
    [InlineData("12e3")]
    public void ParseNumber_RefusesWhatIsNotANumber(string typed)
        => Assert.Null(Marketplace.Host.Web.Formats.ParseNumber(typed));

    [Fact]
    public void ToRequest_WithCoordinates_KeepsThem_AndAPlaceOutsideTheListNeedsThem()
    {
        var errors = new Dictionary<string, string>();
        var request = Form("Rovaniemi", "66,5039", "25.7294").ToRequest(errors, text => text);
        Assert.Empty(errors);
        var location = JsonSerializer.SerializeToElement(request).GetProperty("location");
        Assert.Equal((66.5039, 25.7294), (location.GetProperty("latitude").GetDouble(), location.GetProperty("longitude").GetDouble()));

        Form("Rovaniemi", null, " ").ToRequest(errors, text => text);
        Assert.Equal("Choose a municipality from the list, or give the latitude and longitude of the place.", errors["Form.Municipality"]);

        errors.Clear();
        Form("Vantaa", "60.3", null).ToRequest(errors, text => text);
        Assert.Equal("Enter a number.", errors["Form.Longitude"]);
        Assert.False(errors.ContainsKey("Form.Municipality"));
    }

    [Fact]
    public void Places_OfferTheHelsinkiRegionsFourteenMunicipalities_WhileTheSeedKeepsItsTwelve()
    {
        string[] region = ["Helsinki", "Espoo", "Vantaa", "Kauniainen", "Hyvinkää", "Järvenpää", "Kerava", "Kirkkonummi", "Mäntsälä", "Nurmijärvi", "Pornainen", "Sipoo", "Tuusula", "Vihti"];
        var offered = Marketplace.Host.Web.Places.Municipalities.Select(m => m.Name).ToArray();

        Assert.Empty(region.Except(offered));
        Assert.Equal(offered.Length, offered.Distinct().Count());
        Assert.Equal(12, Marketplace.Host.Seed.SeedCatalogue.Load().Municipalities.Count);
        Assert.Equal((60.6314, 24.8617), (Marketplace.Host.Web.Places.Find("hyvinkää")!.Lat, Marketplace.Host.Web.Places.Find("hyvinkää")!.Lon));
    }

    private static LotForm Form(string municipality, string? latitude, string? longitude) => new()
    {
        Title = "Tiiliä",
        Category = "masonry/bricks",
        Quantity = "10",
        Unit = "pcs",
        Price = "1",
        Municipality = municipality,
        Latitude = latitude,
        Longitude = longitude,
        From = new DateOnly(2027, 1, 1),
        To = new DateOnly(2027, 2, 1),
    };
}
