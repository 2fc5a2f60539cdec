using System.Net;
using System.Net.Http.Json;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Demands;

/// <summary>
/// One firm cannot load matching without bound (probe 11 posted 3,000 demands in seconds): a buying firm keeps at most
/// Matching:MaxOpenDemandsPerBuyer demands open, and those it cancelled stop counting.
/// </summary>
public sealed class OpenDemandLimitTests
{
    [Fact]
    public async Task Demands_PastTheFirmsOpenBound_AreRefused_UntilOneCloses()
    {
        await using var server = await MarketplaceServer.StartAsync(new()
        {
            ["Matching:MaxOpenDemandsPerBuyer"] = "2",
            ["Matching:OpenDemandRecheckAfter"] = "00:00:00",
        });
        var buyer = await RegisterFirmAsync(server, "buyer");
        var other = await RegisterFirmAsync(server, "buyer");
        using var client = server.Client(buyer);
        var first = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/demands", Demand()), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await ReadAsync(await client.PostAsJsonAsync("/api/v1/demands", Demand()), HttpStatusCode.Created);

        var refused = await ProblemAsync(await client.PostAsJsonAsync("/api/v1/demands", Demand()), HttpStatusCode.Conflict, "open-demand-limit");
        Assert.Equal(2, refused["maxOpenDemands"]!.GetValue<int>());
        await ReadAsync(await server.Client(other).PostAsJsonAsync("/api/v1/demands", Demand()), HttpStatusCode.Created);

        await ReadAsync(await client.PostAsync($"/api/v1/demands/{first}/cancel", null), HttpStatusCode.OK);
        await ReadAsync(await client.PostAsJsonAsync("/api/v1/demands", Demand()), HttpStatusCode.Created);
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/demands", Demand()), HttpStatusCode.Conflict, "open-demand-limit");
    }

    /// <summary>Posts sent at once cannot pass the bound together (probe 19: 60 parallel posts at 490 of 500 left 514 open).</summary>
    [Fact]
    public async Task ParallelPosts_AtTheBound_OpenNoMoreThanIt()
    {
        await using var server = await MarketplaceServer.StartAsync(new()
        {
            ["Matching:MaxOpenDemandsPerBuyer"] = "5",
            ["Matching:OpenDemandRecheckAfter"] = "00:00:00",
        });
        var buyer = await RegisterFirmAsync(server, "buyer");
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var client = server.Client(buyer);
            return (await client.PostAsJsonAsync("/api/v1/demands", Demand())).StatusCode;
        }));

        Assert.Equal(5, answers.Count(a => a == HttpStatusCode.Created));
        Assert.Equal(11, answers.Count(a => a == HttpStatusCode.Conflict));
        using var reader = server.Client(buyer);
        var open = await ReadAsync(await reader.GetAsync($"/api/v1/traders/{buyer}/demands?status=open"), HttpStatusCode.OK);
        Assert.Equal(5, open["items"]!.AsArray().Count);

        // A refused body gives its reserved room back at once.
        var bad = Demand();
        bad["quantity"] = -1;
        await ReadAsync(await reader.PostAsync($"/api/v1/demands/{open["items"]![0]!["id"]!.GetValue<string>()}/cancel", null), HttpStatusCode.OK);
        await ProblemAsync(await reader.PostAsJsonAsync("/api/v1/demands", bad), HttpStatusCode.UnprocessableEntity, "validation-failed", "quantity");
        await ReadAsync(await reader.PostAsJsonAsync("/api/v1/demands", Demand()), HttpStatusCode.Created);
    }
}
