using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SkiaSharp;

namespace Marketplace.Host.Tests.Photos;

/// <summary>Images made in memory for the photo tests: real encodings, one with private metadata, and a decompression bomb.</summary>
internal static class TestImages
{
    /// <summary>Text hidden in an EXIF segment; no stored photo may carry it.</summary>
    public const string SecretMetadata = "GPS 60.1699N 24.9384E secret-site";

    /// <summary>A picture of <paramref name="width"/> × <paramref name="height"/> encoded as <paramref name="format"/>.</summary>
    public static byte[] Encoded(int width, int height, SKEncodedImageFormat format)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.Clear(new SKColor(180, 60, 40));
        using var paint = new SKPaint { Color = SKColors.SteelBlue };
        surface.Canvas.DrawRect(0, 0, width / 2f, height / 2f, paint);
        using var image = surface.Snapshot();
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>A picture of seeded random pixels (which no encoder can shrink to nothing), encoded as <paramref name="format"/>.</summary>
    public static byte[] Noise(int width, int height, SKEncodedImageFormat format)
    {
        var random = new Random(42);
        using var bitmap = new SKBitmap(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            }
        }

        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>A JPEG whose APP1 (EXIF) segment carries <see cref="SecretMetadata"/>.</summary>
    public static byte[] JpegWithMetadata(int width, int height)
    {
        var jpeg = Encoded(width, height, SKEncodedImageFormat.Jpeg);
        var payload = Encoding.ASCII.GetBytes("Exif\0\0" + SecretMetadata);
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return [.. jpeg[..2], .. segment, .. jpeg[2..]];
    }

    /// <summary>A valid PNG header announcing <paramref name="side"/> × <paramref name="side"/> pixels over a few hundred bytes: decoding it would take gigabytes.</summary>
    public static byte[] PngBomb(int side)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = 8; // bit depth
        header[9] = 2; // RGB
        Chunk(png, "IHDR", header);
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(new byte[64 * 1024]);
        }

        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>The width and height of an encoded image.</summary>
    public static (int Width, int Height) SizeOf(byte[] encoded)
    {
        using var codec = SKCodec.Create(SKData.CreateCopy(encoded));
        return (codec.Info.Width, codec.Info.Height);
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
