using Marketplace.Domain.Carbon;
using Marketplace.Grains.Carbon;
using Microsoft.Data.Sqlite;

namespace Marketplace.Grains.Tests.Carbon;

public sealed class CarbonLedgerGrainTests(MemoryClusterFixture fixture) : IClassFixture<MemoryClusterFixture>
{
    private static readonly CarbonCalculator Calculator = new(EmissionFactors.Default);

    internal static CarbonEntry Entry(string orderId, string seller, string buyer, decimal kg, string category = "metals/steel/beams", string municipality = "Espoo")
        => new(orderId, seller, buyer, category, municipality, DateTimeOffset.UtcNow, Calculator.Calculate(new CarbonInput(category, "A", kg, 50m)));

    [Fact]
    public async Task Record_RepeatedOrder_IsCountedOnce()
    {
        var ledger = fixture.Grains.GetGrain<ICarbonLedgerGrain>("firm-" + Guid.NewGuid().ToString("N"));
        var entry = Entry("order-" + Guid.NewGuid().ToString("N"), "s", "b", 10_000m);

        await ledger.RecordAsync(entry);
        await ledger.RecordAsync(entry);
        await ledger.RecordAsync(entry with { Figure = Calculator.Calculate(new CarbonInput("metals/steel/beams", "A", 99m, 0m)) });

        var totals = await ledger.GetTotalsAsync();
        Assert.Equal(1, totals.Overall.Orders);
        Assert.Equal(15_452.5m, totals.Overall.AvoidedKgCo2e);
        Assert.Equal(10m, totals.Overall.TonnesReused);
        Assert.Equal(CarbonLedger.MonthOf(entry.CompletedAt), totals.ByMonthAndCategory.Single().Month);
    }

    [Fact]
    public async Task GetTotals_NothingRecorded_IsEmpty()
    {
        var totals = await fixture.Grains.GetGrain<ICarbonLedgerGrain>("firm-" + Guid.NewGuid().ToString("N")).GetTotalsAsync();

        Assert.Equal(0, totals.Overall.Orders);
        Assert.Empty(totals.ByMonthAndCategory);
    }

    [Fact]
    public async Task Record_ConcurrentRepeats_AreCountedOnce()
    {
        var ledger = fixture.Grains.GetGrain<ICarbonLedgerGrain>("firm-" + Guid.NewGuid().ToString("N"));
        var entries = Enumerable.Range(0, 10).Select(i => Entry($"order-{i}-{Guid.NewGuid():N}", "s", "b", 1_000m, municipality: i % 2 == 0 ? "Espoo" : "Vantaa")).ToList();

        await Task.WhenAll(entries.Concat(entries).Concat(entries).Select(ledger.RecordAsync));

        var totals = await ledger.GetTotalsAsync();
        Assert.Equal(10, totals.Overall.Orders);
        Assert.Equal([("Espoo", 5), ("Vantaa", 5)], totals.ByMunicipality.Select(t => (t.Municipality!, t.Orders)));
    }
}

/// <summary>A ledger's totals and its memory of counted orders survive a restart, so a replay after it is still ignored.</summary>
public sealed class CarbonLedgerRestartTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("carbon-restart-").FullName;

    [Fact]
    public async Task Record_RepeatedAfterRestart_IsStillCountedOnce()
    {
        var settings = TestClusters.Settings("Sqlite");
        settings["Storage:Sqlite:Path"] = Path.Combine(_folder, "marketplace.db");
        var serviceId = "carbon-" + Guid.NewGuid().ToString("N")[..8];
        var entry = CarbonLedgerGrainTests.Entry("order-1", "s", "b", 10_000m);

        await using (var before = await TestClusters.StartAsync(settings, serviceId))
        {
            await before.Client.GetGrain<ICarbonLedgerGrain>(CarbonLedgers.Region).RecordAsync(entry);
        }

        await using var after = await TestClusters.StartAsync(settings, serviceId);
        var region = after.Client.GetGrain<ICarbonLedgerGrain>(CarbonLedgers.Region);
        await region.RecordAsync(entry);

        var totals = await region.GetTotalsAsync();
        Assert.Equal(1, totals.Overall.Orders);
        Assert.Equal(15_452.5m, totals.ByCategory.Single().AvoidedKgCo2e);
        Assert.Equal("Espoo", totals.ByMunicipality.Single().Municipality);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
