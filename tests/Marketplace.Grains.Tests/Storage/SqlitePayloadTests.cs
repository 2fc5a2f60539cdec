using Marketplace.Grains.Storage;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>The SQLite storage binds the serializer's bytes as they are, and copies only what is not a whole array.</summary>
public sealed class SqlitePayloadTests
{
    [Fact]
    public void Payload_OfAWholeArray_IsThatArray_NotACopy()
    {
        var serialized = MarketplaceStorageSerializer.Instance.Serialize(new Dictionary<string, int> { ["a"] = 1 });

        var payload = SqliteGrainStorage.Bytes(serialized);

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(serialized.ToMemory(), out var segment));
        Assert.Same(segment.Array, payload);
        Assert.Equal(serialized.ToArray(), payload);
    }

    [Fact]
    public void Payload_OfPartOfAnArray_IsACopyOfThatPart()
    {
        var array = "x{\"a\":1}y"u8.ToArray();

        var payload = SqliteGrainStorage.Bytes(new BinaryData(new ReadOnlyMemory<byte>(array, 1, array.Length - 2)));

        Assert.NotSame(array, payload);
        Assert.Equal("{\"a\":1}"u8.ToArray(), payload);
    }
}
