namespace Marketplace.Domain.Common;

/// <summary>How the API should answer a refused domain operation.</summary>
public enum DomainErrorKind
{
    /// <summary>The input is malformed or out of range (422, or 400 for syntax).</summary>
    Validation = 0,

    /// <summary>The input is fine but the current state forbids it (409).</summary>
    Conflict = 1,

    /// <summary>The thing does not exist, or the caller may not know it exists (404).</summary>
    NotFound = 2,

    /// <summary>The caller is known but may not do this (403).</summary>
    Forbidden = 3,
}

/// <summary>A refused domain operation with a stable machine-readable code.</summary>
/// <remarks>The API maps it to an RFC 9457 problem document in one place; <see cref="Code"/> becomes the problem's type.</remarks>
public sealed class DomainException : Exception
{
    /// <summary>Creates a refusal.</summary>
    public DomainException(
        string code,
        string message,
        DomainErrorKind kind,
        IReadOnlyDictionary<string, string[]>? errors = null,
        IReadOnlyDictionary<string, object?>? details = null)
        : base(message)
    {
        Code = code;
        Kind = kind;
        Errors = errors ?? new Dictionary<string, string[]>();
        Details = details ?? new Dictionary<string, object?>();
    }

    /// <summary>Stable kebab-case code, e.g. <c>hold-exceeds-available</c>.</summary>
    public string Code { get; }

    /// <summary>The class of refusal.</summary>
    public DomainErrorKind Kind { get; }

    /// <summary>Per-field messages, keyed by the JSON path of the field.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>Extra facts for the caller, e.g. the quantity still available.</summary>
    public IReadOnlyDictionary<string, object?> Details { get; }

    /// <summary>A refusal because the current state forbids the operation.</summary>
    public static DomainException Conflict(string code, string message, IReadOnlyDictionary<string, object?>? details = null)
        => new(code, message, DomainErrorKind.Conflict, details: details);

    /// <summary>A refusal because something does not exist.</summary>
    public static DomainException NotFound(string what, string id)
        => new($"{what}-not-found", $"No {what} with id '{id}' exists.", DomainErrorKind.NotFound,
            details: new Dictionary<string, object?> { ["id"] = id });

    /// <summary>A refusal because one field is invalid.</summary>
    public static DomainException Invalid(string field, string message)
        => new("validation-failed", message, DomainErrorKind.Validation, new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>A refusal because the caller may not act on this resource.</summary>
    public static DomainException Forbidden(string code, string message)
        => new(code, message, DomainErrorKind.Forbidden);
}
