using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using SkiaSharp;
using Marketplace.Host.Tests.Api;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Photos;

/// <summary>Lot photos over HTTP: the seller uploads and removes them; they are re-encoded, resized and stripped; readers of the lot see them; bad uploads are 422.</summary>
[Collection(ApiCollection.Name)]
public class PhotosApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    internal static MultipartFormDataContent Multipart(byte[] image, string contentType, string field = "photo")
    {
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return new MultipartFormDataContent { { file, field, "photo" } };
    }

    private static ByteArrayContent Raw(byte[] image, string contentType)
    {
        var body = new ByteArrayContent(image);
        body.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return body;
    }

    [Fact]
    public async Task Upload_TwoPhotos_AreStoredReencodedResizedAndStripped_ShownToReadersOfTheLot_RemovedBySeller()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var lot = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created))["id"]!.GetValue<string>();

        var wide = await ReadAsync(await client.PostAsync($"/api/v1/listings/{lot}/photos", Multipart(TestImages.Encoded(3000, 1000, SKEncodedImageFormat.Png), "image/png")), HttpStatusCode.Created);
        var tagged = await ReadAsync(await client.PostAsync($"/api/v1/listings/{lot}/photos", Raw(TestImages.JpegWithMetadata(800, 600), "image/jpeg")), HttpStatusCode.Created);
        var webp = await ReadAsync(await client.PostAsync($"/api/v1/listings/{lot}/photos", Multipart(TestImages.Encoded(300, 200, SKEncodedImageFormat.Webp), "image/webp")), HttpStatusCode.Created);
        var urls = new[] { wide, tagged, webp }.Select(p => p["url"]!.GetValue<string>()).ToArray();
        Assert.All(urls, u => Assert.StartsWith($"/api/v1/listings/{lot}/photos/", u, StringComparison.Ordinal));
        var listed = (await ReadAsync(await client.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK))["photos"]!.AsArray().Select(p => p!.GetValue<string>());
        Assert.Equal(urls, listed);

        var photo = await client.GetAsync(urls[0]);
        Assert.Equal((HttpStatusCode.OK, "image/jpeg"), (photo.StatusCode, photo.Content.Headers.ContentType?.MediaType));
        Assert.Equal((2048, 683), TestImages.SizeOf(await photo.Content.ReadAsByteArrayAsync()));
        Assert.Equal((400, 133), TestImages.SizeOf(await client.GetByteArrayAsync(wide["thumbnailUrl"]!.GetValue<string>())));
        var stripped = await client.GetByteArrayAsync(urls[1]);
        Assert.Equal((800, 600), TestImages.SizeOf(stripped));
        Assert.DoesNotContain(TestImages.SecretMetadata, Encoding.ASCII.GetString(stripped), StringComparison.Ordinal);

        // A draft's photos are the seller's; once published, anyone's.
        using var anonymous = Server.Client();
        await ProblemAsync(await anonymous.GetAsync(urls[0]), HttpStatusCode.NotFound, "photo-not-found");
        await ReadAsync(await client.PostAsync($"/api/v1/listings/{lot}/publish", null), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(urls[0])).StatusCode);

        var other = await RegisterFirmAsync(Server, "seller");
        await ProblemAsync(await Server.Client(other).PostAsync($"/api/v1/listings/{lot}/photos", Multipart(TestImages.Encoded(10, 10, SKEncodedImageFormat.Png), "image/png")),
            HttpStatusCode.Forbidden, "seller-only");
        await ProblemAsync(await Server.Client(other).DeleteAsync(urls[0]), HttpStatusCode.Forbidden, "seller-only");

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(urls[0])).StatusCode);
        await ProblemAsync(await anonymous.GetAsync(urls[0]), HttpStatusCode.NotFound, "photo-not-found");
        await ProblemAsync(await client.DeleteAsync(urls[0]), HttpStatusCode.NotFound, "photo-not-found");
        var left = (await ReadAsync(await client.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK))["photos"]!.AsArray().Select(p => p!.GetValue<string>());
        Assert.Equal(urls[1..], left);
    }

    /// <summary>Photos a new list of photos leaves out lose their files too (probe 14 grew the store without end on one lot).</summary>
    /// <summary>A null among the photo references is named like any bad reference, on create and on edit (probe 25 got a 500).</summary>
    [Fact]
    public async Task ANullPhotoReference_Is422NamingIt()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var body = Lot();
        body["photos"] = new System.Text.Json.Nodes.JsonArray("https://example.org/brick.jpg", null);
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/listings", body), HttpStatusCode.UnprocessableEntity, "validation-failed", "photos[1]");

        var lot = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await ProblemAsync(await client.PatchAsync($"/api/v1/listings/{lot}", new StringContent("{\"photos\":[null]}", System.Text.Encoding.UTF8, "application/json")),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "photos[0]");
    }

    [Fact]
    public async Task Patch_ThatLeavesUploadedPhotosOut_DeletesTheirFiles_AndKeepsTheRest()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var lot = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created))["id"]!.GetValue<string>();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var url = (await ReadAsync(await client.PostAsync($"/api/v1/listings/{lot}/photos", Multipart(TestImages.Encoded(40 + i, 30, SKEncodedImageFormat.Png), "image/png")), HttpStatusCode.Created))["url"]!.GetValue<string>();
            ids.Add(url[(url.LastIndexOf('/') + 1)..]);
        }

        var store = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Marketplace.Host.Photos.IPhotoStore>(Server.Services);
        async Task<bool> StoredAsync(string photoId, bool thumbnail)
        {
            await using var file = await store.OpenAsync(Marketplace.Host.Photos.PhotoKeys.For(lot, photoId, thumbnail));
            return file is not null;
        }

        Assert.True(await StoredAsync(ids[0], thumbnail: false));
        var kept = $"/api/v1/listings/{lot}/photos/{ids[1]}";
        var patched = await ReadAsync(await client.PatchAsJsonAsync($"/api/v1/listings/{lot}", new { photos = new[] { kept, "https://example.org/brick.jpg" } }), HttpStatusCode.OK);

        Assert.Equal([kept, "https://example.org/brick.jpg"], patched["photos"]!.AsArray().Select(p => p!.GetValue<string>()));
        var stored = new List<bool>();
        foreach (var id in ids)
        {
            stored.Add(await StoredAsync(id, thumbnail: false));
            stored.Add(await StoredAsync(id, thumbnail: true));
        }

        Assert.Equal([false, false, true, true, false, false], stored);
        // A PATCH that leaves the photos alone deletes nothing.
        await ReadAsync(await client.PatchAsJsonAsync($"/api/v1/listings/{lot}", new { title = "Renamed" }), HttpStatusCode.OK);
        Assert.True(await StoredAsync(ids[1], thumbnail: false));
    }

    [Fact]
    public async Task Upload_RefusesNonImagesBombsOversizeAndTooMany_With422()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var lot = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created))["id"]!.GetValue<string>();
        var path = $"/api/v1/listings/{lot}/photos";

        await ProblemAsync(await client.PostAsync(path, Multipart(Encoding.UTF8.GetBytes("<svg xmlns='http://www.w3.org/2000/svg'/>"), "image/jpeg")), HttpStatusCode.UnprocessableEntity, "unsupported-photo", "photo");
        await ProblemAsync(await client.PostAsync(path, Raw([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8], "image/jpeg")), HttpStatusCode.UnprocessableEntity, "unsupported-photo", "photo");
        await ProblemAsync(await client.PostAsync(path, Raw(TestImages.PngBomb(60_000), "image/png")), HttpStatusCode.UnprocessableEntity, "photo-too-large", "photo");
        await ProblemAsync(await client.PostAsync(path, Raw(new byte[(8 * 1024 * 1024) + 1], "image/jpeg")), HttpStatusCode.UnprocessableEntity, "photo-too-large", "photo");

        // A file cut short is refused, not stored with its missing part blank.
        foreach (var format in new[] { SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Png })
        {
            var whole = TestImages.Noise(400, 300, format);
            await ProblemAsync(await client.PostAsync(path, Raw(whole[..(whole.Length / 2)], format == SKEncodedImageFormat.Jpeg ? "image/jpeg" : "image/png")),
                HttpStatusCode.UnprocessableEntity, "unsupported-photo", "photo");
        }

        // A multipart body without parts (nothing but garbage after the declared boundary) is the caller's to fix.
        var garbage = new ByteArrayContent(Encoding.ASCII.GetBytes("garbage"));
        garbage.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=bnd");
        await ProblemAsync(await client.PostAsync(path, garbage), HttpStatusCode.BadRequest, "bad-request");

        var small = TestImages.Encoded(32, 32, SKEncodedImageFormat.Png);
        for (var i = 0; i < 10; i++)
        {
            await ReadAsync(await client.PostAsync(path, Multipart(small, "image/png")), HttpStatusCode.Created);
        }

        await ProblemAsync(await client.PostAsync(path, Multipart(small, "image/png")), HttpStatusCode.UnprocessableEntity, "too-many-photos", "photo");
        Assert.Equal(10, (await ReadAsync(await client.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK))["photos"]!.AsArray().Count);
    }

    [Fact]
    public void ABodyOverAnEndpointsOwnLimit_IsToldThatLimit_NotTheApisDefault()
    {
        // Kestrel's 413 for a chunked photo past the photo endpoint's limit (a Content-Length one is refused earlier).
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>(new BodyLimit(8_454_144));
        var problem = Marketplace.Hosting.Problems.ApiProblems.FromException(new Microsoft.AspNetCore.Http.BadHttpRequestException("too large", 413), context);
        Assert.Equal((413, "Request bodies are limited to 8,454,144 bytes here."), (problem.Status, problem.Detail));
    }

    private sealed class BodyLimit(long limit) : Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature
    {
        public bool IsReadOnly => true;

        public long? MaxRequestBodySize { get; set; } = limit;
    }

    [Fact]
    public async Task Upload_SixteenAtOnce_StoresExactlyTheLimit_TheRestAreRefused()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var lot = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created))["id"]!.GetValue<string>();
        var small = TestImages.Encoded(64, 48, SKEncodedImageFormat.Png);

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var response = await client.PostAsync($"/api/v1/listings/{lot}/photos", Multipart(small, "image/png"));
            return response.StatusCode;
        }));

        Assert.Equal((10, 6), (answers.Count(a => a == HttpStatusCode.Created), answers.Count(a => a == HttpStatusCode.UnprocessableEntity)));
        Assert.Equal(10, (await ReadAsync(await client.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK))["photos"]!.AsArray().Count);
    }
}
