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
}
