using System.Text.Json;
using System.Text.Json.Serialization;
using Marketplace.Domain.Matching;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Common;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Traders;

namespace Marketplace.Grains.Storage;

/// <summary>
/// The options <see cref="MarketplaceStorageSerializer"/> writes states with: <see cref="MarketplaceJson.Options"/> plus
/// hand-written writers for the states a matching change stores most (a session, an expiry page, a cell's changes, an
/// inbox's changes, a firm's lot changes). System.Text.Json's object and collection converters keep their place in a
/// stack of frames that is allocated afresh for every serialization once a value nests (about 300 bytes each time:
/// 6 % of what a change allocated); these write the same bytes without it, each nested object of another type written
/// by the serializer as a root of its own (which needs no stack while it does not nest further).
/// <para>
/// Only writing changes: every writer reads through <see cref="MarketplaceJson.Options"/>, and the stored JSON is the
/// same byte for byte (<c>StateWritersTests</c> compares each writer with the serializer's own output over generated
/// states). A change to one of these types must change its writer too; the test fails until it does.
/// </para>
/// </summary>
public static class StateWriters
{
    /// <summary>The write options.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(MarketplaceJson.Options);
        options.Converters.Add(new MatchingSessionWriter());
        options.Converters.Add(new MatchExpiryPageWriter());
        options.Converters.Add(new CellChangesWriter());
        options.Converters.Add(new InboxEntriesWriter());
        options.Converters.Add(new TraderLotChangesWriter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>A double as the serializer writes it with named floating-point literals allowed.</summary>
    private static void WriteDouble(Utf8JsonWriter writer, JsonEncodedText name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    /// <summary>A map as the serializer writes a dictionary keyed by strings: each key as it is, a null value as null.</summary>
    private static void WriteMap<T>(Utf8JsonWriter writer, Dictionary<string, T> map, Action<Utf8JsonWriter, T> writeValue)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in map)
        {
            writer.WritePropertyName(key);
            if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writeValue(writer, value);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>A writer of one type; reading stays the serializer's own.</summary>
    private abstract class Writer<T> : JsonConverter<T>
    {
        public sealed override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
            => JsonSerializer.Deserialize<T>(ref reader, MarketplaceJson.Options);
    }

    private sealed class MatchingSessionWriter : Writer<MatchingSession>
    {
        private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
        private static readonly JsonEncodedText Proposal = JsonEncodedText.Encode("proposal");
        private static readonly JsonEncodedText Status = JsonEncodedText.Encode("status");
        private static readonly JsonEncodedText Reason = JsonEncodedText.Encode("reason");
        private static readonly JsonEncodedText HoldId = JsonEncodedText.Encode("holdId");
        private static readonly JsonEncodedText OrderId = JsonEncodedText.Encode("orderId");
        private static readonly JsonEncodedText AcceptingHoldId = JsonEncodedText.Encode("acceptingHoldId");
        private static readonly JsonEncodedText FailedCheckouts = JsonEncodedText.Encode("failedCheckouts");
        private static readonly JsonEncodedText Round = JsonEncodedText.Encode("round");
        private static readonly JsonEncodedText ProposedAt = JsonEncodedText.Encode("proposedAt");
        private static readonly JsonEncodedText ExpiresAt = JsonEncodedText.Encode("expiresAt");
        private static readonly JsonEncodedText UpdatedAt = JsonEncodedText.Encode("updatedAt");
        private static readonly JsonEncodedText Version = JsonEncodedText.Encode("version");
        private static readonly JsonEncodedText Outbox = JsonEncodedText.Encode("outbox");
        private static readonly JsonEncodedText Exists = JsonEncodedText.Encode("exists");
        private static readonly JsonEncodedText IsOpen = JsonEncodedText.Encode("isOpen");

        private static readonly JsonEncodedText LotId = JsonEncodedText.Encode("lotId");
        private static readonly JsonEncodedText SellerId = JsonEncodedText.Encode("sellerId");
        private static readonly JsonEncodedText DemandId = JsonEncodedText.Encode("demandId");
        private static readonly JsonEncodedText BuyerId = JsonEncodedText.Encode("buyerId");
        private static readonly JsonEncodedText Quantity = JsonEncodedText.Encode("quantity");
        private static readonly JsonEncodedText Unit = JsonEncodedText.Encode("unit");
        private static readonly JsonEncodedText LotQuantity = JsonEncodedText.Encode("lotQuantity");
        private static readonly JsonEncodedText LotUnit = JsonEncodedText.Encode("lotUnit");
        private static readonly JsonEncodedText LandedCostMinor = JsonEncodedText.Encode("landedCostMinor");
        private static readonly JsonEncodedText DistanceKm = JsonEncodedText.Encode("distanceKm");

        private static readonly JsonConverter<MatchStatus> Statuses = (JsonConverter<MatchStatus>)MarketplaceJson.Options.GetConverter(typeof(MatchStatus));

        public override void Write(Utf8JsonWriter writer, MatchingSession value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            WriteString(writer, Id, value.Id);
            if (value.Proposal is { } p)
            {
                writer.WritePropertyName(Proposal);
                writer.WriteStartObject();
                WriteString(writer, LotId, p.LotId);
                WriteString(writer, SellerId, p.SellerId);
                WriteString(writer, DemandId, p.DemandId);
                WriteString(writer, BuyerId, p.BuyerId);
                writer.WriteNumber(Quantity, p.Quantity);
                WriteString(writer, Unit, p.Unit);
                writer.WriteNumber(LotQuantity, p.LotQuantity);
                WriteString(writer, LotUnit, p.LotUnit);
                WriteDouble(writer, LandedCostMinor, p.LandedCostMinor);
                WriteDouble(writer, DistanceKm, p.DistanceKm);
                writer.WriteEndObject();
            }

            writer.WritePropertyName(Status);
            Statuses.Write(writer, value.Status, MarketplaceJson.Options);
            WriteString(writer, Reason, value.Reason);
            WriteString(writer, HoldId, value.HoldId);
            WriteString(writer, OrderId, value.OrderId);
            writer.WriteNumber(FailedCheckouts, value.FailedCheckouts);
            WriteString(writer, AcceptingHoldId, value.AcceptingHoldId);
            writer.WriteNumber(Round, value.Round);
            writer.WriteString(ProposedAt, value.ProposedAt);
            writer.WriteString(ExpiresAt, value.ExpiresAt);
            writer.WriteString(UpdatedAt, value.UpdatedAt);
            writer.WriteNumber(Version, value.Version);
            if (value.Outbox is { } outbox)
            {
                writer.WritePropertyName(Outbox);
                writer.WriteStartArray();
                foreach (var e in outbox)
                {
                    // An event nests (its firms, its resource): the serializer's own, each a root of its own.
                    JsonSerializer.Serialize(writer, e, MarketplaceJson.Options);
                }

                writer.WriteEndArray();
            }

            writer.WriteBoolean(Exists, value.Exists);
            writer.WriteBoolean(IsOpen, value.IsOpen);
            writer.WriteEndObject();
        }

        private static void WriteString(Utf8JsonWriter writer, JsonEncodedText name, string? value)
        {
            if (value is not null)
            {
                writer.WriteString(name, value);
            }
        }
    }

    private sealed class MatchExpiryPageWriter : Writer<MatchExpiryPage>
    {
        private static readonly JsonEncodedText Sessions = JsonEncodedText.Encode("sessions");
        private static readonly JsonEncodedText SessionId = JsonEncodedText.Encode("sessionId");
        private static readonly JsonEncodedText ExpiresAt = JsonEncodedText.Encode("expiresAt");

        public override void Write(Utf8JsonWriter writer, MatchExpiryPage value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            if (value.Sessions is { } sessions)
            {
                writer.WritePropertyName(Sessions);
                writer.WriteStartArray();
                foreach (var s in sessions)
                {
                    if (s is null)
                    {
                        writer.WriteNullValue();
                        continue;
                    }

                    writer.WriteStartObject();
                    if (s.SessionId is not null)
                    {
                        writer.WriteString(SessionId, s.SessionId);
                    }

                    writer.WriteString(ExpiresAt, s.ExpiresAt);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }
    }

    private sealed class CellChangesWriter : Writer<CellChanges>
    {
        private static readonly JsonEncodedText Members = JsonEncodedText.Encode("members");
        private static readonly JsonEncodedText Member = JsonEncodedText.Encode("member");
        private static readonly JsonEncodedText JoiningSince = JsonEncodedText.Encode("joiningSince");

        public override void Write(Utf8JsonWriter writer, CellChanges value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            if (value.Members is { } members)
            {
                writer.WritePropertyName(Members);
                WriteMap(writer, members, static (w, change) =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean(Member, change.Member);
                    if (change.JoiningSince is { } since)
                    {
                        w.WriteString(JoiningSince, since);
                    }

                    w.WriteEndObject();
                });
            }

            writer.WriteEndObject();
        }
    }

    private sealed class InboxEntriesWriter : Writer<Dictionary<string, InboxEntry>>
    {
        private static readonly JsonEncodedText Version = JsonEncodedText.Encode("version");
        private static readonly JsonEncodedText UpdatedAt = JsonEncodedText.Encode("updatedAt");

        public override void Write(Utf8JsonWriter writer, Dictionary<string, InboxEntry> value, JsonSerializerOptions options)
            => WriteMap(writer, value, static (w, entry) =>
            {
                w.WriteStartObject();
                w.WriteNumber(Version, entry.Version);
                w.WriteString(UpdatedAt, entry.UpdatedAt);
                w.WriteEndObject();
            });
    }

    private sealed class TraderLotChangesWriter : Writer<TraderLotChanges>
    {
        private static readonly JsonEncodedText Added = JsonEncodedText.Encode("added");
        private static readonly JsonEncodedText Statuses = JsonEncodedText.Encode("statuses");
        private static readonly JsonEncodedText Status = JsonEncodedText.Encode("status");
        private static readonly JsonEncodedText Version = JsonEncodedText.Encode("version");

        public override void Write(Utf8JsonWriter writer, TraderLotChanges value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            if (value.Added is { } added)
            {
                writer.WritePropertyName(Added);
                writer.WriteStartArray();
                foreach (var id in added)
                {
                    writer.WriteStringValue(id);
                }

                writer.WriteEndArray();
            }

            if (value.Statuses is { } statuses)
            {
                writer.WritePropertyName(Statuses);
                WriteMap(writer, statuses, static (w, listed) =>
                {
                    w.WriteStartObject();
                    if (listed.Status is not null)
                    {
                        w.WriteString(Status, listed.Status);
                    }

                    w.WriteNumber(Version, listed.Version);
                    w.WriteEndObject();
                });
            }

            writer.WriteEndObject();
        }
    }
}
