namespace Marketplace.Host.Web.Pages.Sell;

/// <summary>A photo just uploaded (<c>POST /listings/{id}/photos</c>).</summary>
public sealed record PhotoAddedDoc(string Url, string ThumbnailUrl, IReadOnlyList<string> Photos);

/// <summary>A lot as its seller sees it: what the pages need beyond <see cref="LotDoc"/>.</summary>
public sealed record OwnLotDoc(string Id, string Status, ModerationDoc? Hidden);

/// <summary>Why and when a platform admin hid something.</summary>
public sealed record ModerationDoc(string Reason, DateTimeOffset At);
