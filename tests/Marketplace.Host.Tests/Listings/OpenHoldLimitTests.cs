using System.Net;
using System.Net.Http.Json;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;

namespace Marketplace.Host.Tests.Listings;

/// <summary>
/// One buyer cannot hold the whole market (probe 11 held all of 150 lots for 29 days): a firm keeps at most
/// Listings:MaxOpenHoldsPerBuyer holds open across lots, and holds it released, had confirmed or let lapse stop counting.
/// </summary>
public sealed class OpenHoldLimitTests
{
    [Fact]
    public async Task Holds_PastTheFirmsOpenBound_AreRefused_UntilOneCloses()
    {
        await using var server = await MarketplaceServer.StartAsync(new()
        {
            ["Listings:MaxOpenHoldsPerBuyer"] = "3",
            ["Listings:OpenHoldRecheckAfter"] = "00:00:00",
        });
        var seller = await RegisterFirmAsync(server, "seller");
        var buyer = await RegisterFirmAsync(server, "buyer");
        var other = await RegisterFirmAsync(server, "buyer");
        var lots = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            lots.Add(await ActiveLotAsync(server, seller, 100));
        }

        using var client = server.Client(buyer);
        using var sellerClient = server.Client(seller);
        var holds = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            holds.Add(await HoldAsync(client, lots[i], 100));
        }

        var refused = await ProblemAsync(await client.PostAsJsonAsync($"/api/v1/listings/{lots[3]}/holds", new { quantity = 10 }), HttpStatusCode.Conflict, "open-hold-limit");
        Assert.Equal(3, refused["maxOpenHolds"]!.GetValue<int>());
        // The bound is the firm's own: another buyer holds on.
        await HoldAsync(server.Client(other), lots[3], 10);
        var untouched = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lots[3]}"), HttpStatusCode.OK);
        Assert.Equal(90m, untouched["quantities"]!["available"]!.GetValue<decimal>());

        // A hold released by the buyer, and one the seller confirmed, no longer count.
        await ReadAsync(await client.DeleteAsync($"/api/v1/listings/{lots[0]}/holds/{holds[0]}"), HttpStatusCode.OK);
        await HoldAsync(client, lots[3], 10);
        await ProblemAsync(await client.PostAsJsonAsync($"/api/v1/listings/{lots[4]}/holds", new { quantity = 10 }), HttpStatusCode.Conflict, "open-hold-limit");
        await ReadAsync(await sellerClient.PostAsync($"/api/v1/listings/{lots[1]}/holds/{holds[1]}/confirm", null), HttpStatusCode.OK);
        await HoldAsync(client, lots[4], 10);

        var open = await ReadAsync(await client.GetAsync("/api/v1/holds?status=active"), HttpStatusCode.OK);
        Assert.Equal(3, open["items"]!.AsArray().Count);

        // Holds sent at once cannot pass the bound together (probe 13: 150 at once left a firm with 156 open).
        var burst = await RegisterFirmAsync(server, "buyer");
        using var burstClient = server.Client(burst);
        var fresh = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => ActiveLotAsync(server, seller, 100)));
        var answers = await Task.WhenAll(fresh.Select(lot => burstClient.PostAsJsonAsync($"/api/v1/listings/{lot}/holds", new { quantity = 1 })));
        Assert.Equal(3, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        foreach (var refusedNow in answers.Where(a => a.StatusCode != HttpStatusCode.Created))
        {
            await ProblemAsync(refusedNow, HttpStatusCode.Conflict, "open-hold-limit");
        }

        var burstOpen = await ReadAsync(await burstClient.GetAsync("/api/v1/holds?status=active"), HttpStatusCode.OK);
        Assert.Equal(3, burstOpen["items"]!.AsArray().Count);
    }

    /// <summary>Accepting a match holds its quantity: at the bound it is refused like any hold (probe 14 held 13 with a bound of 3).</summary>
    [Fact]
    public async Task AcceptingAMatch_PastTheFirmsOpenBound_IsRefused_AndTheMatchStaysProposed()
    {
        await using var server = await MarketplaceServer.StartAsync(new()
        {
            ["Listings:MaxOpenHoldsPerBuyer"] = "1",
            ["Listings:OpenHoldRecheckAfter"] = "00:00:00",
        });
        var seller = await RegisterFirmAsync(server, "seller");
        var buyer = await RegisterFirmAsync(server, "buyer");
        using var client = server.Client(buyer);
        var heldLot = await ActiveLotAsync(server, seller, 100);
        var held = await HoldAsync(client, heldLot, 10);
        var at = RandomPlace();
        var lot = await ActiveLotAsync(server, seller, 1000, at);
        var match = (await MatchAsync(client, lot, await DemandAsync(server, buyer, Demand(300, at))))["id"]!.GetValue<string>();

        await ProblemAsync(await client.PostAsync($"/api/v1/matches/{match}/accept", null), HttpStatusCode.Conflict, "open-hold-limit");
        Assert.Equal("proposed", (await ReadAsync(await client.GetAsync($"/api/v1/matches/{match}"), HttpStatusCode.OK))["status"]!.GetValue<string>());
        Assert.Equal(0m, (await ReadAsync(await client.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK))["quantities"]!["held"]!.GetValue<decimal>());

        // With the other hold released it is accepted; accepting again is the match's own refusal, not the bound's.
        await ReadAsync(await client.DeleteAsync($"/api/v1/listings/{heldLot}/holds/{held}"), HttpStatusCode.OK);
        Assert.Equal("accepted", (await ReadAsync(await client.PostAsync($"/api/v1/matches/{match}/accept", null), HttpStatusCode.OK))["status"]!.GetValue<string>());
        await ProblemAsync(await client.PostAsync($"/api/v1/matches/{match}/accept", null), HttpStatusCode.Conflict, "match-not-open");
    }
}
