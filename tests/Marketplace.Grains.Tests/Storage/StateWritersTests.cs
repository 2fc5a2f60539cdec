using System.Text.Json;
using Marketplace.Domain.Matching;
using Marketplace.Domain.Traders;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Common;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Traders;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>
/// The hand-written state writers (<see cref="StateWriters"/>) write what System.Text.Json writes with
/// <see cref="MarketplaceJson.Options"/>, byte for byte, over generated states: awkward strings (quotes, control
/// characters, HTML, non-Latin letters, lone surrogates), nulls where a member can be null, empty and large collections,
/// non-finite doubles, offsets other than UTC. The oracle is the serializer itself, so a member added to one of these
/// types without its writer fails here.
/// </summary>
public sealed class StateWritersTests
{
    private const int Cases = 400;

    private static readonly string[] Awkward =
    [
        "", "a", "lot-1", "quote\"d", "back\\slash", "line\nbreak", "tab\t", "\u0001control", "<script>&'</script>", "Ääkkönen öljy",
        "日本語", "emoji 🧱", "\ud800lone", "kebab-case-id-with-many-parts-0123456789", "+plus", "semi;colon",
    ];

    [Fact]
    public void MatchingSessions_AreWrittenAsTheSerializerWritesThem()
    {
        var random = new Random(20261201);
        for (var i = 0; i < Cases; i++)
        {
            var session = new MatchingSession();
            Set(session, nameof(MatchingSession.Id), i % 17 == 0 ? null : Text(random));
            Set(session, nameof(MatchingSession.Proposal), i % 9 == 0 ? null : new SessionProposal(Text(random), Text(random), Text(random),
                i % 13 == 0 ? null! : Text(random), Decimal(random), Text(random), Decimal(random), Text(random), Double(random), Double(random)));
            Set(session, nameof(MatchingSession.Status), (MatchStatus)random.Next(5));
            Set(session, nameof(MatchingSession.Reason), random.Next(3) == 0 ? null : Text(random));
            Set(session, nameof(MatchingSession.HoldId), random.Next(3) == 0 ? null : Text(random));
            Set(session, nameof(MatchingSession.OrderId), random.Next(3) == 0 ? null : Text(random));
            Set(session, nameof(MatchingSession.AcceptingHoldId), random.Next(3) == 0 ? null : Text(random));
            Set(session, nameof(MatchingSession.FailedCheckouts), random.Next(-1, 5));
            Set(session, nameof(MatchingSession.Round), random.Next(int.MinValue, int.MaxValue));
            Set(session, nameof(MatchingSession.ProposedAt), Time(random));
            Set(session, nameof(MatchingSession.ExpiresAt), Time(random));
            Set(session, nameof(MatchingSession.UpdatedAt), Time(random));
            Set(session, nameof(MatchingSession.Version), random.NextInt64(long.MinValue, long.MaxValue));
            Set(session, nameof(MatchingSession.Outbox), i % 23 == 0 ? null : Enumerable.Range(0, random.Next(3) == 0 ? random.Next(1, 4) : 0)
                .Select(_ => new OutboxEvent(Text(random), Text(random), Text(random), random.NextInt64(), Time(random),
                    [Text(random), Text(random)], JsonSerializer.SerializeToElement(new { id = Text(random), n = random.Next() })))
                .ToList());

            Same(session);
        }
    }

    /// <summary>
    /// Every stored property of a session of a simple type, set at once: a property added to the session but not to the
    /// writer would be dropped on every write, and the cases above would not notice (the accepting hold once was).
    /// </summary>
    [Fact]
    public void MatchingSessions_EveryStoredSimpleProperty_IsWritten()
    {
        var session = new MatchingSession();
        var set = 0;
        foreach (var property in typeof(MatchingSession).GetProperties().Where(p => p.SetMethod is not null))
        {
            object? value = property.PropertyType switch
            {
                var t when t == typeof(string) => "value-of-" + property.Name,
                var t when t == typeof(int) => 7,
                var t when t == typeof(long) => 7L,
                var t when t == typeof(DateTimeOffset) => new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero),
                _ => null,
            };
            if (value is not null)
            {
                property.SetValue(session, value);
                set++;
            }
        }

        Assert.True(set >= 10, $"only {set} simple properties found");
        Same(session);
    }

    [Fact]
    public void ExpiryPages_CellChanges_InboxChanges_AndLotChanges_AreWrittenAsTheSerializerWritesThem()
    {
        var random = new Random(1201);
        Same(new MatchExpiryPage { Sessions = null! });
        Same(new CellChanges { Members = null! });
        Same(new TraderLotChanges { Added = null!, Statuses = null! });
        Same(new Dictionary<string, InboxEntry>());
        for (var i = 0; i < Cases; i++)
        {
            var size = i % 50 == 0 ? 300 : random.Next(0, 6);
            Same(new MatchExpiryPage
            {
                Sessions = Enumerable.Range(0, size).Select(_ => random.Next(20) == 0 ? null! : new SessionExpiry(random.Next(15) == 0 ? null! : Text(random), Time(random))).ToList(),
            });
            Same(new CellChanges
            {
                Members = Distinct(random, size).ToDictionary(k => k, _ => random.Next(20) == 0 ? null! : new CellChange(random.Next(2) == 0, random.Next(2) == 0 ? null : Time(random)), StringComparer.Ordinal),
            });
            Same(Distinct(random, size).ToDictionary(k => k, _ => random.Next(20) == 0 ? default : new InboxEntry(random.NextInt64(long.MinValue, long.MaxValue), Time(random)), StringComparer.Ordinal));
            Same(new TraderLotChanges
            {
                Added = Enumerable.Range(0, size).Select(_ => random.Next(20) == 0 ? null! : Text(random)).ToList(),
                Statuses = Distinct(random, size).ToDictionary(k => k, _ => random.Next(20) == 0 ? null! : new ListedLot(random.Next(10) == 0 ? null! : Text(random), random.NextInt64()), StringComparer.Ordinal),
            });
        }
    }

    [Fact]
    public void WrittenStates_ReadBackThroughTheStorageSerializer()
    {
        var page = new MatchExpiryPage { Sessions = [new SessionExpiry("lot-1-demand-2", new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.FromHours(2)))] };
        var changes = new CellChanges { Members = { ["lot:1"] = new CellChange(true, null), ["demand:2"] = new CellChange(false, DateTimeOffset.UnixEpoch) } };

        var readPage = MarketplaceStorageSerializer.Instance.Deserialize<MatchExpiryPage>(MarketplaceStorageSerializer.Instance.Serialize(page));
        var readChanges = MarketplaceStorageSerializer.Instance.Deserialize<CellChanges>(MarketplaceStorageSerializer.Instance.Serialize(changes));

        Assert.Equal(page.Sessions, readPage.Sessions);
        Assert.Equal(changes.Members, readChanges.Members);
    }

    private static void Same<T>(T value)
    {
        var expected = JsonSerializer.SerializeToUtf8Bytes(value, MarketplaceJson.Options);
        var written = JsonSerializer.SerializeToUtf8Bytes(value, StateWriters.Options);
        if (!expected.AsSpan().SequenceEqual(written))
        {
            Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(written));
            Assert.Equal(expected, written);
        }
    }

    private static void Set(object target, string property, object? value) => target.GetType().GetProperty(property)!.SetValue(target, value);

    private static string Text(Random random) => random.Next(4) == 0 ? Awkward[random.Next(Awkward.Length)] : $"id-{random.Next()}";

    private static IEnumerable<string> Distinct(Random random, int count) => Enumerable.Range(0, count).Select(i => $"{Text(random)}#{i}");

    private static decimal Decimal(Random random) => random.Next(4) switch
    {
        0 => 0m,
        1 => decimal.MaxValue / random.Next(1, 1000),
        2 => -0.000001m * random.Next(),
        _ => Math.Round((decimal)random.NextDouble() * 10_000m, random.Next(0, 6)),
    };

    private static double Double(Random random) => random.Next(10) switch
    {
        0 => double.NaN,
        1 => double.PositiveInfinity,
        2 => double.NegativeInfinity,
        3 => -0.0,
        4 => double.Epsilon,
        5 => double.MaxValue,
        _ => Math.Round(random.NextDouble() * 1e6, random.Next(0, 4)),
    };

    private static DateTimeOffset Time(Random random) => random.Next(5) switch
    {
        0 => DateTimeOffset.MinValue,
        1 => DateTimeOffset.UnixEpoch,
        _ => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.FromMinutes(random.Next(-14 * 4, 14 * 4) * 15))
            .AddTicks(random.NextInt64(0, TimeSpan.TicksPerDay * 3650)),
    };
}
