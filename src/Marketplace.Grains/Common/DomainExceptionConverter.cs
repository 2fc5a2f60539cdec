using System.Text.Json;
using Marketplace.Domain.Common;

namespace Marketplace.Grains.Common;

/// <summary>Wire form of <see cref="DomainException"/>, so a refusal inside a grain reaches the API with its code and details intact.</summary>
[GenerateSerializer]
public struct DomainExceptionSurrogate
{
    /// <summary>Stable code.</summary>
    [Id(0)] public string Code;

    /// <summary>Human-readable message.</summary>
    [Id(1)] public string Message;

    /// <summary>Kind as an integer.</summary>
    [Id(2)] public int Kind;

    /// <summary>Per-field messages as JSON.</summary>
    [Id(3)] public string ErrorsJson;

    /// <summary>Details as JSON.</summary>
    [Id(4)] public string DetailsJson;
}

/// <summary>Converts <see cref="DomainException"/> to and from its surrogate.</summary>
[RegisterConverter]
public sealed class DomainExceptionConverter : IConverter<DomainException, DomainExceptionSurrogate>
{
    /// <inheritdoc />
    public DomainException ConvertFromSurrogate(in DomainExceptionSurrogate surrogate)
        => new(
            surrogate.Code,
            surrogate.Message,
            (DomainErrorKind)surrogate.Kind,
            JsonSerializer.Deserialize<Dictionary<string, string[]>>(surrogate.ErrorsJson),
            JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(surrogate.DetailsJson)?
                .ToDictionary(kv => kv.Key, kv => (object?)kv.Value));

    /// <inheritdoc />
    public DomainExceptionSurrogate ConvertToSurrogate(in DomainException value)
        => new()
        {
            Code = value.Code,
            Message = value.Message,
            Kind = (int)value.Kind,
            ErrorsJson = JsonSerializer.Serialize(value.Errors),
            DetailsJson = JsonSerializer.Serialize(value.Details),
        };
}
