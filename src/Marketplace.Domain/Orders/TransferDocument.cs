using System.Text.Json.Serialization;
using Marketplace.Domain.Common;
using Marketplace.Domain.Traders;

namespace Marketplace.Domain.Orders;

/// <summary>A firm named on a transfer document: the marketplace firm (if any), its registered name and business id (Y-tunnus).</summary>
/// <param name="TraderId">The marketplace firm; null for a carrier that is not on the marketplace.</param>
/// <param name="Name">Registered name.</param>
/// <param name="BusinessId">Finnish business id.</param>
public sealed record TransferParty(string? TraderId, string Name, string BusinessId);

/// <summary>The waste holder's contact (the seller's contact person, email and phone at handover).</summary>
public sealed record TransferContact(string? Person, string? Email, string? Phone);

/// <summary>Who signed one side of a transfer document, for which firm, and when.</summary>
/// <param name="Subject">The token subject (a person or an API client) that signed.</param>
/// <param name="TraderId">The firm it signed for.</param>
/// <param name="SignedAt">When.</param>
public sealed record TransferSignature(string Subject, string TraderId, DateTimeOffset SignedAt);

/// <summary>The waste: what it is, its List of Waste code and how much changes hands.</summary>
/// <param name="Description">The lot's title as ordered.</param>
/// <param name="Category">The taxonomy category slug.</param>
/// <param name="WasteCode">European List of Waste code, e.g. <c>17 01 02</c>; an asterisk marks hazardous waste.</param>
/// <param name="Quantity">Quantity in <paramref name="Unit"/>: the order's quantity.</param>
/// <param name="Unit">The lot's unit code.</param>
/// <param name="MassKg">Mass, kg, when the lot's mass per unit is known (or its unit is a mass).</param>
public sealed record TransferWaste(string Description, string Category, string WasteCode, decimal Quantity, string Unit, decimal? MassKg)
{
    /// <summary>True for a hazardous entry of the List of Waste (code marked with an asterisk).</summary>
    [JsonIgnore]
    public bool Hazardous => WasteCode.EndsWith('*');
}

/// <summary>The site the waste leaves: the lot's address as ordered.</summary>
public sealed record TransferSite(string? Address, string Municipality, double Latitude, double Longitude);

/// <summary>What the firms are at handover, read by the order's grain from the two firms (the document keeps a copy).</summary>
/// <param name="Seller">The selling firm (the waste holder).</param>
/// <param name="Buyer">The buying firm (the receiver).</param>
/// <param name="SellerContact">The seller's contact.</param>
public sealed record TransferParties(TransferParty Seller, TransferParty Buyer, TransferContact? SellerContact)
{
    /// <summary>The parties from the two firms' profiles.</summary>
    public static TransferParties From(Trader seller, Trader buyer) => new(
        new TransferParty(seller.Id, seller.Profile?.Name ?? seller.Id, seller.Profile?.BusinessId ?? ""),
        new TransferParty(buyer.Id, buyer.Profile?.Name ?? buyer.Id, buyer.Profile?.BusinessId ?? ""),
        seller.Profile?.Contact is { } c ? new TransferContact(c.Person, c.Email, c.Phone) : null);
}

/// <summary>A change to an unsigned transfer document (null members stay): another carrier, or a fuller description.</summary>
/// <param name="Transporter">The carrier, e.g. a haulier that is not on the marketplace.</param>
/// <param name="Description">The waste's description.</param>
public sealed record TransferChanges(TransferPartyInput? Transporter, string? Description);

/// <summary>A carrier as given in a change (unvalidated).</summary>
public sealed record TransferPartyInput(string? Name, string? BusinessId);

/// <summary>
/// The electronic waste transfer document (siirtoasiakirja) of a waste lot's order, as the Waste Act (646/2011, §121)
/// and the government decree on waste (978/2021) ask: the holder, the waste and its List of Waste code, quantity and
/// unit, the site it leaves, the carrier, the receiver and destination, the handover date and the two signatures.
/// Made at handover from the order; either side may correct the carrier or the description until both have signed
/// (a correction voids a signature already given); once both have signed it never changes.
/// </summary>
/// <param name="Id">Document id: <c>SA-</c> and the order id (one document per order).</param>
/// <param name="OrderId">The order.</param>
/// <param name="Holder">The waste holder: the seller.</param>
/// <param name="HolderContact">The holder's contact.</param>
/// <param name="Waste">The waste and its quantity.</param>
/// <param name="Origin">The site the waste leaves.</param>
/// <param name="Transporter">The carrier: the buyer for a pickup, the seller for a delivery, unless corrected.</param>
/// <param name="Receiver">The receiver: the buyer.</param>
/// <param name="Destination">Where the waste goes: the order's address.</param>
/// <param name="HandoverDate">The handover date (Helsinki).</param>
/// <param name="HandedOverAt">The handover instant.</param>
/// <param name="HolderSignature">The seller's signature.</param>
/// <param name="ReceiverSignature">The buyer's signature.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="Version">Counts changes.</param>
public sealed record TransferDocument(string Id, string OrderId, TransferParty Holder, TransferContact? HolderContact, TransferWaste Waste,
    TransferSite Origin, TransferParty Transporter, TransferParty Receiver, OrderAddress Destination, DateOnly HandoverDate,
    DateTimeOffset HandedOverAt, TransferSignature? HolderSignature, TransferSignature? ReceiverSignature, DateTimeOffset UpdatedAt, long Version)
{
    /// <summary>Longest description.</summary>
    public const int MaxDescriptionLength = 500;

    /// <summary>True once both sides have signed: the document no longer changes.</summary>
    [JsonIgnore]
    public bool IsSigned => HolderSignature is not null && ReceiverSignature is not null;

    /// <summary><c>signed</c> or <c>awaiting-signatures</c>.</summary>
    [JsonIgnore]
    public string Status => IsSigned ? "signed" : "awaiting-signatures";

    /// <summary>Who carries the waste: <c>buyer</c>, <c>seller</c> or <c>other</c>.</summary>
    [JsonIgnore]
    public string CarriedBy => Transporter.TraderId == Receiver.TraderId ? "buyer" : Transporter.TraderId == Holder.TraderId ? "seller" : "other";

    /// <summary>The document id of an order.</summary>
    public static string IdFor(string orderId) => "SA-" + orderId;

    /// <summary>The document of an order at handover, or null when the lot is not waste (it carries no List of Waste code).</summary>
    public static TransferDocument? ForHandover(Order order, TransferParties? parties, DateTimeOffset now)
    {
        if (order.Lot is not { WasteCode: { } code } lot)
        {
            return null;
        }

        ArgumentNullException.ThrowIfNull(parties);
        var destination = order.Address!;
        return new TransferDocument(IdFor(order.Id), order.Id, parties.Seller, parties.SellerContact,
            new TransferWaste(lot.Title, lot.Category, code, order.Quantity, lot.Unit, order.MassKg),
            new TransferSite(lot.Address, lot.Municipality, lot.Latitude, lot.Longitude),
            order.Fulfilment == Fulfilment.Delivery ? parties.Seller : parties.Buyer,
            parties.Buyer, destination, MarketClock.Today(now), now, null, null, now, 1);
    }

    /// <summary>
    /// The document signed by <paramref name="actor"/>'s side (the seller as holder, the buyer as receiver); the same
    /// document when that side has signed already. 409 <c>transfer-document-signed</c> once both have.
    /// </summary>
    public TransferDocument Sign(OrderActor actor, DateTimeOffset now)
    {
        EnsureOpen();
        var signature = new TransferSignature(actor.Subject, actor.TraderId!, now);
        if (actor.TraderId == Holder.TraderId)
        {
            return HolderSignature is not null ? this : this with { HolderSignature = signature, UpdatedAt = now, Version = Version + 1 };
        }

        if (actor.TraderId == Receiver.TraderId)
        {
            return ReceiverSignature is not null ? this : this with { ReceiverSignature = signature, UpdatedAt = now, Version = Version + 1 };
        }

        throw DomainException.Forbidden("party-only", "Only the seller (the waste holder) and the buyer (the receiver) sign the transfer document.");
    }

    /// <summary>The document corrected (carrier, description); a signature already given is voided, since it was for the old text.</summary>
    public TransferDocument Change(TransferChanges changes, DateTimeOffset now)
    {
        EnsureOpen();
        var v = new Validation();
        // Absent keeps the description; given, it must say something (a document without a waste description is no document).
        v.Text(changes.Description, "description", MaxDescriptionLength, required: changes.Description is not null);
        if (changes.Transporter is { } t)
        {
            v.Text(t.Name, "transporter.name", 200);
            v.Require(BusinessId.IsValid(t.BusinessId), "transporter.businessId", "A Finnish business id has seven digits, a hyphen and a valid check digit, e.g. 1572860-0.");
        }

        v.ThrowIfInvalid();
        var transporter = changes.Transporter is { } given
            ? new[] { Holder, Receiver }.FirstOrDefault(p => p.BusinessId == given.BusinessId) ?? new TransferParty(null, given.Name!.Trim(), given.BusinessId!)
            : Transporter;
        var changed = this with
        {
            Transporter = transporter,
            Waste = changes.Description is { } d ? Waste with { Description = d.Trim() } : Waste,
        };
        return changed == this ? this : changed with { HolderSignature = null, ReceiverSignature = null, UpdatedAt = now, Version = Version + 1 };
    }

    private void EnsureOpen()
    {
        if (IsSigned)
        {
            throw DomainException.Conflict("transfer-document-signed", "Both sides have signed this transfer document: it can no longer change.",
                new Dictionary<string, object?> { ["documentId"] = Id });
        }
    }
}
