using Azure.Storage.Blobs;
using Marketplace.Hosting;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Photos;

/// <summary>Registers the photo store chosen by <c>Photos:Provider</c>, the image processing and <see cref="LotPhotos"/>.</summary>
public static class PhotoSetup
{
    /// <summary>Adds the photo services; settings are validated when the host starts.</summary>
    public static IHostApplicationBuilder AddMarketplacePhotos(this IHostApplicationBuilder builder)
    {
        var dataFolder = DataFolder.Of(builder);
        var storageConnection = builder.Configuration["Storage:AzureStorage:ConnectionString"];
        builder.Services.AddOptions<PhotoOptions>().BindConfiguration(PhotoOptions.Section)
            .PostConfigure(o => o.ConnectionString ??= storageConnection)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PhotoOptions>, PhotoOptionsValidator>();
        builder.Services.AddSingleton<IPhotoStore>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<PhotoOptions>>().Value;
            return o.Provider == PhotoStoreProvider.AzureBlob
                ? new BlobPhotoStore(new BlobContainerClient(o.ConnectionString, o.Container))
                : new FilePhotoStore(Path.IsPathRooted(o.Path) ? o.Path : Path.Combine(dataFolder, o.Path));
        });
        builder.Services.AddSingleton<PhotoImages>();
        builder.Services.AddSingleton<LotPhotos>();
        return builder;
    }
}
