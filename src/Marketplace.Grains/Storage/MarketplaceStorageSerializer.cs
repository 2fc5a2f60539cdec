using System.Text.Json;
using Marketplace.Grains.Common;
using Orleans.Storage;

namespace Marketplace.Grains.Storage;

/// <summary>Stores grain state as readable JSON in <see cref="MarketplaceJson"/>'s shape, whichever provider holds it.</summary>
public sealed class MarketplaceStorageSerializer : IGrainStorageSerializer
{
    /// <summary>The shared instance.</summary>
    public static MarketplaceStorageSerializer Instance { get; } = new();

    /// <inheritdoc />
    public BinaryData Serialize<T>(T? input) => new(JsonSerializer.SerializeToUtf8Bytes(input, MarketplaceJson.Options));

    /// <inheritdoc />
    public T Deserialize<T>(BinaryData input) => input.ToObjectFromJson<T>(MarketplaceJson.Options)!;
}
