using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Materials;
using Marketplace.Search.Elasticsearch;
using Marketplace.Search.Tests.Contract;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Marketplace.Search.Tests.Elasticsearch;

/// <summary>
/// The Elasticsearch engine through the real client over real HTTP, against a loopback server that answers as Elasticsearch's
/// documentation shows: checks what the engine sends and what it makes of the answers.
/// </summary>
public sealed class ElasticsearchEngineTests : IAsyncLifetime
{
    private const string Index = "listings-test";

    private static readonly GeoPoint Tikkurila = new(60.2934, 25.0378);

    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly ConcurrentQueue<Sent> _sent = new();
    private readonly ElasticsearchSearchEngine _engine;

    public ElasticsearchEngineTests()
    {
        _engine = new ElasticsearchSearchEngine(new ElasticsearchOptions { Url = _server.Url!, IndexName = Index });
        Stub(Request.Create().WithPath($"/{Index}").UsingHead(), 404, "");
        Stub(Request.Create().WithPath($"/{Index}").UsingPut(), 200, $$"""{"acknowledged":true,"shards_acknowledged":true,"index":"{{Index}}"}""");
        Stub(Request.Create().WithPath($"/{Index}").UsingDelete(), 200, """{"acknowledged":true}""");
        Stub(Request.Create().WithPath($"/{Index}/_refresh").UsingAnyMethod(), 200, """{"_shards":{"total":2,"successful":1,"failed":0}}""");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        _server.Stop();
        _server.Dispose();
    }

    [Fact]
    public void Name_Always_IsElasticsearch() => Assert.Equal("Elasticsearch", _engine.Name);

    [Fact]
    public async Task IndexAsync_FirstUse_CreatesIndexWithTextAnalyzersAndGeoPoint()
    {
        StubBulk(BulkAnswer(("brick-kallio", 201, null)));

        await _engine.IndexAsync([Docs.Lot("brick-kallio", "Reclaimed red clay bricks")]);
        await _engine.IndexAsync([Docs.Lot("brick-kallio", "Reclaimed red clay bricks", version: 2)]);

        Assert.Equal(["HEAD /listings-test", "PUT /listings-test", "POST /listings-test/_bulk", "POST /listings-test/_bulk"], _sent.Select(s => $"{s.Method} {s.Path}"));
        var create = Json(SentOnce("PUT", $"/{Index}").Body);
        var properties = create["mappings"]!["properties"]!;
        foreach (var field in new[] { "title", "description", "categoryNames", "municipality" })
        {
            Assert.Equal("text", (string?)properties[field]!["type"]);
            Assert.Equal("standard", (string?)properties[field]!["analyzer"]);
            Assert.Equal("english", (string?)properties[field]!["fields"]!["en"]!["analyzer"]);
            Assert.Equal("finnish", (string?)properties[field]!["fields"]!["fi"]!["analyzer"]);
            Assert.Equal("fi_compounds", (string?)properties[field]!["fields"]!["parts"]!["analyzer"]);
        }

        // Compounds split with the same word list as the embedded engine's decompounder.
        var analysis = create["settings"]!["analysis"]!;
        var decompounder = analysis["filter"]!["fi_compounds"]!;
        Assert.Equal("dictionary_decompounder", (string?)decompounder["type"]);
        Assert.Equal(SearchVocabulary.Default.CompoundParts, decompounder["word_list"]!.AsArray().Select(w => (string?)w));
        Assert.Equal(["lowercase", "fi_compounds"], analysis["analyzer"]!["fi_compounds"]!["filter"]!.AsArray().Select(f => (string?)f));

        foreach (var field in new[] { "id", "sellerId", "status", "category", "categoryPath", "condition", "unit", "currency" })
        {
            Assert.Equal("keyword", (string?)properties[field]!["type"]);
        }

        Assert.Equal("geo_point", (string?)properties["location"]!["type"]);
        Assert.Equal("long", (string?)properties["version"]!["type"]);
        Assert.Equal("long", (string?)properties["priceMinor"]!["type"]);
        Assert.Equal("integer", (string?)properties["conditionRank"]!["type"]);
        Assert.Equal("double", (string?)properties["available"]!["type"]);
        foreach (var field in new[] { "availableFrom", "availableTo", "listedAt" })
        {
            Assert.Equal("date", (string?)properties[field]!["type"]);
        }
    }

    [Fact]
    public async Task IndexAsync_Documents_SendsOneBulkOfExternallyVersionedIndexOperations()
    {
        StubBulk(BulkAnswer(("brick-kallio", 201, null), ("crushed-espoo", 201, null)));
        var brick = Docs.Lot("brick-kallio", "Reclaimed red clay bricks", available: 40, version: 3, price: 45);
        var crushed = Docs.Catalogue().Single(d => d.Id == "crushed-espoo");

        await _engine.IndexAsync([brick, crushed]);

        var lines = NdJson(SentOnce("POST", $"/{Index}/_bulk").Body);
        Assert.Equal(4, lines.Count);
        Assert.Equal("brick-kallio", (string?)lines[0]["index"]!["_id"]);
        Assert.Equal(3, (long)lines[0]["index"]!["version"]!);
        Assert.Equal("external", (string?)lines[0]["index"]!["version_type"]);
        Assert.Equal("crushed-espoo", (string?)lines[2]["index"]!["_id"]);
        Assert.Equal(1, (long)lines[2]["index"]!["version"]!);
        Assert.Equal("external", (string?)lines[2]["index"]!["version_type"]);

        var source = lines[1];
        Assert.Equal("brick-kallio", (string?)source["id"]);
        Assert.Equal("active", (string?)source["status"]);
        Assert.Equal(3, (long)source["version"]!);
        Assert.Equal(40m, (decimal)source["available"]!);
        Assert.Equal(45, (long)source["priceMinor"]!);
        Assert.Equal(3, (int)source["conditionRank"]!);
        Assert.Equal(["masonry/bricks", "masonry"], source["categoryPath"]!.AsArray().Select(c => (string?)c));
        Assert.Equal(60.1699, (double)source["location"]!["lat"]!);
        Assert.Equal(24.9384, (double)source["location"]!["lon"]!);
        Assert.Equal("2027-02-19", (string?)source["availableFrom"]);
        Assert.Equal("2027-04-30", (string?)source["availableTo"]);
        Assert.Equal(brick.ListedAt, DateTimeOffset.Parse((string)source["listedAt"]!, CultureInfo.InvariantCulture));
        Assert.Equal(1, (int)lines[3]["conditionRank"]!);
    }

    [Fact]
    public async Task IndexAsync_OlderVersionThanIndexed_ConflictIsNotAnError()
    {
        StubBulk(BulkAnswer(
            ("brick-kallio", 200, null),
            ("tiili-espoo", 409, ("version_conflict_engine_exception", "[tiili-espoo]: version conflict, current version [5] is higher or equal to the one provided [2]"))));

        await _engine.IndexAsync([Docs.Lot("brick-kallio", "Bricks", version: 4), Docs.Lot("tiili-espoo", "Tiili", version: 2)]);

        Assert.Single(_sent, s => s.Path == $"/{Index}/_bulk");
    }

    [Fact]
    public async Task IndexAsync_ItemRejectedForAnotherReason_ThrowsNamingTheLotAndTheReason()
    {
        StubBulk(BulkAnswer(
            ("brick-kallio", 201, null),
            ("tiili-espoo", 400, ("document_parsing_exception", "[1:120] failed to parse field [location] of type [geo_point]"))));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => _engine.IndexAsync([Docs.Lot("brick-kallio", "Bricks"), Docs.Lot("tiili-espoo", "Tiili")]));

        Assert.Contains("tiili-espoo", error.Message);
        Assert.Contains("document_parsing_exception", error.Message);
        Assert.Contains("failed to parse field [location]", error.Message);
        Assert.DoesNotContain("brick-kallio", error.Message);
    }

    [Fact]
    public async Task IndexAsync_ClusterAnswers500_ThrowsWithTheReason()
    {
        Stub(Request.Create().WithPath($"/{Index}/_bulk").UsingAnyMethod(), 500, ErrorAnswer("illegal_state_exception", "index is closing", 500), "application/json");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _engine.IndexAsync([Docs.Lot("brick-kallio", "Bricks")]));

        Assert.Contains("HTTP 500", error.Message);
        Assert.Contains("illegal_state_exception: index is closing", error.Message);
    }

    [Fact]
    public async Task DeleteAsync_Ids_SendsBulkDeletes_AndAcceptsNotFound()
    {
        StubBulk("""
            {"took":3,"errors":false,"items":[
              {"delete":{"_index":"listings-test","_id":"timber-helsinki","_version":2,"result":"deleted","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":5,"_primary_term":1,"status":200}},
              {"delete":{"_index":"listings-test","_id":"gone","_version":1,"result":"not_found","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":6,"_primary_term":1,"status":404}}
            ]}
            """);

        await _engine.DeleteAsync(["timber-helsinki", "gone"]);

        var lines = NdJson(SentOnce("POST", $"/{Index}/_bulk").Body);
        Assert.Equal(["timber-helsinki", "gone"], lines.Select(l => (string?)l["delete"]!["_id"]));
    }

    [Fact]
    public async Task SearchAsync_EveryFilter_SendsOneBoolFilterClauseEach()
    {
        StubSearch(SearchAnswer(total: 0));

        await _engine.SearchAsync(new SearchQuery
        {
            Category = "masonry",
            MinCondition = "B",
            MinPriceMinor = 100,
            MaxPriceMinor = 200,
            MinQuantity = 300,
            AvailableOn = Docs.Today,
            Near = Tikkurila,
            RadiusKm = 30,
            SellerId = "seller-2",
        });

        var query = Json(SentOnce("POST", $"/{Index}/_search").Body)["query"]!["bool"]!;
        Assert.NotNull(Assert.Single(Items(query["must"]))["match_all"]);
        var filters = Items(query["filter"]);
        Assert.Equal(10, filters.Count);
        Assert.Equal("EUR", TermValue(Clause(filters, "term", "currency")));
        Assert.Equal("active", TermValue(Clause(filters, "term", "status")));
        Assert.Equal("masonry", TermValue(Clause(filters, "term", "categoryPath")));
        Assert.Equal("seller-2", TermValue(Clause(filters, "term", "sellerId")));
        Assert.Equal(2, (long)Clause(filters, "range", "conditionRank")["gte"]!);
        Assert.Equal(100, (long)Clause(filters, "range", "priceMinor")["gte"]!);
        Assert.Equal(200, (long)Clause(filters, "range", "priceMinor")["lte"]!);
        Assert.Equal(300, (double)Clause(filters, "range", "available")["gte"]!);
        Assert.Equal("2027-03-01", (string?)Clause(filters, "range", "availableFrom")["lte"]);
        Assert.Null(Clause(filters, "range", "availableFrom")["gte"]);
        Assert.Equal("2027-03-01", (string?)Clause(filters, "range", "availableTo")["gte"]);
        var geo = Assert.Single(filters, f => f["geo_distance"] is not null)["geo_distance"]!;
        Assert.Equal("30km", (string?)geo["distance"]);
        Assert.Equal(60.2934, (double)geo["location"]!["lat"]!);
        Assert.Equal(25.0378, (double)geo["location"]!["lon"]!);
    }

    [Fact]
    public async Task SearchAsync_NoFilters_StillFiltersToActiveLots()
    {
        StubSearch(SearchAnswer(total: 0));

        await _engine.SearchAsync(new SearchQuery());

        var filters = Items(Json(SentOnce("POST", $"/{Index}/_search").Body)["query"]!["bool"]!["filter"]);
        Assert.Equal("active", TermValue(Clause(filters, "term", "status")));
        Assert.Single(filters);
    }

    [Fact]
    public async Task SearchAsync_Text_SendsMultiMatchOverEveryTextFieldAndHighlightsTitleAndDescription()
    {
        StubSearch(SearchAnswer(total: 0));

        await _engine.SearchAsync(new SearchQuery { Text = "  tiilet  " });

        var body = Json(SentOnce("POST", $"/{Index}/_search").Body);
        var match = Assert.Single(Items(body["query"]!["bool"]!["must"]))["multi_match"]!;
        Assert.Equal("tiilet", (string?)match["query"]);
        var fields = match["fields"]!.AsArray().Select(f => (string?)f).ToHashSet();
        foreach (var field in new[] { "title^3", "categoryNames^2", "description", "municipality" })
        {
            var name = field.Split('^')[0];
            var boost = field.Contains('^') ? field[field.IndexOf('^')..] : "";
            Assert.Contains(field, fields);
            Assert.Contains($"{name}.en{boost}", fields);
            Assert.Contains($"{name}.fi{boost}", fields);
        }

        foreach (var field in new[] { "title.parts", "categoryNames.parts", "description.parts^0.5" })
        {
            Assert.Contains(field, fields);
        }

        Assert.Equal(15, fields.Count);
        var highlight = body["highlight"]!;
        Assert.Equal(["<em>"], highlight["pre_tags"]!.AsArray().Select(t => (string?)t));
        Assert.Equal(["</em>"], highlight["post_tags"]!.AsArray().Select(t => (string?)t));
        var highlighted = HighlightFieldNames(highlight["fields"]!);
        Assert.Contains("title", highlighted);
        Assert.Contains("description", highlighted);
    }

    [Fact]
    public async Task SearchAsync_UserTextWithQuerySyntax_IsSentAsPlainMultiMatchText()
    {
        StubSearch(SearchAnswer(total: 0));
        const string text = "OSB/3 \"AND (";

        var result = await _engine.SearchAsync(new SearchQuery { Text = text });

        var sent = SentOnce("POST", $"/{Index}/_search").Body;
        Assert.Equal(text, (string?)Assert.Single(Items(Json(sent)["query"]!["bool"]!["must"]))["multi_match"]!["query"]);
        Assert.DoesNotContain("query_string", sent);
        Assert.Empty(result.Hits);
    }

    [Fact]
    public async Task SearchAsync_Always_AsksForFacetsExactTotalAndOneHitMoreThanTheLimit()
    {
        StubSearch(SearchAnswer(total: 0));

        await _engine.SearchAsync(new SearchQuery { Limit = 7 });

        var sent = SentOnce("POST", $"/{Index}/_search");
        var body = Json(sent.Body);
        Assert.Equal(8, (int)body["size"]!);
        Assert.True((bool)body["track_total_hits"]!);
        foreach (var (name, field) in new[] { ("category", "categoryPath"), ("condition", "condition"), ("unit", "unit") })
        {
            Assert.Equal(field, (string?)body["aggregations"]![name]!["terms"]!["field"]);
            Assert.Equal(500, (int)body["aggregations"]![name]!["terms"]!["size"]!);
        }

        Assert.Contains("typed_keys=true", sent.Query);
    }

    [Fact]
    public async Task SearchAsync_Answer_BecomesHitsFacetsHighlightsTotalAndNextCursor()
    {
        StubSearch(SearchAnswer(
            total: 7,
            hits:
            [
                Hit("brick-kallio", 60.1699, 24.9384, score: 2.5, sort: "2.5", highlight: """
                    "title":["Reclaimed red clay <em>bricks</em>"],
                    "title.en":["Reclaimed red clay <em>bricks</em>"],
                    "description":["Old facade <em>bricks</em> from Kallio, cleaned, on pallets."],
                    "description.en":["Old facade <em>bricks</em> from Kallio, cleaned, on <em>pallets</em>."]
                    """),
                Hit("tiili-espoo", 60.2055, 24.6559, score: 1.25, sort: "1.25"),
                Hit("blocks-vantaa", 60.2934, 25.0378, score: 1.0, sort: "1.0"),
            ]));

        var query = new SearchQuery { Text = "bricks", Near = Tikkurila, Limit = 2 };
        var result = await _engine.SearchAsync(query);

        Assert.Equal(["brick-kallio", "tiili-espoo"], result.Hits.Select(h => h.Id));
        Assert.Equal(7, result.Total);
        var brick = result.Hits[0];
        Assert.Equal("seller-1", brick.SellerId);
        Assert.Equal("Lot brick-kallio", brick.Title);
        Assert.Equal("masonry/bricks", brick.Category);
        Assert.Equal("B", brick.Condition);
        Assert.Equal("m2", brick.Unit);
        Assert.Equal(12.5m, brick.Available);
        Assert.Equal(4500, brick.PriceMinor);
        Assert.Equal("EUR", brick.Currency);
        Assert.Equal("Helsinki", brick.Municipality);
        Assert.Equal((60.1699, 24.9384), (brick.Latitude, brick.Longitude));
        Assert.Equal(new DateOnly(2027, 2, 19), brick.AvailableFrom);
        Assert.Equal(new DateOnly(2027, 4, 30), brick.AvailableTo);
        Assert.Equal(2.5, brick.Score);
        Assert.Equal(Tikkurila.DistanceKm(new GeoPoint(60.1699, 24.9384)), brick.DistanceKm!.Value, 3);
        Assert.Equal(["Reclaimed red clay <em>bricks</em>", "Old facade <em>bricks</em> from Kallio, cleaned, on <em>pallets</em>."], brick.Highlights);
        Assert.Empty(result.Hits[1].Highlights);

        Assert.Equal([new FacetValue("masonry", 3), new FacetValue("masonry/bricks", 2), new FacetValue("concrete", 2)], result.Facets["category"]);
        Assert.Equal([new FacetValue("A", 4), new FacetValue("B", 2)], result.Facets["condition"]);
        Assert.Equal([new FacetValue("pcs", 4), new FacetValue("t", 1)], result.Facets["unit"]);

        Assert.Equal(new SearchCursor(SearchSort.Relevance, 1.25, "tiili-espoo"), SearchCursor.Decode(query with { Cursor = result.NextCursor }));
        Assert.Equal("cursor", Assert.Throws<SearchQueryException>(() => SearchCursor.Decode(query with { Text = "tiili", Cursor = result.NextCursor })).Field);
    }

    [Fact]
    public async Task SearchAsync_NoMoreHitsThanTheLimit_HasNoNextCursor()
    {
        StubSearch(SearchAnswer(total: 2, hits: [Hit("brick-kallio", 60.1699, 24.9384, sort: "4500"), Hit("tiili-espoo", 60.2055, 24.6559, sort: "4600")]));

        var result = await _engine.SearchAsync(new SearchQuery { Sort = SearchSort.Price, Limit = 2 });

        Assert.Equal(2, result.Hits.Count);
        Assert.Null(result.NextCursor);
        Assert.All(result.Hits, h => Assert.Null(h.DistanceKm));
    }

    [Fact]
    public async Task SearchAsync_DistanceSortWithCursor_SendsGeoSortAndSearchAfter_AndTakesDistanceFromTheSortValue()
    {
        StubSearch(SearchAnswer(total: 3, hits: [Hit("slabs-vantaa", 60.3172, 24.9633, sort: "4.8123456")]));
        var query = new SearchQuery { Near = Tikkurila, Sort = SearchSort.Distance, Limit = 1 };
        var cursor = new SearchCursor(SearchSort.Distance, 1.5, "blocks-vantaa").Encode(query);

        var result = await _engine.SearchAsync(query with { Cursor = cursor });

        var body = Json(SentOnce("POST", $"/{Index}/_search").Body);
        var sort = Items(body["sort"]);
        Assert.Equal(2, sort.Count);
        var geo = sort[0]["_geo_distance"]!;
        Assert.Equal("asc", (string?)geo["order"]);
        Assert.Equal("km", (string?)geo["unit"]);
        var centre = geo["location"] is JsonArray points ? points.Single()! : geo["location"]!;
        Assert.Equal(60.2934, (double)centre["lat"]!);
        Assert.Equal(25.0378, (double)centre["lon"]!);
        Assert.Equal("asc", SortOrder(sort[1], "id"));
        var after = body["search_after"]!.AsArray();
        Assert.Equal(1.5, (double)after[0]!);
        Assert.Equal("blocks-vantaa", (string?)after[1]);
        Assert.Equal(4.812, result.Hits.Single().DistanceKm);
    }

    [Theory]
    [InlineData(SearchSort.Relevance, "bricks", "_score", "desc", "2.5", 2.5)]
    [InlineData(SearchSort.Relevance, null, "listedAt", "desc", "1803902400000", 1803902400000.0)]
    [InlineData(SearchSort.Newest, "bricks", "listedAt", "desc", "1803902400000", 1803902400000.0)]
    [InlineData(SearchSort.Price, null, "priceMinor", "asc", "4500", 4500.0)]
    public async Task SearchAsync_EachSort_EndsOnIdTieBreaker_AndResumesAfterTheCursor(SearchSort order, string? text, string field, string direction, string searchAfter, double key)
    {
        StubSearch(SearchAnswer(total: 0));
        var query = new SearchQuery { Text = text, Sort = order };
        var cursor = new SearchCursor(order, key, "m-42").Encode(query);

        await _engine.SearchAsync(query with { Cursor = cursor });

        var body = Json(SentOnce("POST", $"/{Index}/_search").Body);
        var sort = Items(body["sort"]);
        Assert.Equal(2, sort.Count);
        Assert.Equal(direction, SortOrder(sort[0], field));
        Assert.Equal("asc", SortOrder(sort[1], "id"));
        Assert.Equal($"[{searchAfter},\"m-42\"]", body["search_after"]!.ToJsonString());
        Assert.Equal(text is not null, (bool?)body["track_scores"] ?? false);
    }

    [Theory]
    [InlineData(0, false, null, SearchSort.Relevance, "limit")]
    [InlineData(101, false, null, SearchSort.Relevance, "limit")]
    [InlineData(20, false, 30.0, SearchSort.Relevance, "near")]
    [InlineData(20, false, null, SearchSort.Distance, "sort")]
    [InlineData(20, true, -1.0, SearchSort.Relevance, "radiusKm")]
    public async Task SearchAsync_QueryItCannotRun_ThrowsSearchQueryException_WithoutAskingTheCluster(int limit, bool near, double? radius, SearchSort order, string field)
    {
        var error = await Assert.ThrowsAsync<SearchQueryException>(
            () => _engine.SearchAsync(new SearchQuery { Limit = limit, Near = near ? Tikkurila : null, RadiusKm = radius, Sort = order }));

        Assert.Equal(field, error.Field);
        Assert.Empty(_sent);
    }

    [Fact]
    public async Task SearchAsync_CursorForAnotherSort_ThrowsSearchQueryException()
    {
        var cursor = new SearchCursor(SearchSort.Price, 4500, "m-42").Encode(new SearchQuery { Sort = SearchSort.Price });

        var error = await Assert.ThrowsAsync<SearchQueryException>(() => _engine.SearchAsync(new SearchQuery { Sort = SearchSort.Newest, Cursor = cursor }));

        Assert.Equal("cursor", error.Field);
    }

    [Fact]
    public async Task SearchAsync_ClusterAnswersWithAnError_ThrowsWithTheReason()
    {
        Stub(Request.Create().WithPath($"/{Index}/_search").UsingAnyMethod(), 500,
            ErrorAnswer("search_phase_execution_exception", "all shards failed", 500, root: ("circuit_breaking_exception", "[parent] Data too large")));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _engine.SearchAsync(new SearchQuery { Text = "bricks" }));

        Assert.Contains("searching index 'listings-test'", error.Message);
        Assert.Contains("HTTP 500", error.Message);
        Assert.Contains("search_phase_execution_exception: all shards failed", error.Message);
        Assert.Contains("[parent] Data too large", error.Message);
    }

    [Fact]
    public async Task VersionsAsync_MoreThanOnePage_PagesWithSearchAfterOnTheId()
    {
        await using var engine = new ElasticsearchSearchEngine(new ElasticsearchOptions { Url = _server.Url!, IndexName = Index }) { VersionsPageSize = 2 };
        Stub(Request.Create().WithPath($"/{Index}/_search").UsingAnyMethod().WithBody((string? body) => body is not null && !body.Contains("search_after", StringComparison.Ordinal)),
            200, SearchAnswer(total: 3, hits: [VersionHit("a", 3), VersionHit("b", 1)]));
        Stub(Request.Create().WithPath($"/{Index}/_search").UsingAnyMethod().WithBody((string? body) => body is not null && body.Contains("search_after", StringComparison.Ordinal)),
            200, SearchAnswer(total: 3, hits: [VersionHit("c", 7)]));

        var versions = await engine.VersionsAsync();

        Assert.Equal(new Dictionary<string, long> { ["a"] = 3, ["b"] = 1, ["c"] = 7 }, versions);
        var pages = _sent.Where(s => s.Path == $"/{Index}/_search").Select(s => Json(s.Body)).ToList();
        Assert.Equal(2, pages.Count);
        Assert.Null(pages[0]["search_after"]);
        Assert.Equal("""["b"]""", pages[1]["search_after"]!.ToJsonString());
        Assert.All(pages, page =>
        {
            Assert.Equal(2, (int)page["size"]!);
            Assert.Equal("asc", SortOrder(Assert.Single(Items(page["sort"])), "id"));
            Assert.Equal(["id", "version"], page["_source"]!["includes"]!.AsArray().Select(f => (string?)f));
            Assert.Null(page["query"]!["bool"]);
        });
    }

    [Fact]
    public async Task CommitAsync_Always_RefreshesTheIndex()
    {
        await _engine.CommitAsync();

        Assert.Equal("POST", SentOnce(null, $"/{Index}/_refresh").Method);
    }

    [Fact]
    public async Task ClearAsync_Always_DeletesTheIndex_AndTheNextUseCreatesItAgain()
    {
        StubBulk(BulkAnswer(("brick-kallio", 201, null)));
        await _engine.IndexAsync([Docs.Lot("brick-kallio", "Bricks")]);

        await _engine.ClearAsync();
        await _engine.IndexAsync([Docs.Lot("brick-kallio", "Bricks")]);

        Assert.Equal(
            ["HEAD /listings-test", "PUT /listings-test", "POST /listings-test/_bulk", "DELETE /listings-test", "HEAD /listings-test", "PUT /listings-test", "POST /listings-test/_bulk"],
            _sent.Select(s => $"{s.Method} {s.Path}"));
    }

    [Theory]
    [InlineData("localhost:9200", "marketplace-listings", null, "Url")]
    [InlineData("http://localhost:9200", "Listings", null, "IndexName")]
    [InlineData("http://localhost:9200", "marketplace-listings", "elastic", "Password")]
    public void Constructor_OptionsItCannotUse_ThrowsNamingTheOption(string url, string index, string? user, string option)
    {
        var error = Assert.Throws<ArgumentException>(() => new ElasticsearchSearchEngine(new ElasticsearchOptions { Url = url, IndexName = index, Username = user }));

        Assert.Contains(option, error.Message);
    }

    // Elasticsearch answers in the media type asked for: the client asks for the versioned one, except on _bulk (plain JSON).
    private void Stub(IRequestBuilder request, int status, string body, string contentType = "application/vnd.elasticsearch+json;compatible-with=9")
        => _server.Given(request).RespondWith(Response.Create()
            .WithStatusCode(status)
            .WithHeader("x-elastic-product", "Elasticsearch")
            .WithHeader("Content-Type", contentType)
            .WithBody(message =>
            {
                // Recorded while answering, so a request is in the list before the engine sees the answer.
                _sent.Enqueue(new Sent(message.Method, message.Path, message.RawQuery ?? "", message.Body ?? ""));
                return body;
            }));

    private void StubBulk(string answer) => Stub(Request.Create().WithPath($"/{Index}/_bulk").UsingAnyMethod(), 200, answer, "application/json");

    private void StubSearch(string answer) => Stub(Request.Create().WithPath($"/{Index}/_search").UsingAnyMethod(), 200, answer);

    private Sent SentOnce(string? method, string path) => Assert.Single(_sent, s => s.Path == path && (method is null || s.Method == method));

    private static JsonNode Json(string body) => JsonNode.Parse(body) ?? throw new InvalidOperationException("empty body");

    private static List<JsonNode> NdJson(string body)
        => body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Json).ToList();

    // Elasticsearch takes a single clause or sort in place of a list of one, and the client sends it that way.
    private static List<JsonNode> Items(JsonNode? node) => node switch
    {
        null => [],
        JsonArray list => list.Select(item => item!).ToList(),
        _ => [node],
    };

    private static JsonNode Clause(List<JsonNode> filters, string kind, string field)
        => Assert.Single(filters, f => f[kind]?[field] is not null)[kind]![field]!;

    // A term query may be sent in its short form ("field": "value") or its long one ("field": {"value": ...}).
    private static string? TermValue(JsonNode term) => term is JsonObject o ? (string?)o["value"] : (string?)term;

    private static string? SortOrder(JsonNode sort, string field)
        => sort[field] is JsonObject o ? (string?)o["order"] : (string?)sort[field];

    private static HashSet<string> HighlightFieldNames(JsonNode fields) => fields is JsonArray list
        ? list.SelectMany(f => f!.AsObject().Select(p => p.Key)).ToHashSet()
        : fields.AsObject().Select(p => p.Key).ToHashSet();

    private static string BulkAnswer(params (string Id, int Status, (string Type, string Reason)? Error)[] items)
    {
        var answers = items.Select(item => item.Error is { } error
            ? $$$"""{"index":{"_index":"{{{Index}}}","_id":"{{{item.Id}}}","status":{{{item.Status}}},"error":{"type":"{{{error.Type}}}","reason":"{{{error.Reason}}}","index_uuid":"aAsFqTI0Tc2W0LCWgPNrOA","shard":"0","index":"{{{Index}}}"}}""" + "}"
            : $$$"""{"index":{"_index":"{{{Index}}}","_id":"{{{item.Id}}}","_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":{{{item.Status}}}}}""");
        var errors = items.Any(i => i.Error is not null) ? "true" : "false";
        return $$"""{"took":30,"errors":{{errors}},"items":[{{string.Join(",", answers)}}]}""";
    }

    private static string ErrorAnswer(string type, string reason, int status, (string Type, string Reason)? root = null)
    {
        var (rootType, rootReason) = root ?? (type, reason);
        return $$"""{"error":{"root_cause":[{"type":"{{rootType}}","reason":"{{rootReason}}"}],"type":"{{type}}","reason":"{{reason}}"},"status":{{status}}}""";
    }

    private static string Hit(string id, double lat, double lon, string sort, double? score = null, string? highlight = null)
    {
        var source = $$"""
            {"id":"{{id}}","sellerId":"seller-1","title":"Lot {{id}}","category":"masonry/bricks","condition":"B","unit":"m2","available":12.5,
             "priceMinor":4500,"currency":"EUR","municipality":"Helsinki","location":{"lat":{{Number(lat)}},"lon":{{Number(lon)}}},
             "availableFrom":"2027-02-19","availableTo":"2027-04-30"}
            """;
        var scoreJson = score is { } s ? Number(s) : "null";
        var highlightJson = highlight is null ? "" : $$""","highlight":{{{highlight}}}""";
        return $$"""{"_index":"{{Index}}","_id":"{{id}}","_score":{{scoreJson}},"_source":{{source}},"sort":[{{sort}},"{{id}}"]{{highlightJson}}}""";
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string VersionHit(string id, long version)
        => $$"""{"_index":"{{Index}}","_id":"{{id}}","_score":null,"_source":{"id":"{{id}}","version":{{version}}},"sort":["{{id}}"]}""";

    private static string SearchAnswer(long total, string[]? hits = null) => $$"""
        {
          "took": 5,
          "timed_out": false,
          "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
          "hits": {"total": {"value": {{total}}, "relation": "eq"}, "max_score": null, "hits": [{{string.Join(",", hits ?? [])}}]},
          "aggregations": {
            "sterms#category": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
              "buckets": [{"key": "masonry", "doc_count": 3}, {"key": "masonry/bricks", "doc_count": 2}, {"key": "concrete", "doc_count": 2}]},
            "sterms#condition": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
              "buckets": [{"key": "A", "doc_count": 4}, {"key": "B", "doc_count": 2}]},
            "sterms#unit": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
              "buckets": [{"key": "pcs", "doc_count": 4}, {"key": "t", "doc_count": 1}]}
          }
        }
        """;

    private sealed record Sent(string Method, string Path, string Query, string Body);
}
