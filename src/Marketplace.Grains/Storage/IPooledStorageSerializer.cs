using Orleans.Storage;

namespace Marketplace.Grains.Storage;

/// <summary>
/// A grain storage serializer that also writes a state into a pooled array and reads one from bytes held elsewhere: a
/// storage that copies the bytes itself (SQLite binds a blob by copying it, and hands a row's bytes out until its
/// statement moves on) then allocates no array per state written or read.
/// </summary>
public interface IPooledStorageSerializer : IGrainStorageSerializer
{
    /// <summary>
    /// The state's bytes in an array of <see cref="System.Buffers.ArrayPool{T}.Shared"/> (its first
    /// <paramref name="length"/> bytes); the caller gives it back there once done with them.
    /// </summary>
    byte[] SerializePooled<T>(T? input, out int length);

    /// <summary>A state from bytes the caller holds: they are parsed, not kept.</summary>
    T Deserialize<T>(ReadOnlySpan<byte> input);
}
