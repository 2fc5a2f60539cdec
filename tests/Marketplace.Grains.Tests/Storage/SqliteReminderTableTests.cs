using Marketplace.Grains.Storage;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>Reminders in the SQLite file, through statements reused across writes: each write stores its own values.</summary>
public sealed class SqliteReminderTableTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-sqlite-reminders-").FullName;

    public void Dispose() => ContractStores.DeleteSqlite(_folder);

    [Fact]
    public async Task UpsertAndRemove_OneAfterAnother_KeepEachRowsOwnValues()
    {
        var database = new SqliteDatabase(new SqliteStorageOptions { Path = Path.Combine(_folder, "marketplace.db") });
        var table = new SqliteReminderTable(database, Options.Create(new ClusterOptions { ServiceId = "reminders" }));
        var (lot, demand) = (GrainId.Create("listing", "lot-1"), GrainId.Create("demand", "d-1"));
        var start = new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc);
        ReminderEntry Entry(GrainId id, string name, int days) => new() { GrainId = id, ReminderName = name, StartAt = start.AddDays(days), Period = TimeSpan.FromMinutes(days) };

        var first = await table.UpsertRow(Entry(lot, "deadline", 3));
        var other = await table.UpsertRow(Entry(demand, "expiry", 7));
        var moved = await table.UpsertRow(Entry(lot, "deadline", 5));
        var staleRemove = await table.RemoveRow(demand, "expiry", "2");
        var removed = await table.RemoveRow(lot, "deadline", moved!);

        Assert.Equal(("1", "1", "2"), (first, other, moved));
        Assert.Equal((false, true), (staleRemove, removed));
        Assert.Null(await table.ReadRow(lot, "deadline"));
        var kept = await table.ReadRow(demand, "expiry");
        Assert.Equal((demand, "expiry", start.AddDays(7), TimeSpan.FromMinutes(7), "1"), (kept!.GrainId, kept.ReminderName, kept.StartAt, kept.Period, kept.ETag));
        Assert.Single((await table.ReadRows(demand.GetUniformHashCode() - 1, demand.GetUniformHashCode())).Reminders);
        database.Dispose();
    }
}
