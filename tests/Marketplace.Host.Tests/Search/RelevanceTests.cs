using System.Globalization;
using System.Text;
using System.Text.Json;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using Marketplace.Host.Seed;
using Marketplace.Search;
using Marketplace.Search.Lucene;
using Xunit.Abstractions;

namespace Marketplace.Host.Tests.Search;

/// <summary>
/// Judged queries (relevance-set.json: English and Finnish, typos, units, filters) over the seed command's lots in the
/// embedded engine. Judgements are per seed template; a hit is as relevant as its template. Prints precision@10 and
/// nDCG@10 per query and fails when the means drop below the floors measured when the set was made.
/// </summary>
public class RelevanceTests(ITestOutputHelper output)
{
    /// <summary>
    /// Floors a little below the measurement: first 2026-11-28 (0.775 / 0.775 over 55 queries, floors 0.75); with the 30
    /// queries of the kinds issue 14 names as weak (compounds, Finnish words for English lots, synonyms) added before the
    /// engine change, 2026-11-30: precision@10 0.678, nDCG@10 0.678 over 85 queries; after the Finnish decompounder and the
    /// bilingual synonym list (search-terms.json): 0.987 / 0.979.
    /// </summary>
    private const double PrecisionFloor = 0.98;
    private const double NdcgFloor = 0.97;

    private static readonly DateOnly Today = new(2026, 11, 28);

    [Fact]
    public async Task JudgedQueries_OverSeedLots_MeetThePrecisionAndNdcgFloors()
    {
        var set = JsonSerializer.Deserialize<RelevanceSet>(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Search", "relevance-set.json")),
            new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.True(set.Queries.Count >= 30, "the relevance set needs at least 30 judged queries");

        var catalogue = SeedCatalogue.Load();
        var lots = new List<(ListingDocument Document, int Template)>();
        for (var i = 0; i < set.SeedListings; i++)
        {
            var (id, template, seller, details) = SeedCommand.Plan(catalogue, i, Today);
            var listing = Listing.Create(id, SeedCommand.FirmId(seller), details, MaterialTaxonomy.Default, new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(i));
            if (SeedCommand.IsPublished(i))
            {
                listing.Publish(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero).AddMinutes(i));
            }

            lots.Add((ListingDocument.From(listing, MaterialTaxonomy.Default)!, template));
        }

        var folder = Path.Combine(Path.GetTempPath(), "marketplace-relevance-" + Guid.NewGuid().ToString("N"));
        var engine = LuceneSearchEngine.Open(folder);
        try
        {
            await engine.IndexAsync(lots.Select(l => l.Document).ToArray());
            var templateOf = lots.ToDictionary(l => l.Document.Id, l => l.Template);
            var report = new StringBuilder();
            report.AppendLine(CultureInfo.InvariantCulture, $"{"query",-5} {"lang",-4} {"P@10",5} {"nDCG@10",7}  text");
            double precisionSum = 0, ndcgSum = 0;
            foreach (var q in set.Queries)
            {
                var grades = q.Relevant.ToDictionary(r => r.Template, r => r.Grade);
                var query = q.ToQuery();
                var hits = engine.Search(query).Hits;
                var gains = hits.Select(h => grades.GetValueOrDefault(templateOf[h.Id])).ToArray();
                var precision = gains.Count(g => g > 0) / 10.0;
                var ideal = lots.Where(l => l.Document.IsActive && Passes(l.Document, query))
                    .Select(l => grades.GetValueOrDefault(l.Template)).Where(g => g > 0).OrderDescending().Take(10).ToArray();
                var ndcg = ideal.Length == 0 ? 0 : Dcg(gains) / Dcg(ideal);
                precisionSum += precision;
                ndcgSum += ndcg;
                report.AppendLine(CultureInfo.InvariantCulture, $"{q.Id,-5} {q.Language,-4} {precision,5:0.00} {ndcg,7:0.000}  {q.Text}");
            }

            var meanPrecision = precisionSum / set.Queries.Count;
            var meanNdcg = ndcgSum / set.Queries.Count;
            report.AppendLine(CultureInfo.InvariantCulture, $"mean over {set.Queries.Count} queries: precision@10 {meanPrecision:0.000}, nDCG@10 {meanNdcg:0.000} (floors {PrecisionFloor:0.00} / {NdcgFloor:0.00})");
            output.WriteLine(report.ToString());
            await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "marketplace-relevance-report.txt"), report.ToString());
            Assert.True(meanPrecision >= PrecisionFloor, $"mean precision@10 {meanPrecision:0.000} is below the floor {PrecisionFloor}\n{report}");
            Assert.True(meanNdcg >= NdcgFloor, $"mean nDCG@10 {meanNdcg:0.000} is below the floor {NdcgFloor}\n{report}");
        }
        finally
        {
            await engine.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static double Dcg(IReadOnlyList<int> gains)
        => gains.Select((g, rank) => (Math.Pow(2, g) - 1) / Math.Log2(rank + 2)).Sum();

    /// <summary>The query's filters, evaluated directly (for the ideal ranking).</summary>
    private static bool Passes(ListingDocument d, SearchQuery q)
        => (q.Category is null || d.CategoryPath.Contains(q.Category))
           && (q.MinCondition is null || ListingDocument.ConditionRank(d.Condition) >= ListingDocument.ConditionRank(q.MinCondition))
           && (q.MaxPriceMinor is null || d.PriceMinor <= q.MaxPriceMinor)
           && (q.MinPriceMinor is null || d.PriceMinor >= q.MinPriceMinor)
           && (q.MinQuantity is null || d.Available >= q.MinQuantity)
           && (q.Near is null || q.RadiusKm is null || q.Near.Value.DistanceKm(new GeoPoint(d.Latitude, d.Longitude)) <= q.RadiusKm);

    private sealed record RelevanceSet(int SeedListings, IReadOnlyList<JudgedQuery> Queries);

    private sealed record Judgement(int Template, int Grade);

    private sealed record Filters(string? Category, string? MinCondition, double[]? Near, double? RadiusKm, long? MaxPriceCents, long? MinPriceCents, decimal? MinQuantity);

    private sealed record JudgedQuery(string Id, string Language, string Text, Filters? Filters, IReadOnlyList<Judgement> Relevant)
    {
        public SearchQuery ToQuery() => new()
        {
            Text = Text,
            Category = Filters?.Category,
            MinCondition = Filters?.MinCondition,
            Near = Filters?.Near is [var lat, var lon] ? new GeoPoint(lat, lon) : null,
            RadiusKm = Filters?.RadiusKm,
            MaxPriceMinor = Filters?.MaxPriceCents,
            MinPriceMinor = Filters?.MinPriceCents,
            MinQuantity = Filters?.MinQuantity,
            Limit = 10,
        };
    }
}
