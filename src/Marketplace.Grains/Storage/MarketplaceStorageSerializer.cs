using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Marketplace.Grains.Common;
using Orleans.Storage;

namespace Marketplace.Grains.Storage;

/// <summary>
/// Stores grain state as readable JSON in <see cref="MarketplaceJson"/>'s shape, whichever provider holds it. States of
/// types in <see cref="StateSchemas"/> carry their schema version (<see cref="SchemaProperty"/>), and one stored in an
/// older shape is upgraded as it is read; one stored by a newer version of the code is refused rather than read with
/// its new fields dropped.
/// </summary>
public sealed class MarketplaceStorageSerializer(StateSchemas schemas) : IPooledStorageSerializer
{
    /// <summary>The top-level property holding a state's schema version.</summary>
    public const string SchemaProperty = "schemaVersion";

    /// <summary>The shared instance, with the marketplace's schemas.</summary>
    public static MarketplaceStorageSerializer Instance { get; } = new(StateSchemas.Default);

    /// <summary>A buffer that grew past this is not kept, so one large state does not stay held by every thread that wrote it.</summary>
    private const int KeptBufferBytes = 1 << 20;

    /// <summary>What <see cref="JsonSerializer.SerializeToUtf8Bytes{T}(T, JsonSerializerOptions)"/> would take from the options.</summary>
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = MarketplaceJson.Options.Encoder,
        Indented = MarketplaceJson.Options.WriteIndented,
        MaxDepth = MarketplaceJson.Options.MaxDepth,
    };

    /// <summary>A reused buffer per thread, so that a write allocates only the stored bytes (not a growing buffer and a copy).</summary>
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    /// <summary>A reused JSON writer per thread, pointed at <see cref="_buffer"/> on each write.</summary>
    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    /// <inheritdoc />
    public BinaryData Serialize<T>(T? input) => new(Serialize(input, static size => new byte[size], out _));

    /// <inheritdoc />
    public byte[] SerializePooled<T>(T? input, out int length) => Serialize(input, static size => ArrayPool<byte>.Shared.Rent(size), out length);

    private byte[] Serialize<T>(T? input, Func<int, byte[]> allocate, out int length)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        try
        {
            var writer = _writer ??= new Utf8JsonWriter(buffer, WriterOptions);
            writer.Reset(buffer);
            JsonSerializer.Serialize(writer, input, StateWriters.Options);
            writer.Flush();

            var json = buffer.WrittenSpan;
            if (schemas.Of(typeof(T)) is not { } schema || json is not [(byte)'{', ..])
            {
                var plain = allocate(length = json.Length);
                json.CopyTo(plain);
                return plain;
            }

            // Spliced in first, rather than going through a JSON tree: this is on every write.
            // The prefix is formatted on the stack: a string and its bytes per write were garbage at once.
            Span<byte> version = stackalloc byte[64];
            if (!System.Text.Unicode.Utf8.TryWrite(version, CultureInfo.InvariantCulture, $"{{\"{SchemaProperty}\":{schema.Current}{(json is [_, (byte)'}', ..] ? "" : ",")}", out var written))
            {
                throw new InvalidOperationException($"The schema prefix of {typeof(T).Name} does not fit 64 bytes.");
            }

            var stored = allocate(length = written + json.Length - 1);
            version[..written].CopyTo(stored);
            json[1..].CopyTo(stored.AsSpan(written));
            return stored;
        }
        finally
        {
            if (buffer.Capacity > KeptBufferBytes)
            {
                (_buffer, _writer) = (null, null);
            }
        }
    }

    /// <inheritdoc />
    public T Deserialize<T>(BinaryData input) => Deserialize<T>(input.ToMemory().Span);

    /// <inheritdoc />
    public T Deserialize<T>(ReadOnlySpan<byte> input)
    {
        if (schemas.Of(typeof(T)) is not { } schema)
        {
            return JsonSerializer.Deserialize<T>(input, MarketplaceJson.Options)!;
        }

        var stored = StoredVersion(input);
        if (stored == schema.Current)
        {
            return JsonSerializer.Deserialize<T>(input, MarketplaceJson.Options)!;
        }

        if (stored > schema.Current)
        {
            throw new InvalidOperationException(
                $"A stored {typeof(T).Name} has schema version {stored}, newer than this code's {schema.Current}: it was written by a newer version of the marketplace.");
        }

        var state = JsonNode.Parse(input)!.AsObject();
        for (var version = stored; version < schema.Current; version++)
        {
            state = schema.Upgrades[version - 1](state);
        }

        state.Remove(SchemaProperty);
        return state.Deserialize<T>(MarketplaceJson.Options)!;
    }

    /// <summary>The stored top-level schema version; 1 when there is none (stored before versions existed).</summary>
    private static int StoredVersion(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return 1;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isVersion = reader.ValueTextEquals(SchemaProperty);
            reader.Read();
            if (isVersion)
            {
                return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var version) ? version : 1;
            }

            reader.Skip();
        }

        return 1;
    }
}
