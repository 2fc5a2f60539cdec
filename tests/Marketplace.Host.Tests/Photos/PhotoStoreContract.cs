using System.Text;
using Azure.Storage.Blobs;
using Marketplace.Host.Photos;

namespace Marketplace.Host.Tests.Photos;

/// <summary>What every photo store must do: keep bytes by key, replace them, say when a key is missing, delete, and refuse keys that are not photo keys.</summary>
public abstract class PhotoStoreContract
{
    protected abstract IPhotoStore Store { get; }

    [Fact]
    public async Task Store_SavesOpensReplacesAndDeletes_MissingIsNull_ForeignKeysRefused()
    {
        var key = PhotoKeys.For("lot-" + Guid.NewGuid().ToString("N")[..8], Guid.NewGuid().ToString("N"));
        Assert.Null(await Store.OpenAsync(key));

        await Store.SaveAsync(key, Encoding.ASCII.GetBytes("first"), "image/jpeg");
        Assert.Equal("first", await ReadAsync(key));
        await Store.SaveAsync(key, Encoding.ASCII.GetBytes("second"), "image/jpeg");
        Assert.Equal("second", await ReadAsync(key));

        await Store.DeleteAsync(key);
        Assert.Null(await Store.OpenAsync(key));
        await Store.DeleteAsync(key);

        await Assert.ThrowsAsync<ArgumentException>(() => Store.SaveAsync("../outside.jpg", new byte[1], "image/jpeg"));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.OpenAsync("lot/../../etc/passwd"));
    }

    private async Task<string> ReadAsync(string key)
    {
        await using var stream = await Store.OpenAsync(key);
        Assert.NotNull(stream);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}

/// <summary>The contract on files under a folder (embedded mode).</summary>
public sealed class FilePhotoStoreContract : PhotoStoreContract, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-photos-").FullName;

    protected override IPhotoStore Store => new FilePhotoStore(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

/// <summary>The contract on Azure Blob Storage (cluster mode), against the Azurite that <c>./test.sh</c> starts.</summary>
public sealed class BlobPhotoStoreContract : PhotoStoreContract
{
    private readonly IPhotoStore _store = new BlobPhotoStore(new BlobContainerClient(
        Environment.GetEnvironmentVariable("MARKETPLACE_TEST_AZURITE") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("MARKETPLACE_TEST_AZURITE is not set: run ./test.sh, which starts Azurite."),
        "photos-" + Guid.NewGuid().ToString("N")[..12]));

    protected override IPhotoStore Store => _store;
}
