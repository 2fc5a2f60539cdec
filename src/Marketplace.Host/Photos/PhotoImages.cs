using Marketplace.Domain.Common;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace Marketplace.Host.Photos;

/// <summary>A photo made fit to keep: a JPEG of at most the configured size, and its thumbnail.</summary>
/// <param name="Photo">The photo, JPEG.</param>
/// <param name="Thumbnail">The thumbnail, JPEG.</param>
/// <param name="Width">The photo's width in pixels.</param>
/// <param name="Height">The photo's height in pixels.</param>
public sealed record ProcessedPhoto(byte[] Photo, byte[] Thumbnail, int Width, int Height);

/// <summary>
/// Turns an upload into photos the marketplace serves: only JPEG, PNG and WebP (told by their first bytes, not by what
/// the client claims); the dimensions are read from the header and checked before any pixel is decoded, so a small file
/// that would decode to gigabytes is refused unread; the pixels are then decoded, turned upright (EXIF orientation),
/// scaled down and encoded again as JPEG, which leaves every byte of the original's metadata (location, camera) behind.
/// </summary>
public sealed class PhotoImages(IOptions<PhotoOptions> options)
{
    /// <summary>The content type of every stored photo.</summary>
    public const string ContentType = "image/jpeg";

    /// <summary>
    /// Decodes running at once: a photo at the pixel limit decodes to some 160 MB, and sixteen small uploads at once
    /// took a host past 4 GB. The others wait their turn (or their caller's cancellation).
    /// </summary>
    private readonly SemaphoreSlim _decoding = new(options.Value.MaxConcurrentDecodes);

    /// <summary>
    /// Processes an upload once a decode slot is free; 422 <c>unsupported-photo</c> for anything but a whole, readable
    /// JPEG, PNG or WebP, 422 <c>photo-too-large</c> beyond the limits.
    /// </summary>
    public async Task<ProcessedPhoto> ProcessAsync(byte[] upload, CancellationToken cancellationToken = default)
    {
        await _decoding.WaitAsync(cancellationToken);
        try
        {
            return Process(upload);
        }
        finally
        {
            _decoding.Release();
        }
    }

    /// <summary>Processes an upload now (see <see cref="ProcessAsync"/>, which bounds how many run at once).</summary>
    public ProcessedPhoto Process(byte[] upload)
    {
        var o = options.Value;
        if (upload.Length > o.MaxBytes)
        {
            throw Refused("photo-too-large", $"A photo may be at most {o.MaxBytes / (1024 * 1024.0):0.#} MiB; this one is {upload.Length / (1024 * 1024.0):0.#} MiB.");
        }

        if (!IsSupported(upload))
        {
            throw Refused("unsupported-photo", "Upload a JPEG, PNG or WebP photo.");
        }

        using var data = SKData.CreateCopy(upload);
        using var codec = SKCodec.Create(data) ?? throw Refused("unsupported-photo", "The photo could not be read: upload a JPEG, PNG or WebP photo.");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0 || (long)width * height > o.MaxPixels)
        {
            throw Refused("photo-too-large", $"A photo may have at most {o.MaxPixels:N0} pixels; this one is {width} × {height}.");
        }

        using var decoded = Decode(codec, o.MaxDimension);
        if (codec.EncodedOrigin is SKEncodedOrigin.TopLeft or SKEncodedOrigin.Default)
        {
            // Already upright: no second full-size copy.
            return new ProcessedPhoto(Encode(decoded, o.MaxDimension, o.JpegQuality, out var w0, out var h0), Encode(decoded, o.ThumbnailDimension, o.JpegQuality, out _, out _), w0, h0);
        }

        using var upright = Upright(decoded, codec.EncodedOrigin);
        return new ProcessedPhoto(Encode(upright, o.MaxDimension, o.JpegQuality, out var w, out var h), Encode(upright, o.ThumbnailDimension, o.JpegQuality, out _, out _), w, h);
    }

    /// <summary>JPEG (FF D8 FF), PNG (its 8-byte signature) or WebP (RIFF….WEBP).</summary>
    public static bool IsSupported(ReadOnlySpan<byte> b)
        => (b.Length > 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
            || (b.Length > 8 && b[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            || (b.Length > 12 && b[..4].SequenceEqual("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8));

    /// <summary>
    /// Decodes the pixels, at the smallest size the codec offers that still covers <paramref name="maxSide"/> (JPEG
    /// decodes in eighths and WebP at any scale, so a 40-megapixel JPEG needs a few megapixels of memory, not 160 MB;
    /// PNG decodes whole). A file that ends early is refused rather than stored with a blank part.
    /// </summary>
    private static SKImage Decode(SKCodec codec, int maxSide)
    {
        var size = codec.Info.Size;
        var wanted = Math.Min(1f, (float)maxSide / Math.Max(size.Width, size.Height));
        var scaled = codec.GetScaledDimensions(wanted);
        if (Math.Max(scaled.Width, scaled.Height) < Math.Min(maxSide, Math.Max(size.Width, size.Height)))
        {
            // Smaller than the stored photo needs (a codec rounding down): decode whole instead.
            scaled = size;
        }

        var info = new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result == SKCodecResult.InvalidScale && scaled != size)
        {
            return Decode(codec, int.MaxValue);
        }

        if (result == SKCodecResult.IncompleteInput)
        {
            throw Refused("unsupported-photo", "The photo file is incomplete (it ends before its last pixels): upload it again.");
        }

        if (result != SKCodecResult.Success)
        {
            throw Refused("unsupported-photo", "The photo could not be decoded: the file is damaged or not a JPEG, PNG or WebP image.");
        }

        bitmap.SetImmutable();
        return SKImage.FromBitmap(bitmap);
    }

    /// <summary>The image turned as its EXIF orientation says (the re-encoded file carries no orientation of its own).</summary>
    private static SKImage Upright(SKImage image, SKEncodedOrigin origin)
    {
        var swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var (w, h) = swap ? (image.Height, image.Width) : (image.Width, image.Height);
        using var surface = SKSurface.Create(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        switch (origin)
        {
            case SKEncodedOrigin.TopRight: canvas.Translate(w, 0); canvas.Scale(-1, 1); break;
            case SKEncodedOrigin.BottomRight: canvas.Translate(w, h); canvas.RotateDegrees(180); break;
            case SKEncodedOrigin.BottomLeft: canvas.Translate(0, h); canvas.Scale(1, -1); break;
            case SKEncodedOrigin.LeftTop: canvas.Scale(1, -1); canvas.RotateDegrees(-90); break;
            case SKEncodedOrigin.RightTop: canvas.Translate(w, 0); canvas.RotateDegrees(90); break;
            case SKEncodedOrigin.RightBottom: canvas.Translate(w, h); canvas.Scale(-1, 1); canvas.RotateDegrees(-90); break;
            case SKEncodedOrigin.LeftBottom: canvas.Translate(0, h); canvas.RotateDegrees(-90); break;
        }

        canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest));
        return surface.Snapshot();
    }

    /// <summary>Scales the image to fit <paramref name="maxSide"/> (never up), flattens it on white and encodes it as JPEG.</summary>
    private static byte[] Encode(SKImage image, int maxSide, int quality, out int width, out int height)
    {
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(image.Width, image.Height));
        width = Math.Max(1, (int)Math.Round(image.Width * scale));
        height = Math.Max(1, (int)Math.Round(image.Height * scale));
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.Clear(SKColors.White);
        surface.Canvas.DrawImage(image, new SKRect(0, 0, width, height), new SKSamplingOptions(SKCubicResampler.Mitchell));
        using var snapshot = surface.Snapshot();
        using var encoded = snapshot.Encode(SKEncodedImageFormat.Jpeg, quality);
        return encoded.ToArray();
    }

    private static DomainException Refused(string code, string message)
        => new(code, message, DomainErrorKind.Validation, new Dictionary<string, string[]> { ["photo"] = [message] });
}
