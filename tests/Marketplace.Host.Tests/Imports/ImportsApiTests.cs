using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Marketplace.Domain.Imports;
using Marketplace.Host.Tests.Exports;
using Marketplace.Testing;
using Xunit.Abstractions;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Imports;

[Collection(ApiCollection.Name)]
public class ImportsApiTests(ServerFixture fixture, ITestOutputHelper output)
{
    /// <summary>
    /// Rows in the large file. The issue asks for 50,000; through the shared test host (memory storage, the whole suite on
    /// two cores) 10,000 rows took 68 s for the three uploads, over the suite's budget, so the suite runs 5,000 and the
    /// 50,000-row case runs in the benchmark (<c>import-harness</c>) against SQLite.
    /// </summary>
    private const int LargeRows = 5_000;

    private static readonly TimeSpan JobDeadline = TimeSpan.FromMinutes(3);

    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task Import_LargeFileWithBadRows_ReportsExactlyThose_AppliesTheRest_ReuploadChangesNothing_EditsUpdateExactlyThose()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var place = RandomPlace();
        using var sellerClient = Server.Client(seller);
        using var buyerClient = Server.Client(buyer);

        // A demand for steel beams near the lots: every 50th row is a beam, so the matcher has work to show.
        var demand = new JsonObject
        {
            ["category"] = "metals/steel/beams", ["quantity"] = 5, ["unit"] = "pcs", ["minPart"] = 1, ["minCondition"] = "C",
            ["maxUnitPrice"] = new JsonObject { ["minorUnits"] = 100_000, ["currency"] = "EUR" },
            ["location"] = new JsonObject { ["latitude"] = place.Latitude, ["longitude"] = place.Longitude }, ["radiusKm"] = 30,
            ["window"] = new JsonObject { ["from"] = Day(2), ["to"] = Day(40) },
        };
        await DemandAsync(Server, buyer, demand);

        var file = SurplusFile.Create(LargeRows, place);
        Assert.Equal(LargeRows * 3 / 100, file.Bad.Count);
        var watch = Stopwatch.StartNew();
        var first = await ImportAsync(sellerClient, file.Csv);
        output.WriteLine($"{LargeRows:N0} rows imported in {watch.Elapsed.TotalSeconds:N1} s");
        Assert.Equal("completed", first["status"]!.GetValue<string>());
        Assert.Equal(LargeRows, first["processed"]!.GetValue<int>());
        Assert.Equal(file.Good.Count, first["created"]!.GetValue<int>());
        Assert.Equal(file.Bad.Count, first["rejected"]!.GetValue<int>());

        // The report names exactly the bad rows, each by its line and the field that is wrong.
        var report = await ReportAsync(sellerClient, first["id"]!.GetValue<string>());
        Assert.Equal(file.Bad.OrderBy(b => b.Line).Select(b => $"{b.Line}:{b.ExternalId}:{b.Field}"), report.Select(r => $"{r[0]}:{r[1]}:{r[2]}"));

        // Every good row is an active lot the search finds, and the beams among them are proposed to the demand.
        Assert.True(await Eventually.TrueAsync(async () => await SearchTotalAsync(seller) == file.Good.Count, TimeSpan.FromSeconds(60)),
            $"the search finds {await SearchTotalAsync(seller)} of the firm's lots, not {file.Good.Count}");
        var beams = file.Good.Where(g => g.Category == "beams").Select(g => LotRowReader.LotIdFor(seller, g.ExternalId)).ToHashSet();
        Assert.NotEmpty(beams);
        var proposed = new HashSet<string>();
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            proposed = await ProposedLotsAsync(buyerClient);
            return beams.IsSubsetOf(proposed);
        }, TimeSpan.FromSeconds(60)), $"{beams.Except(proposed).Count()} of {beams.Count} imported beams were not proposed");
        Assert.DoesNotContain(file.Bad, b => proposed.Contains(LotRowReader.LotIdFor(seller, b.ExternalId)));

        var sample = LotRowReader.LotIdFor(seller, file.Good[17].ExternalId);
        var before = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{sample}"), HttpStatusCode.OK);

        // The same file again changes nothing.
        var again = await ImportAsync(sellerClient, file.Csv);
        Assert.Equal((0, 0, file.Good.Count, file.Bad.Count), Counts(again));
        var after = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{sample}"), HttpStatusCode.OK);
        Assert.Equal(before["version"]!.GetValue<long>(), after["version"]!.GetValue<long>());

        // A file with 100 rows edited updates exactly those.
        var edited = file.Good.Where((_, i) => i % (file.Good.Count / 100) == 0).Take(100).Select(g => g.ExternalId).ToHashSet();
        var third = await ImportAsync(sellerClient, SurplusFile.Create(LargeRows, place, edited).Csv);
        Assert.Equal((0, 100, file.Good.Count - 100, file.Bad.Count), Counts(third));
        var changed = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{LotRowReader.LotIdFor(seller, edited.First())}"), HttpStatusCode.OK);
        Assert.EndsWith("(edited)", changed["title"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_ExportedLots_ReimportUnchanged_AndJsonLinesWithMapping_Updates()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var lots = new[] { await ActiveLotAsync(Server, seller), await ActiveLotAsync(Server, seller) };

        // The lot export, as downloaded, imports back as it is: its rows name the lots by id.
        var export = await (await client.GetAsync($"/api/v1/traders/{seller}/exports/lots?format=csv")).Content.ReadAsStringAsync();
        var back = await ImportAsync(client, export);
        Assert.Equal((0, 0, 2, 0), Counts(back));

        // JSON Lines with the firm's own column names, a Finnish category name, a unit name and a decimal comma in a string.
        var jsonl = string.Join('\n',
            new JsonObject
            {
                ["tunnus"] = lots[0], ["nimi"] = "Punatiilet (edited)", ["category"] = "Tiilet", ["quantity"] = "1000", ["yksikkö"] = "kpl",
                ["condition"] = "A", ["unitPrice"] = "0,45", ["location"] = new JsonObject { ["latitude"] = 60.1841, ["longitude"] = 24.9501, ["municipality"] = "Helsinki", ["address"] = "Hämeentie 10" },
                ["availableFrom"] = Day(-1), ["availableTo"] = Day(60),
            }.ToJsonString(),
            new JsonObject { ["tunnus"] = "no-such-lot", ["nimi"] = "x" }.ToJsonString());
        using var content = new StringContent(jsonl, Encoding.UTF8, "application/x-ndjson");
        var job = await FinishedAsync(client, await ReadAsync(await client.PostAsync("/api/v1/imports?map.id=tunnus&map.title=nimi&map.unit=yksikk%C3%B6", content), HttpStatusCode.Accepted));
        Assert.Equal((0, 1, 0, 1), Counts(job));
        var lot = await ReadAsync(await client.GetAsync($"/api/v1/listings/{lots[0]}"), HttpStatusCode.OK);
        Assert.Equal("Punatiilet (edited)", lot["title"]!.GetValue<string>());
        Assert.Equal("masonry/bricks", lot["category"]!.GetValue<string>());
        Assert.Equal(45, lot["unitPrice"]!["minorUnits"]!.GetValue<long>());
        Assert.Equal(2, job["errors"]![0]!["line"]!.GetValue<int>());
    }

    [Fact]
    public async Task Import_ARoundTripThroughTheExport_ChangesNothing_AndADraftStaysADraft()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        const string header = "externalId;title;category;quantity;unit;condition;unitPrice;latitude;longitude;municipality;availableFrom;availableTo\n";
        var drafts = header + $"D-1;Luonnostiilet;Tiilet;1 200;kpl;B;0,45;60,1841;24,9501;Helsinki;{Day(0)};{Day(60)}\n"
                            + $"D-2;Luonnospalkit;Teräspalkit;12;kpl;A;120;60,2;24,9;Helsinki;{Day(0)};{Day(60)}\n";
        var published = header + $"P-1;Myyntitiilet;Tiilet;500;kpl;A;0,5;60,1841;24,9501;Helsinki;{Day(0)};{Day(60)}\n";
        Assert.Equal((2, 0, 0, 0), Counts(await ImportAsync(client, drafts, publish: false)));
        Assert.Equal((1, 0, 0, 0), Counts(await ImportAsync(client, published)));

        // The export imports back as it is: nothing rewritten, and the drafts are not published by it.
        var export = await (await client.GetAsync($"/api/v1/traders/{seller}/exports/lots?format=csv")).Content.ReadAsStringAsync();
        Assert.Equal((0, 0, 3, 0), Counts(await ImportAsync(client, export)));
        var statuses = ExportsApiTests.ParseCsv(await (await client.GetAsync($"/api/v1/traders/{seller}/exports/lots?format=csv")).Content.ReadAsStringAsync());
        Assert.Equal(["active", "draft", "draft"], statuses.Skip(1).Select(r => r[1]).Order(StringComparer.Ordinal));

        // And the original files again, after the round trip: still nothing to change.
        Assert.Equal((0, 0, 2, 0), Counts(await ImportAsync(client, drafts, publish: false)));
        Assert.Equal((0, 0, 1, 0), Counts(await ImportAsync(client, published)));
    }

    [Fact]
    public async Task Import_Progress_IsOnTheFirmsMatchStream_UntilTheJobEnds()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        using var stream = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/matches/stream"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var lines = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.Equal(": subscribed", await lines.ReadLineAsync());

        var file = SurplusFile.Create(40, (60.1841, 24.9501));
        using var content = new StringContent(file.Csv, Encoding.UTF8, "text/csv");
        var id = (await ReadAsync(await client.PostAsync("/api/v1/imports?name=surplus.csv", content), HttpStatusCode.Accepted))["id"]!.GetValue<string>();

        // Read import events until the job's last: the running ones before it, then the end with the final counts.
        using var deadline = new CancellationTokenSource(JobDeadline);
        var seen = new List<JsonObject>();
        string? name = null;
        while (seen.LastOrDefault()?["status"]?.GetValue<string>() is null or "running")
        {
            var line = await lines.ReadLineAsync(deadline.Token) ?? throw new Xunit.Sdk.XunitException("The stream ended before the import did.");
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && name == "import")
            {
                seen.Add(JsonNode.Parse(line[6..])!.AsObject());
            }
        }

        Assert.All(seen, e => Assert.Equal(id, e["id"]!.GetValue<string>()));
        Assert.Equal("running", seen[0]["status"]!.GetValue<string>());
        var end = seen[^1];
        Assert.Equal("completed", end["status"]!.GetValue<string>());
        Assert.Equal((40, 40, 100), (end["rows"]!.GetValue<int>(), end["processed"]!.GetValue<int>(), end["percent"]!.GetValue<int>()));
        Assert.Equal((file.Good.Count, file.Bad.Count), (end["created"]!.GetValue<int>(), end["rejected"]!.GetValue<int>()));
        Assert.Equal($"/api/v1/imports/{id}", end["href"]!.GetValue<string>());
    }

    [Fact]
    public async Task Import_OverOneMebibyte_WithAnIdempotencyKey_IsTakenOnce()
    {
        // The idempotency middleware reads the body before the endpoint does: it once held it to the API's 1 MiB.
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var csv = SurplusFile.Create(130, RandomPlace()).Csv.Replace("\"Lavoilla; ", "\"Lavoilla; " + new string('x', 9_000), StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(csv) > 1024 * 1024, "the file is over 1 MiB");
        var key = Guid.NewGuid().ToString();

        var first = await ImportAsync(client, csv, idempotencyKey: key);
        var again = await ImportAsync(client, csv, idempotencyKey: key);

        Assert.Equal(first["id"]!.GetValue<string>(), again["id"]!.GetValue<string>());
        Assert.Equal("completed", first["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Import_OnePerFirmAndAtMostMaxConcurrentPerHost_TheRestAreToldToWait()
    {
        await using var server = await MarketplaceServer.StartAsync(new() { ["Imports:MaxConcurrent"] = "1" });
        var first = await RegisterFirmAsync(server, "seller");
        var second = await RegisterFirmAsync(server, "seller");
        using var firstClient = server.Client(first);
        using var secondClient = server.Client(second);
        var place = RandomPlace();
        using var large = new StringContent(SurplusFile.Create(10_000, place).Csv, Encoding.UTF8, "text/csv");
        var running = await ReadAsync(await firstClient.PostAsync("/api/v1/imports", large), HttpStatusCode.Accepted);
        var small = SurplusFile.Create(3, place).Csv;

        // While it runs: the same firm is told it has one running, another firm that the host is busy (and when to retry).
        await ProblemAsync(await firstClient.PostAsync("/api/v1/imports", new StringContent(small, Encoding.UTF8, "text/csv")), HttpStatusCode.Conflict, "import-running");
        var busy = await secondClient.PostAsync("/api/v1/imports", new StringContent(small, Encoding.UTF8, "text/csv"));
        await ProblemAsync(busy, HttpStatusCode.ServiceUnavailable, "imports-busy");
        Assert.NotNull(busy.Headers.RetryAfter);
        Assert.Equal("running", (await ReadAsync(await firstClient.GetAsync($"/api/v1/imports/{running["id"]}"), HttpStatusCode.OK))["status"]!.GetValue<string>());

        // Once it ends (cancelled here), the place is free.
        await ReadAsync(await firstClient.DeleteAsync($"/api/v1/imports/{running["id"]}"), HttpStatusCode.OK);
        await FinishedAsync(firstClient, running);
        var accepted = await Eventually.ValueAsync(
            async () => await secondClient.PostAsync("/api/v1/imports", new StringContent(small, Encoding.UTF8, "text/csv")),
            r => r.StatusCode != HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30));
        Assert.Equal("completed", (await FinishedAsync(secondClient, await ReadAsync(accepted, HttpStatusCode.Accepted)))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Import_RefusedFiles_AreProblems()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);

        using (var json = new StringContent("{}", Encoding.UTF8, "application/json"))
        {
            var problem = await ProblemAsync(await client.PostAsync("/api/v1/imports", json), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
            Assert.Contains("text/csv", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // A value of ?publish that is not true or false is named, not "the request could not be read".
        using (var maybe = new StringContent("externalId;title\n1;x\n", Encoding.UTF8, "text/csv"))
        {
            var problem = await ProblemAsync(await client.PostAsync("/api/v1/imports?publish=maybe", maybe), HttpStatusCode.BadRequest, "bad-request");
            Assert.Contains("publish", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // The job keeps its name: bounded like any text a firm stores (probe 14 stored 7,900 characters per job).
        using (var named = new StringContent("externalId;title\n1;x\n", Encoding.UTF8, "text/csv"))
        {
            await ProblemAsync(await client.PostAsync("/api/v1/imports?name=" + new string('n', 201), named), HttpStatusCode.UnprocessableEntity, "validation-failed", "name");
        }

        using (var empty = new StringContent("", Encoding.UTF8, "text/csv"))
        {
            await ProblemAsync(await client.PostAsync("/api/v1/imports", empty), HttpStatusCode.UnprocessableEntity, "import-empty");
        }

        using (var unmapped = new StringContent("externalId;title\n1;x\n", Encoding.UTF8, "text/csv"))
        {
            await ProblemAsync(await client.PostAsync("/api/v1/imports?map.title=Nimike", unmapped), HttpStatusCode.UnprocessableEntity, "invalid-mapping", "map.title");
        }

        using (var tooMany = new StringContent("externalId\n" + string.Concat(Enumerable.Repeat("1\n", 100_001)), Encoding.UTF8, "text/csv"))
        {
            await ProblemAsync(await client.PostAsync("/api/v1/imports", tooMany), HttpStatusCode.UnprocessableEntity, "import-too-many-rows");
        }

        using (var latin1 = new ByteArrayContent([.. "externalId;title\n1;"u8, 0xE4, (byte)'\n']))
        {
            latin1.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
            await ProblemAsync(await client.PostAsync("/api/v1/imports", latin1), HttpStatusCode.UnprocessableEntity, "invalid-encoding");
        }

        // UTF-16 without a byte-order mark is valid UTF-8 with NULs between the letters: refused for its encoding too.
        using (var utf16 = new ByteArrayContent(Encoding.Unicode.GetBytes("externalId;title\n1;x\n")))
        {
            utf16.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
            await ProblemAsync(await client.PostAsync("/api/v1/imports", utf16), HttpStatusCode.UnprocessableEntity, "invalid-encoding");
        }

        // Another firm never sees the job.
        using var csv = new StringContent("externalId;title\n1;x\n", Encoding.UTF8, "text/csv");
        var job = await ReadAsync(await client.PostAsync("/api/v1/imports", csv), HttpStatusCode.Accepted);
        using var other = Server.Client(await RegisterFirmAsync(Server, "seller"));
        await ProblemAsync(await other.GetAsync($"/api/v1/imports/{job["id"]}"), HttpStatusCode.NotFound, "import-not-found");
        await ProblemAsync(await other.GetAsync($"/api/v1/imports/{job["id"]}/report"), HttpStatusCode.NotFound, "import-not-found");
        await ProblemAsync(await other.DeleteAsync($"/api/v1/imports/{job["id"]}"), HttpStatusCode.NotFound, "import-not-found");
    }

    private static string Day(int offset) => DateOnly.FromDateTime(DateTime.UtcNow.AddDays(offset)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static (int Created, int Updated, int Unchanged, int Rejected) Counts(JsonObject job)
        => (job["created"]!.GetValue<int>(), job["updated"]!.GetValue<int>(), job["unchanged"]!.GetValue<int>(), job["rejected"]!.GetValue<int>());

    private static async Task<JsonObject> ImportAsync(HttpClient client, string csv, bool publish = true, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/imports?name=surplus.csv{(publish ? "" : "&publish=false")}")
        {
            Content = new StringContent(csv, Encoding.UTF8, "text/csv"),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        var started = await ReadAsync(await client.SendAsync(request), HttpStatusCode.Accepted);
        return await FinishedAsync(client, started);
    }

    private static async Task<JsonObject> FinishedAsync(HttpClient client, JsonObject started)
    {
        var id = started["id"]!.GetValue<string>();
        return await Eventually.ValueAsync(
            async () => await ReadAsync(await client.GetAsync($"/api/v1/imports/{id}"), HttpStatusCode.OK),
            job => job["status"]!.GetValue<string>() != "running",
            JobDeadline);
    }

    private static async Task<List<string[]>> ReportAsync(HttpClient client, string id)
    {
        var response = await client.GetAsync($"/api/v1/imports/{id}/report");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var rows = ExportsApiTests.ParseCsv(await response.Content.ReadAsStringAsync());
        Assert.Equal(["line", "externalId", "field", "message"], rows[0]);
        return rows.Skip(1).ToList();
    }

    private async Task<long> SearchTotalAsync(string seller)
    {
        using var client = Server.Client();
        return (await ReadAsync(await client.GetAsync($"/api/v1/listings/search?seller={seller}&limit=1"), HttpStatusCode.OK))["total"]!.GetValue<long>();
    }

    private static async Task<HashSet<string>> ProposedLotsAsync(HttpClient buyer)
    {
        var lots = new HashSet<string>();
        string? cursor = null;
        do
        {
            var page = await ReadAsync(await buyer.GetAsync($"/api/v1/matches?role=buyer&limit=100{(cursor is null ? "" : "&cursor=" + cursor)}"), HttpStatusCode.OK);
            foreach (var match in page["items"]!.AsArray())
            {
                lots.Add(match!["lotId"]!.GetValue<string>());
            }

            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return lots;
    }
}
