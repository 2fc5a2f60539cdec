using System.Runtime.CompilerServices;

namespace Marketplace.Domain.Common;

/// <summary>Collects per-field validation messages and throws them together.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    /// <summary>True when nothing has been reported.</summary>
    public bool IsValid => _errors.Count == 0;

    /// <summary>Reports a message for a field when the condition fails.</summary>
    public Validation Require(bool condition, string field, string message)
    {
        if (!condition)
        {
            Add(field, message);
        }

        return this;
    }

    /// <summary>
    /// Reports a message for a field when the condition fails; the message, an interpolated string, is formatted only
    /// then (every lot and demand written is validated, and valid ones formatted their messages for nothing).
    /// </summary>
    public Validation Require(bool condition, string field, [InterpolatedStringHandlerArgument(nameof(condition))] ref FailureMessage message)
    {
        if (!condition)
        {
            Add(field, message.ToStringAndClear());
        }

        return this;
    }

    /// <summary>Reports a message for a field.</summary>
    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            list = [];
            _errors[field] = list;
        }

        list.Add(message);
    }

    /// <summary>Checks a required text field's presence and length.</summary>
    public Validation Text(string? value, string field, int maxLength, bool required = true)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                Add(field, $"The {field} must not be empty.");
            }
        }
        else if (value.Length > maxLength)
        {
            Add(field, $"The {field} must be at most {maxLength} characters (it has {value.Length}).");
        }
        else if (InvalidCharacterAt(value) is { } at)
        {
            Add(field, $"The {field} must not contain control characters (U+{(int)value[at]:X4} at position {at + 1}); tabs and line breaks are fine.");
        }

        return this;
    }

    /// <summary>
    /// A value quoted back in a message, cut to its first 40 characters: a refused 100,000-character value is named, not
    /// echoed whole into every answer and page that shows the message.
    /// </summary>
    public static string Quoted(string? value) => value is { Length: > 40 } ? value[..40] + "…" : value ?? "";

    /// <summary>
    /// The index of the first character text must not carry, or null: control characters other than tab, line feed and
    /// carriage return (C0, DEL and the C1 range U+0080–U+009F), U+FFFE and U+FFFF, and halves of surrogate pairs. They show as nothing, and documents made from
    /// the text (a Finvoice e-invoice is XML) cannot carry them. Also the text-direction embeddings, overrides and isolates
    /// (U+202A–U+202E, U+2066–U+2069), which make a title or an address read as something else (spoofing); the direction
    /// marks U+200E and U+200F stay allowed.
    /// </summary>
    public static int? InvalidCharacterAt(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if ((c < ' ' && c is not ('\t' or '\n' or '\r')) || c is >= '\u007F' and <= '\u009F' || c is '\uFFFE' or '\uFFFF' || char.IsSurrogate(c)
                || c is >= '\u202A' and <= '\u202E' || c is >= '\u2066' and <= '\u2069')
            {
                return i;
            }
        }

        return null;
    }

    /// <summary>Throws a <see cref="DomainException"/> of kind validation when anything was reported.</summary>
    public void ThrowIfInvalid(string message = "The request has invalid fields.")
    {
        if (!IsValid)
        {
            throw new DomainException(
                "validation-failed",
                message,
                DomainErrorKind.Validation,
                _errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal));
        }
    }
}

/// <summary>
/// An interpolated message of <see cref="Validation.Require(bool, string, ref FailureMessage)"/>: formatted (as a string
/// argument would be, in the current culture) only when the condition failed.
/// </summary>
[InterpolatedStringHandler]
public ref struct FailureMessage
{
    private DefaultInterpolatedStringHandler _text;

    /// <summary>Starts the message; nothing is appended when <paramref name="condition"/> holds.</summary>
    public FailureMessage(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
    {
        shouldAppend = !condition;
        _text = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    /// <summary>Appends literal text.</summary>
    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    /// <summary>Appends a value.</summary>
    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    /// <summary>Appends a value in a format.</summary>
    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);

    /// <summary>Appends a value aligned.</summary>
    public void AppendFormatted<T>(T value, int alignment) => _text.AppendFormatted(value, alignment);

    /// <summary>Appends a value aligned, in a format.</summary>
    public void AppendFormatted<T>(T value, int alignment, string? format) => _text.AppendFormatted(value, alignment, format);

    /// <summary>Appends characters.</summary>
    public void AppendFormatted(scoped ReadOnlySpan<char> value) => _text.AppendFormatted(value);

    /// <summary>Appends a string.</summary>
    public void AppendFormatted(string? value) => _text.AppendFormatted(value);

    /// <summary>The message, once.</summary>
    internal string ToStringAndClear() => _text.ToStringAndClear();
}
