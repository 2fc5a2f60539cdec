using System.Security.Claims;
using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Host.Api.Idempotency;
using Marketplace.Host.Photos;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Api.Listings;

/// <summary>A lot's uploaded photos: the seller uploads (JPEG, PNG, WebP; re-encoded, resized, with a thumbnail) and removes them; anyone who may read the lot sees them.</summary>
public static class PhotosApi
{
    /// <summary>Room for a multipart envelope around the largest photo.</summary>
    private const int EnvelopeBytes = 64 * 1024;

    /// <summary>Maps <c>/api/v1/listings/{id}/photos</c>.</summary>
    public static IEndpointRouteBuilder MapPhotosApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/listings/{id}/photos").WithTags("Listings").WithCommonProblems();
        var maxBytes = routes.ServiceProvider.GetRequiredService<IOptions<PhotoOptions>>().Value.MaxBytes;

        group.MapPost("/", AddAsync).WithName("AddListingPhoto").WithAccess(AccessRule.Owner(ApiScopes.ListingsWrite, otherFirm: 403, platformAdmin: 403))
            .WithMetadata(new RequestSizeLimitAttribute(maxBytes + EnvelopeBytes))
            .Accepts<IFormFile>("multipart/form-data", "image/jpeg", "image/png", "image/webp")
            .WithSummary("The seller uploads a photo (multipart field 'photo', or the image as the body): JPEG, PNG or WebP up to Photos:MaxBytes; it is re-encoded as JPEG without its metadata, scaled to Photos:MaxDimension with a thumbnail, and its URL added to the lot's photos. 422 unsupported-photo, photo-too-large, too-many-photos. Honours Idempotency-Key.");
        group.MapDelete("/{photoId}", RemoveAsync).WithName("RemoveListingPhoto").WithAccess(AccessRule.Owner(ApiScopes.ListingsWrite, otherFirm: 403, platformAdmin: 403))
            .WithSummary("The seller removes an uploaded photo from the lot and from storage.");
        group.MapGet("/{photoId}", (string id, string photoId, ClaimsPrincipal user, LotPhotos photos) => ReadAsync(id, photoId, thumbnail: false, user, photos))
            .WithName("GetListingPhoto").WithAccess(AccessRule.PrivateRead(ApiScopes.ListingsRead))
            .Produces(StatusCodes.Status200OK, contentType: "image/jpeg")
            .WithSummary("An uploaded photo (JPEG), to whoever may read the lot.");
        group.MapGet("/{photoId}/thumbnail", (string id, string photoId, ClaimsPrincipal user, LotPhotos photos) => ReadAsync(id, photoId, thumbnail: true, user, photos))
            .WithName("GetListingPhotoThumbnail").WithAccess(AccessRule.PrivateRead(ApiScopes.ListingsRead))
            .Produces(StatusCodes.Status200OK, contentType: "image/jpeg")
            .WithSummary("An uploaded photo's thumbnail (JPEG), to whoever may read the lot.");
        return routes;
    }

    private static async Task<Created<PhotoAddedResponse>> AddAsync(string id, HttpContext context, LotPhotos photos, IOptions<PhotoOptions> options)
    {
        var user = context.User;
        var upload = await ReadUploadAsync(context.Request, options.Value.MaxBytes);
        // Derived from the Idempotency-Key: a retry after a failure whose outcome is unknown stores and names the same photo.
        var photoId = IdempotencyMiddleware.NewId(context);
        var lot = await photos.AddAsync(id, user.ActingTraderId(), user.IsPlatformAdmin(), photoId, upload);
        var url = Listing.PhotoPath(id, photoId);
        return TypedResults.Created(url, new PhotoAddedResponse(url, url + "/thumbnail", lot.Details!.Photos));
    }

    private static async Task<NoContent> RemoveAsync(string id, string photoId, ClaimsPrincipal user, LotPhotos photos)
    {
        EnsurePhotoId(photoId);
        await photos.RemoveAsync(id, user.ActingTraderId(), user.IsPlatformAdmin(), photoId);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ReadAsync(string id, string photoId, bool thumbnail, ClaimsPrincipal user, LotPhotos photos)
    {
        EnsurePhotoId(photoId);
        var photo = await photos.OpenAsync(id, photoId, thumbnail, user.TraderIdWithScope(ApiScopes.ListingsRead), user.IsPlatformAdmin())
            ?? throw DomainException.NotFound("photo", photoId);
        return new PhotoResult(photo);
    }

    /// <summary>The uploaded bytes: the multipart field <c>photo</c> (or the first file), or the body itself; 422 when it is over the limit or missing.</summary>
    private static async Task<byte[]> ReadUploadAsync(HttpRequest request, int maxBytes)
    {
        if (request.ContentLength > maxBytes + (request.HasFormContentType ? EnvelopeBytes : 0))
        {
            throw TooLarge(maxBytes);
        }

        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            var file = form.Files.GetFile("photo") ?? form.Files.FirstOrDefault()
                ?? throw new DomainException("unsupported-photo", "Send the photo in the multipart field 'photo'.", DomainErrorKind.Validation,
                    new Dictionary<string, string[]> { ["photo"] = ["No photo was sent."] });
            if (file.Length > maxBytes)
            {
                throw TooLarge(maxBytes);
            }

            await using var stream = file.OpenReadStream();
            return await ReadBoundedAsync(stream, maxBytes, request.HttpContext.RequestAborted);
        }

        return await ReadBoundedAsync(request.Body, maxBytes, request.HttpContext.RequestAborted);
    }

    private static async Task<byte[]> ReadBoundedAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw TooLarge(maxBytes);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static DomainException TooLarge(int maxBytes)
        => new("photo-too-large", $"A photo may be at most {maxBytes / (1024 * 1024.0):0.#} MiB.", DomainErrorKind.Validation,
            new Dictionary<string, string[]> { ["photo"] = [$"A photo may be at most {maxBytes / (1024 * 1024.0):0.#} MiB."] });

    private static void EnsurePhotoId(string photoId)
    {
        if (photoId.Length != 32 || !photoId.All(char.IsAsciiHexDigitLower))
        {
            throw DomainException.NotFound("photo", photoId);
        }
    }

    /// <summary>Streams a stored photo; public lots' photos may be cached by anyone (their ids never name other bytes), others only privately.</summary>
    private sealed class PhotoResult(PhotoRead photo) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            await using var content = photo.Content;
            context.Response.ContentType = PhotoImages.ContentType;
            context.Response.Headers.CacheControl = photo.Public ? "public, max-age=3600" : "private, no-cache";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            await content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }
}

/// <summary>An uploaded photo: its URL, its thumbnail's URL and the lot's photos after adding it.</summary>
public sealed record PhotoAddedResponse(string Url, string ThumbnailUrl, IReadOnlyList<string> Photos);
