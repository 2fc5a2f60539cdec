using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Grains.Listings;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Photos;

/// <summary>A stored photo opened for reading.</summary>
/// <param name="Content">The JPEG bytes.</param>
/// <param name="Public">True when anyone may see it (the lot is public), so caches may keep it.</param>
public sealed record PhotoRead(Stream Content, bool Public);

/// <summary>
/// The one place for a lot's uploaded photos, used by the API and the seller's pages: only the seller adds or removes
/// them, at most <see cref="PhotoOptions.MaxPerLot"/>; each upload is checked and processed (<see cref="PhotoImages"/>),
/// stored with its thumbnail, and only then named in the lot's <c>photos</c>; a photo is served to whoever may read its lot.
/// </summary>
public sealed class LotPhotos(IGrainFactory grains, IPhotoStore store, PhotoImages images, IOptions<PhotoOptions> options, ILogger<LotPhotos> logger)
{
    /// <summary>Processes and stores an upload for the seller's lot under <paramref name="photoId"/> (32 hex digits) and adds it to the lot.</summary>
    public async Task<Listing> AddAsync(string listingId, string actorId, bool platformAdmin, string photoId, byte[] upload)
    {
        var grain = grains.GetGrain<IListingGrain>(listingId);
        var lot = await ReadForSellerAsync(grain, listingId, actorId, platformAdmin);
        var reference = Listing.PhotoPath(listingId, photoId);
        if (lot.Details!.Photos.Contains(reference))
        {
            return lot;
        }

        // Before the seconds of decoding; the lot checks again when it names the photo.
        lot.EnsureRoomForUploadedPhoto(options.Value.MaxPerLot);

        // Checked and processed before anything is stored; stored before the lot names it, so a named photo always exists.
        var processed = await images.ProcessAsync(upload);
        await store.SaveAsync(PhotoKeys.For(listingId, photoId), processed.Photo, PhotoImages.ContentType);
        await store.SaveAsync(PhotoKeys.For(listingId, photoId, thumbnail: true), processed.Thumbnail, PhotoImages.ContentType);
        try
        {
            // The limit is checked again where it cannot be raced: uploads at once each passed the count above.
            return await grain.AddPhotoAsync(actorId, reference, options.Value.MaxPerLot);
        }
        catch (DomainException)
        {
            await DeleteFilesAsync(listingId, photoId);
            throw;
        }
    }

    /// <summary>The seller removes a photo: first from the lot, then its files.</summary>
    public async Task<Listing> RemoveAsync(string listingId, string actorId, bool platformAdmin, string photoId)
    {
        var grain = grains.GetGrain<IListingGrain>(listingId);
        var lot = await ReadForSellerAsync(grain, listingId, actorId, platformAdmin);
        var reference = Listing.PhotoPath(listingId, photoId);
        if (!lot.Details!.Photos.Contains(reference))
        {
            throw DomainException.NotFound("photo", photoId);
        }

        var changed = await grain.RemovePhotoAsync(actorId, reference);
        await DeleteFilesAsync(listingId, photoId);
        return changed;
    }

    /// <summary>
    /// Deletes the files of this lot's uploaded photos that a change of its details left out (<c>PATCH</c> with
    /// <c>photos</c>): once the lot no longer names them nobody can read or delete them, and the per-lot bound no longer
    /// counts them (probe 14 stored 7.7 MB more per round of upload and drop on one lot).
    /// </summary>
    public async Task ForgetDroppedAsync(string listingId, IEnumerable<string> before, IReadOnlyList<string> after)
    {
        foreach (var reference in before.Except(after, StringComparer.Ordinal))
        {
            var photoId = reference[(reference.LastIndexOf('/') + 1)..];
            if (Listing.IsUploadedPhoto(reference) && reference == Listing.PhotoPath(listingId, photoId))
            {
                await DeleteFilesAsync(listingId, photoId);
            }
        }
    }

    /// <summary>A photo (or its thumbnail) of a lot the viewer may read and that still names it; null otherwise.</summary>
    public async Task<PhotoRead?> OpenAsync(string listingId, string photoId, bool thumbnail, string? viewerId, bool platformAdmin)
    {
        var lot = await grains.GetGrain<IListingGrain>(listingId).GetAsync();
        if (lot is null || !lot.IsVisibleTo(viewerId, platformAdmin) || !lot.Details!.Photos.Contains(Listing.PhotoPath(listingId, photoId)))
        {
            return null;
        }

        return await store.OpenAsync(PhotoKeys.For(listingId, photoId, thumbnail)) is { } content ? new PhotoRead(content, lot.IsPublic) : null;
    }

    /// <summary>The lot, if the actor is its seller: 404 when others may not know it exists, 403 <c>seller-only</c> when it is public.</summary>
    private static async Task<Listing> ReadForSellerAsync(IListingGrain grain, string listingId, string actorId, bool platformAdmin)
    {
        var lot = await grain.GetAsync();
        if (lot is null || !lot.IsVisibleTo(actorId, platformAdmin))
        {
            throw DomainException.NotFound("listing", listingId);
        }

        if (lot.SellerId != actorId)
        {
            throw DomainException.Forbidden("seller-only", "Only the seller adds or removes a lot's photos.");
        }

        return lot;
    }

    private async Task DeleteFilesAsync(string listingId, string photoId)
    {
        try
        {
            await store.DeleteAsync(PhotoKeys.For(listingId, photoId));
            await store.DeleteAsync(PhotoKeys.For(listingId, photoId, thumbnail: true));
        }
        catch (Exception e)
        {
            // The lot no longer names the photo, so it is never served; a leftover file costs only space.
            logger.LogWarning(e, "Lot {ListingId}: the files of photo {PhotoId} were not deleted", listingId, photoId);
        }
    }
}
