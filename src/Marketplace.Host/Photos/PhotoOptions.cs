using Marketplace.Domain.Listings;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Photos;

/// <summary>Where lot photos are kept: files under the data folder (embedded mode) or an Azure Blob Storage container (clusters).</summary>
public enum PhotoStoreProvider
{
    /// <summary>Files under <see cref="PhotoOptions.Path"/>.</summary>
    File,

    /// <summary>Blobs in <see cref="PhotoOptions.Container"/>.</summary>
    AzureBlob,
}

/// <summary>Lot photos: limits on what is uploaded and what is kept (section <c>Photos</c>).</summary>
public sealed class PhotoOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Photos";

    /// <summary>Where photos are stored; default <see cref="PhotoStoreProvider.File"/>.</summary>
    public PhotoStoreProvider Provider { get; set; } = PhotoStoreProvider.File;

    /// <summary>Folder of the file store; relative to the data folder; default <c>photos</c>.</summary>
    public string Path { get; set; } = "photos";

    /// <summary>Azure Storage connection string of the blob store; default <c>Storage:AzureStorage:ConnectionString</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Blob container; default <c>lot-photos</c> (3–63 lower-case letters, digits and hyphens).</summary>
    public string Container { get; set; } = "lot-photos";

    /// <summary>Largest upload in bytes; default 8 MiB, 1 KiB to 64 MiB.</summary>
    public int MaxBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Most pixels (width × height) an upload may decode to; larger ones are refused unread (decompression bombs). Default 40 million, at most 100 million.</summary>
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>Longest side of a stored photo in pixels (larger ones are scaled down); default 2048, 256–8192.</summary>
    public int MaxDimension { get; set; } = 2048;

    /// <summary>Longest side of a thumbnail in pixels; default 400, 64 to <see cref="MaxDimension"/>.</summary>
    public int ThumbnailDimension { get; set; } = 400;

    /// <summary>Most uploaded photos on one lot; default 10, 1 to <see cref="Listing.MaxPhotos"/>.</summary>
    public int MaxPerLot { get; set; } = 10;

    /// <summary>Photos decoded at once on a host (each may take up to about 160 MB at the pixel limit); others wait. Default 2, 1–16.</summary>
    public int MaxConcurrentDecodes { get; set; } = 2;

    /// <summary>JPEG quality of stored photos and thumbnails; default 85, 40–100.</summary>
    public int JpegQuality { get; set; } = 85;
}

/// <summary>Refuses photo settings outside their ranges when the host starts.</summary>
public sealed class PhotoOptionsValidator : IValidateOptions<PhotoOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PhotoOptions o)
    {
        var errors = new List<string>();
        if (o.MaxBytes is < 1024 or > 64 * 1024 * 1024)
        {
            errors.Add($"{PhotoOptions.Section}:{nameof(o.MaxBytes)} must be from 1 KiB to 64 MiB.");
        }

        if (o.MaxConcurrentDecodes is < 1 or > 16)
        {
            errors.Add($"{PhotoOptions.Section}:{nameof(o.MaxConcurrentDecodes)} must be from 1 to 16.");
        }

        if (o.MaxPixels is < 1_000_000 or > 100_000_000)
        {
            errors.Add($"{PhotoOptions.Section}:{nameof(o.MaxPixels)} must be from 1,000,000 to 100,000,000.");
        }

        if (o.MaxDimension is < 256 or > 8192)
        {
            errors.Add($"{PhotoOptions.Section}:{nameof(o.MaxDimension)} must be from 256 to 8192.");
        }

        if (o.ThumbnailDimension < 64 || o.ThumbnailDimension > o.MaxDimension)
        {
            errors.Add($"{PhotoOptions.Section}:{nameof(o.ThumbnailDimension)} must be from 64 to {nameof(o.MaxDimension)}.");
        }

        if (o.MaxPerLot < 1 || o.MaxPerLot > Listing.MaxPhotos)
        {
            errors.Add($"{PhotoOptions.Section}:{nameof(o.MaxPerLot)} must be from 1 to {Listing.MaxPhotos}.");
        }

        if (o.JpegQuality is < 40 or > 100)
        {
            errors.Add($"{PhotoOptions.Section}:{nameof(o.JpegQuality)} must be from 40 to 100.");
        }

        if (o.Provider == PhotoStoreProvider.AzureBlob && string.IsNullOrWhiteSpace(o.ConnectionString))
        {
            errors.Add($"{PhotoOptions.Section}:{nameof(o.Provider)} is AzureBlob but neither {PhotoOptions.Section}:{nameof(o.ConnectionString)} nor Storage:AzureStorage:ConnectionString is set.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
