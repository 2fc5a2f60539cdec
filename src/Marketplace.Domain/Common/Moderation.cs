namespace Marketplace.Domain.Common;

/// <summary>A platform admin's decision to keep something out of public view: why, who and when.</summary>
/// <param name="Reason">Why, in words shown to the owner (1–500 characters, trimmed).</param>
/// <param name="By">The admin's token subject.</param>
/// <param name="At">When it was decided.</param>
public sealed record Moderation(string Reason, string By, DateTimeOffset At)
{
    /// <summary>Longest reason.</summary>
    public const int MaxReasonLength = 500;

    /// <summary>A validated decision; 422 <c>validation-failed</c> (<c>reason</c>) when the reason is missing or too long.</summary>
    public static Moderation Create(string? reason, string by, DateTimeOffset at)
    {
        new Validation().Text(reason?.Trim(), "reason", MaxReasonLength).ThrowIfInvalid();
        return new Moderation(reason!.Trim(), by, at);
    }
}
