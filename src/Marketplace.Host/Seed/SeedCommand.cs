using System.Diagnostics;
using System.Globalization;
using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Imports;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Imports;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Traders;
using Marketplace.Hosting;

namespace Marketplace.Host.Seed;

/// <summary>
/// <c>seed --listings N</c>: creates demo firms, N lots across the Helsinki region and one "wanted" demand per ten lots
/// (at least five), through the same grains as the API (the lots through the bulk import path, thousands at a time), so a
/// newcomer's inboxes already hold proposals.
/// Deterministic (same N, same lots and demands; dates are relative to today) and safe to run again: what exists is kept.
/// </summary>
public static class SeedCommand
{
    private const string SeedSubject = "seed-command";

    /// <summary>True when the command line asks for seeding.</summary>
    public static bool Matches(string[] args) => args.Length > 0 && args[0] == "seed";

    /// <summary>Runs the seeder on the configured storage and returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (!TryParse(args, out var count, out var settings, out var error))
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine("Usage: dotnet run --project src/Marketplace.Host -- seed [--listings N]   (N from 1 to 1,000,000; default 1000)");
            return CommandLine.UsageExitCode;
        }

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(settings);
        builder.AddMarketplaceCommandSilo();
        using var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Could not start the silo: {e.Message}");
            Console.Error.WriteLine("Is the marketplace already running? Stop it first (the seeder opens the same silo ports and data), or set Cluster:SiloPort and Cluster:GatewayPort.");
            return 1;
        }

        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var time = host.Services.GetRequiredService<TimeProvider>();
        var (firms, lots, demands) = await SeedAsync(grains, time, count, Console.Out, host.Services.GetRequiredService<LotImporter>());
        await MatchingSettledAsync(grains, SeedCatalogue.Load().Firms.Select(FirmId).ToArray(), TimeSpan.FromSeconds(30));
        Console.WriteLine($"Seeded {firms} firms, {lots} lots and {demands} demands into {builder.Configuration["Storage:Provider"] ?? "Sqlite"} storage.");
        Console.WriteLine();
        Console.Write(FirmTable(SeedCatalogue.Load(), count, MarketClock.Today(time.GetUtcNow())));
        await host.StopAsync();
        return 0;
    }

    /// <summary>
    /// Waits (at most <paramref name="deadline"/>) until the firms' match inboxes stop growing: matching goes on after the
    /// last demand is stored, its proposals reaching the inboxes one-way, and stopping the silo under it cut them short
    /// with a screen of errors at the end of the newcomer's first command.
    /// </summary>
    private static async Task MatchingSettledAsync(IGrainFactory grains, string[] firms, TimeSpan deadline)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var last = -1;
        while (clock.Elapsed < deadline)
        {
            var inboxes = await Task.WhenAll(firms.Select(f => grains.GetGrain<Grains.Matching.IMatchInboxGrain>(f).ListAsync()));
            var proposals = inboxes.Sum(i => i.Count);
            if (proposals == last)
            {
                return;
            }

            last = proposals;
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>
    /// Creates the firms, lots and demands; returns how many of each now exist. Progress goes to <paramref name="progress"/>.
    /// With <paramref name="importer"/> the lots go through the bulk import path (per seller, thousands at a time; with
    /// SQLite storage without activating their grains), else one by one through their grains.
    /// </summary>
    public static async Task<(int Firms, int Lots, int Demands)> SeedAsync(IGrainFactory grains, TimeProvider time, int count, TextWriter progress,
        LotImporter? importer = null)
    {
        var catalogue = SeedCatalogue.Load();
        var municipalities = catalogue.Municipalities.ToDictionary(m => m.Name);
        foreach (var firm in catalogue.Firms)
        {
            await RegisterFirmAsync(grains, firm);
        }

        var sellers = catalogue.Firms.Where(f => f.Roles.Contains("seller")).ToArray();
        var buyers = catalogue.Firms.Where(f => f.Roles.Contains("buyer")).ToArray();
        var today = MarketClock.Today(time.GetUtcNow());
        var done = 0;
        var stopwatch = Stopwatch.StartNew();
        var reporter = new ProgressLine(progress, "Seeding lots", count);
        if (importer is not null)
        {
            await SeedLotsInBulkAsync(grains, importer, catalogue, buyers, today, time, count, reporter, stopwatch);
        }
        else
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            {
                var (id, _, seller, details) = Plan(catalogue, i, today);
                var grain = grains.GetGrain<IListingGrain>(id);
                if (await grain.GetAsync() is null)
                {
                    await grain.CreateAsync(FirmId(seller), details);
                    if (IsPublished(i))
                    {
                        await grain.PublishAsync(FirmId(seller));
                        if (i % 7 == 3)
                        {
                            var buyer = buyers.First(b => b != seller);
                            await grain.PlaceHoldAsync(FirmId(buyer), $"seed-hold-{i:D7}", Math.Max(1, Math.Floor(details.Quantity / 5)), time.GetUtcNow().AddDays(5));
                        }
                    }
                }

                reporter.Report(Interlocked.Increment(ref done), stopwatch.Elapsed);
            });
        }

        reporter.Finish(stopwatch.Elapsed);

        var demands = DemandCount(count);
        done = 0;
        stopwatch.Restart();
        var demandReporter = new ProgressLine(progress, "Seeding demands", demands);
        await Parallel.ForEachAsync(Enumerable.Range(0, demands), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var (id, buyer, details) = PlanDemand(catalogue, buyers, i, today);
            var grain = grains.GetGrain<IDemandGrain>(id);
            if (await grain.GetAsync() is null)
            {
                await grain.CreateAsync(FirmId(buyer), details);
            }

            demandReporter.Report(Interlocked.Increment(ref done), stopwatch.Elapsed);
        });
        demandReporter.Finish(stopwatch.Elapsed);
        return (catalogue.Firms.Count, count, demands);
    }

    /// <summary>
    /// The lots as import rows (the lot's id as its external id), one run per seller and publishing, then the holds
    /// through the lots' grains. Seeding again changes nothing: the rows are unchanged and held lots keep their hold.
    /// </summary>
    private static async Task SeedLotsInBulkAsync(IGrainFactory grains, LotImporter importer, SeedCatalogue catalogue, SeedFirm[] buyers, DateOnly today,
        TimeProvider time, int count, ProgressLine reporter, Stopwatch stopwatch)
    {
        var plans = Enumerable.Range(0, count).Select(i => (I: i, Plan: Plan(catalogue, i, today))).ToArray();
        var done = 0;
        foreach (var run in plans.GroupBy(p => (Seller: FirmId(p.Plan.Seller), Publish: IsPublished(p.I))))
        {
            var rows = run.Select(p => new LotRow(p.I + 2, p.Plan.Id, p.Plan.Id, false, p.Plan.Details, [])).ToArray();
            var result = await importer.RunAsync(run.Key.Seller, rows, run.Key.Publish, null, CancellationToken.None);
            if (result.Status != ImportStatus.Completed || result.Counts.Rejected > 0)
            {
                throw new InvalidOperationException($"Seeding the lots of {run.Key.Seller} stopped ({result.Status}): {result.Failure ?? string.Join("; ", result.Errors.Take(3).Select(e => e.Message))}");
            }

            done += rows.Length;
            reporter.Report(done, stopwatch.Elapsed);
        }

        await Parallel.ForEachAsync(plans.Where(p => IsPublished(p.I) && p.I % 7 == 3), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (p, _) =>
        {
            var grain = grains.GetGrain<IListingGrain>(p.Plan.Id);
            if (await grain.GetAsync() is { Holds.Count: 0 })
            {
                var buyer = buyers.First(b => b != p.Plan.Seller);
                await grain.PlaceHoldAsync(FirmId(buyer), $"seed-hold-{p.I:D7}", Math.Max(1, Math.Floor(p.Plan.Details.Quantity / 5)), time.GetUtcNow().AddDays(5));
            }
        });
    }

    /// <summary>
    /// The demo firms as a short table a newcomer can act on: each firm's id, roles and name, with one lot: for a seller
    /// one of its own published lots, for a buyer a published lot of another firm it can hold.
    /// </summary>
    public static string FirmTable(SeedCatalogue catalogue, int count, DateOnly today)
    {
        var plans = Enumerable.Range(0, count).Where(IsPublished).Select(i => Plan(catalogue, i, today)).ToArray();
        var rows = catalogue.Firms.Select(f =>
        {
            var lot = f.Roles.Contains("seller")
                ? plans.FirstOrDefault(p => p.Seller == f).Id
                : plans.FirstOrDefault(p => p.Seller != f).Id;
            return (Id: FirmId(f), Roles: string.Join(",", f.Roles), f.Name, Lot: lot ?? "-");
        }).ToArray();
        var idWidth = Math.Max("firm id".Length, rows.Max(r => r.Id.Length));
        var roleWidth = Math.Max("roles".Length, rows.Max(r => r.Roles.Length));
        var nameWidth = Math.Max("name".Length, rows.Max(r => r.Name.Length));
        var table = new System.Text.StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"{"firm id".PadRight(idWidth)}  {"roles".PadRight(roleWidth)}  {"name".PadRight(nameWidth)}  a lot (own lot for a seller, one to hold for a buyer)");
        foreach (var r in rows)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"{r.Id.PadRight(idWidth)}  {r.Roles.PadRight(roleWidth)}  {r.Name.PadRight(nameWidth)}  {r.Lot}");
        }

        table.AppendLine("To act for a firm, give it an API client: clients create --trader <firm id> --name demo --scopes \"listings.read listings.write orders.write\"");
        return table.ToString();
    }

    /// <summary>How many demands the seed makes for <paramref name="lots"/> lots: one per ten, at least five.</summary>
    public static int DemandCount(int lots) => Math.Max(5, lots / 10);

    /// <summary>
    /// Demand number <paramref name="i"/>: a buyer near home wanting part of what a lot template offers, in the
    /// template's parent category (so sibling materials match too), needed within the coming months.
    /// </summary>
    public static (string Id, SeedFirm Buyer, DemandDetails Details) PlanDemand(SeedCatalogue catalogue, IReadOnlyList<SeedFirm> buyers, int i, DateOnly today)
    {
        var random = new Random(20261128 + i);
        var template = catalogue.Lots[random.Next(catalogue.Lots.Count)];
        var buyer = buyers[random.Next(buyers.Count)];
        var place = catalogue.Municipalities.First(m => m.Name == buyer.Municipality);
        var quantity = Math.Max(1, random.Next(template.Quantity[0], template.Quantity[1] + 1) / 2);
        var from = today.AddDays(random.Next(0, 20));
        var slash = template.Category.LastIndexOf('/');
        return ($"seed-demand-{i:D6}", buyer, new DemandDetails
        {
            Category = slash > 0 ? template.Category[..slash] : template.Category,
            Quantity = quantity,
            Unit = template.Unit,
            MinPart = Math.Max(1, quantity / 4),
            MinCondition = random.Next(3) == 0 ? "B" : "C",
            MaxUnitPrice = Money.Eur(template.PriceCents[1] + (template.PriceCents[1] / 5)),
            Location = new GeoPoint(place.Lat, place.Lon),
            RadiusKm = random.Next(20, 51),
            Window = new DateWindow(from, from.AddDays(random.Next(30, 90))),
        });
    }

    /// <summary>
    /// Lot number <paramref name="i"/> of the seed: its id, the index of its template in the catalogue, its seller and
    /// its details. Deterministic; every 20th lot stays a draft.
    /// </summary>
    public static (string Id, int Template, SeedFirm Seller, ListingDetails Details) Plan(SeedCatalogue catalogue, int i, DateOnly today)
    {
        var random = new Random(20261127 + i);
        var templateIndex = random.Next(catalogue.Lots.Count);
        var sellers = catalogue.Firms.Where(f => f.Roles.Contains("seller")).ToArray();
        var seller = sellers[random.Next(sellers.Length)];
        var place = random.Next(4) == 0
            ? catalogue.Municipalities[random.Next(catalogue.Municipalities.Count)]
            : catalogue.Municipalities.First(m => m.Name == seller.Municipality);
        return ($"seed-lot-{i:D7}", templateIndex, seller, MakeLot(random, catalogue.Lots[templateIndex], place, today));
    }

    /// <summary>True for lots the seeder publishes (all but every 20th).</summary>
    public static bool IsPublished(int i) => i % 20 != 19;

    /// <summary>The deterministic trader id of a demo firm.</summary>
    public static string FirmId(SeedFirm firm) => "seed-firm-" + firm.BusinessId.Replace("-", "", StringComparison.Ordinal);

    private static async Task RegisterFirmAsync(IGrainFactory grains, SeedFirm firm)
    {
        var grain = grains.GetGrain<ITraderGrain>(FirmId(firm));
        if (await grain.GetAsync() is not null)
        {
            return;
        }

        var domain = firm.Name.ToLowerInvariant().Replace(' ', '-').Replace('ä', 'a').Replace('ö', 'o').Replace('å', 'a');
        await grain.RegisterAsync(new TraderProfile
        {
            Name = firm.Name,
            BusinessId = firm.BusinessId,
            Municipality = firm.Municipality,
            Contact = new TraderContact("Demo contact", $"info@{new string(domain.Where(c => char.IsAsciiLetterOrDigit(c) || c == '-').ToArray())}.example", "+358 40 123 4567"),
            Roles = firm.Roles,
            // A demo account (a made-up bank code and the business id's digits), so the demo sellers can accept invoice orders.
            Billing = new TraderBilling(Iban.Of("FI", "799999" + firm.BusinessId.Replace("-", "", StringComparison.Ordinal).PadLeft(8, '0')),
                null, null, null, null, null, null, null),
        }, SeedSubject);
    }

    private static ListingDetails MakeLot(Random random, SeedLot template, SeedMunicipality place, DateOnly today)
    {
        var quantity = random.Next(template.Quantity[0], template.Quantity[1] + 1);
        var price = random.Next(template.PriceCents[0], template.PriceCents[1] + 1);
        var from = today.AddDays(random.Next(-10, 30));
        var to = from.AddDays(random.Next(30, 180));
        // Spread lots up to about 6 km around the municipality's centre.
        var lat = place.Lat + ((random.NextDouble() - 0.5) * 0.1);
        var lon = place.Lon + ((random.NextDouble() - 0.5) * 0.2);
        var street = place.Streets[random.Next(place.Streets.Count)];
        return new ListingDetails
        {
            Title = template.Titles[random.Next(template.Titles.Count)],
            Description = template.Descriptions[random.Next(template.Descriptions.Count)],
            Category = template.Category,
            Quantity = quantity,
            Unit = template.Unit,
            Condition = template.Conditions[random.Next(template.Conditions.Count)],
            UnitPrice = Money.Eur(price),
            Location = new ListingLocation(Math.Round(lat, 5), Math.Round(lon, 5), $"{street} {random.Next(1, 120)}", place.Name),
            Pickup = true,
            Delivery = random.Next(3) == 0,
            Availability = new DateWindow(from, to),
        };
    }

    /// <summary>Reads <c>seed [--listings N]</c> and the host settings that follow the command word.</summary>
    public static bool TryParse(string[] args, out int count, out string[] settings, out string error)
    {
        count = 1000;
        settings = [];
        if (!CommandLine.TryParse(args.Skip(1).ToArray(), ["listings"], out var line, out error))
        {
            return false;
        }

        settings = line.Settings;
        if (line.Options.TryGetValue("listings", out var listings)
            && (!int.TryParse(listings, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > 1_000_000))
        {
            error = "--listings needs a whole number from 1 to 1,000,000.";
            return false;
        }

        return true;
    }
}
