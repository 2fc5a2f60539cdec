using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Marketplace.Host.Photos;

/// <summary>Keeps processed photo files by key (<c>{lot}/{photo}.jpg</c>); one implementation per mode, one contract test for both.</summary>
public interface IPhotoStore
{
    /// <summary>Stores (or replaces) the bytes under the key.</summary>
    Task SaveAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default);

    /// <summary>The stored bytes as a stream, or null when nothing is stored under the key.</summary>
    Task<Stream?> OpenAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Removes the key; a missing key is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}

/// <summary>The keys photo stores accept: the lot and photo ids as the marketplace makes them, so no key leaves its folder or container.</summary>
public static partial class PhotoKeys
{
    /// <summary>The key of a photo (<paramref name="thumbnail"/>: of its thumbnail).</summary>
    public static string For(string listingId, string photoId, bool thumbnail = false)
    {
        var key = $"{listingId}/{photoId}{(thumbnail ? "-thumb" : "")}.jpg";
        return IsValid(key) ? key : throw new ArgumentException($"'{key}' is not a photo key.", nameof(listingId));
    }

    /// <summary>True for a key of the shape <see cref="For"/> makes.</summary>
    public static bool IsValid(string key) => KeyPattern().IsMatch(key);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,100}/[0-9a-f]{32}(-thumb)?\\.jpg$")]
    private static partial Regex KeyPattern();
}

/// <summary>Photos as files under a folder (embedded mode): written to a temporary file and renamed, so a reader never sees half a photo.</summary>
public sealed class FilePhotoStore(string root) : IPhotoStore
{
    /// <inheritdoc />
    public async Task SaveAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temporary, content.ToArray(), cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    /// <inheritdoc />
    public Task<Stream?> OpenAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            return Task.FromResult<Stream?>(new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: true));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    private string PathOf(string key)
        => PhotoKeys.IsValid(key) ? Path.Combine(root, key.Replace('/', Path.DirectorySeparatorChar)) : throw new ArgumentException($"'{key}' is not a photo key.", nameof(key));
}

/// <summary>Photos as blobs in one Azure Blob Storage container (cluster mode: every host serves every photo); the container is made on first use.</summary>
public sealed class BlobPhotoStore(BlobContainerClient container) : IPhotoStore
{
    private readonly Lazy<Task> _created = new(() => container.CreateIfNotExistsAsync());

    /// <inheritdoc />
    public async Task SaveAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default)
    {
        await _created.Value;
        await Blob(key).UploadAsync(BinaryData.FromBytes(content),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Stream?> OpenAsync(string key, CancellationToken cancellationToken = default)
    {
        await _created.Value;
        try
        {
            var download = await Blob(key).DownloadStreamingAsync(cancellationToken: cancellationToken);
            return download.Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        await _created.Value;
        await Blob(key).DeleteIfExistsAsync(cancellationToken: cancellationToken);
    }

    private BlobClient Blob(string key)
        => PhotoKeys.IsValid(key) ? container.GetBlobClient(key) : throw new ArgumentException($"'{key}' is not a photo key.", nameof(key));
}
