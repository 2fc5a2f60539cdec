using Marketplace.Domain.Orders;
using Marketplace.Host.Api.Orders;

namespace Marketplace.Host.Api.TransferDocuments;

/// <summary>A firm on a transfer document.</summary>
/// <param name="TraderId">The marketplace firm; null for a carrier that is not on the marketplace.</param>
/// <param name="Name">Registered name.</param>
/// <param name="BusinessId">Finnish business id (Y-tunnus).</param>
public sealed record TransferPartyDto(string? TraderId, string Name, string BusinessId);

/// <summary>The waste holder: the seller, with its contact.</summary>
/// <param name="TraderId">The selling firm.</param>
/// <param name="Name">Registered name.</param>
/// <param name="BusinessId">Finnish business id (Y-tunnus).</param>
/// <param name="ContactPerson">Contact person, if given.</param>
/// <param name="Email">Contact email.</param>
/// <param name="Phone">Contact phone, if given.</param>
public sealed record TransferHolderDto(string? TraderId, string Name, string BusinessId, string? ContactPerson, string? Email, string? Phone);

/// <summary>The waste and how much of it changes hands.</summary>
/// <param name="Description">What the waste is (the lot's title unless corrected).</param>
/// <param name="Category">Taxonomy category slug.</param>
/// <param name="WasteCode">European List of Waste code, e.g. <c>17 01 02</c>.</param>
/// <param name="Hazardous">True when the code is a hazardous entry (marked with an asterisk).</param>
/// <param name="Quantity">Quantity in <paramref name="Unit"/>: the order's.</param>
/// <param name="Unit">Unit code.</param>
/// <param name="MassKg">Mass in kg, when known.</param>
public sealed record TransferWasteDto(string Description, string Category, string WasteCode, bool Hazardous, decimal Quantity, string Unit, decimal? MassKg);

/// <summary>The site the waste leaves.</summary>
public sealed record TransferSiteDto(string? Address, string Municipality, double Latitude, double Longitude);

/// <summary>The carrier and which side it is.</summary>
/// <param name="TraderId">The marketplace firm, if it is one.</param>
/// <param name="Name">Registered name.</param>
/// <param name="BusinessId">Finnish business id.</param>
/// <param name="CarriedBy"><c>buyer</c> (pickup), <c>seller</c> (delivery) or <c>other</c> (a carrier the parties named).</param>
public sealed record TransferTransporterDto(string? TraderId, string Name, string BusinessId, string CarriedBy);

/// <summary>One side's signature.</summary>
/// <param name="TraderId">The firm that signed.</param>
/// <param name="SignedBy">The token subject (person or API client) that signed.</param>
/// <param name="SignedAt">When.</param>
public sealed record TransferSignatureDto(string TraderId, string SignedBy, DateTimeOffset SignedAt);

/// <summary>The two signatures: the holder's (seller) and the receiver's (buyer); null until given.</summary>
public sealed record TransferSignaturesDto(TransferSignatureDto? Holder, TransferSignatureDto? Receiver);

/// <summary>An electronic waste transfer document (siirtoasiakirja, Waste Act 646/2011 §121) of a waste lot's order.</summary>
/// <param name="Id">Document id (<c>SA-</c> and the order id).</param>
/// <param name="OrderId">The order.</param>
/// <param name="Status"><c>awaiting-signatures</c>, or <c>signed</c> once both sides have signed (then it never changes).</param>
/// <param name="Holder">The waste holder: the seller.</param>
/// <param name="Waste">The waste, its code and quantity.</param>
/// <param name="Origin">The site it leaves (the lot's address).</param>
/// <param name="Transporter">Who carries it.</param>
/// <param name="Receiver">The receiver: the buyer.</param>
/// <param name="Destination">Where it goes (the order's address).</param>
/// <param name="HandoverDate">The handover date (Helsinki).</param>
/// <param name="HandedOverAt">The handover instant.</param>
/// <param name="Signatures">Both sides' signatures.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="Version">Counts changes.</param>
public sealed record TransferDocumentResponse(string Id, string OrderId, string Status, TransferHolderDto Holder, TransferWasteDto Waste, TransferSiteDto Origin,
    TransferTransporterDto Transporter, TransferPartyDto Receiver, OrderAddressDto Destination, DateOnly HandoverDate, DateTimeOffset HandedOverAt,
    TransferSignaturesDto Signatures, DateTimeOffset UpdatedAt, long Version)
{
    /// <summary>The API shape of a document.</summary>
    public static TransferDocumentResponse From(TransferDocument d) => new(d.Id, d.OrderId, d.Status,
        new TransferHolderDto(d.Holder.TraderId, d.Holder.Name, d.Holder.BusinessId, d.HolderContact?.Person, d.HolderContact?.Email, d.HolderContact?.Phone),
        new TransferWasteDto(d.Waste.Description, d.Waste.Category, d.Waste.WasteCode, d.Waste.Hazardous, d.Waste.Quantity, d.Waste.Unit, d.Waste.MassKg),
        new TransferSiteDto(d.Origin.Address, d.Origin.Municipality, d.Origin.Latitude, d.Origin.Longitude),
        new TransferTransporterDto(d.Transporter.TraderId, d.Transporter.Name, d.Transporter.BusinessId, d.CarriedBy),
        new TransferPartyDto(d.Receiver.TraderId, d.Receiver.Name, d.Receiver.BusinessId),
        new OrderAddressDto(d.Destination.Address, d.Destination.PostalCode, d.Destination.Municipality, d.Destination.Latitude, d.Destination.Longitude),
        d.HandoverDate, d.HandedOverAt,
        new TransferSignaturesDto(Signature(d.HolderSignature), Signature(d.ReceiverSignature)), d.UpdatedAt, d.Version);

    private static TransferSignatureDto? Signature(TransferSignature? s) => s is null ? null : new TransferSignatureDto(s.TraderId, s.Subject, s.SignedAt);
}

/// <summary>A correction of an unsigned transfer document; a signature already given is voided.</summary>
/// <param name="Transporter">Another carrier (name and business id), e.g. a haulier that is not on the marketplace.</param>
/// <param name="Description">A fuller description of the waste (at most 500 characters).</param>
public sealed record TransferDocumentChangeRequest(TransferPartyRequest? Transporter, string? Description)
{
    /// <summary>The change as the domain takes it.</summary>
    public TransferChanges ToChanges() => new(Transporter is { } t ? new TransferPartyInput(t.Name, t.BusinessId) : null, Description);
}

/// <summary>A carrier: registered name and Finnish business id.</summary>
public sealed record TransferPartyRequest(string? Name, string? BusinessId);
