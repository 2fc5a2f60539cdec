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

        return this;
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
