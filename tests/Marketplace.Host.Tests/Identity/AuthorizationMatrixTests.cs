using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Identity;

/// <summary>
/// For every endpoint the host maps and every kind of caller, the status is the one the endpoint declares in its
/// <see cref="AccessRule"/>. The endpoint list comes from the host itself: an endpoint without a rule, or without a
/// sample request here, fails the test.
/// </summary>
[Collection(ApiCollection.Name)]
public class AuthorizationMatrixTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    private enum CallerKind
    {
        Anonymous,
        OtherFirm,
        Owner,
        WithoutScope,
        PlatformAdmin,
    }

    /// <summary>A request to send: method, path, optional JSON body and headers.</summary>
    private sealed record Sample(HttpMethod Method, string Path, JsonNode? Body = null, IReadOnlyDictionary<string, string>? Headers = null, string? Csv = null, Func<HttpContent>? Content = null);

    /// <summary>Everything a sample needs: the owner's firm, a counterparty firm and ways to make fresh resources.</summary>
    private sealed class World(MarketplaceServer server, string ownerFirm, string ownerToken, string counterparty)
    {
        public string OwnerFirm => ownerFirm;

        public async Task<string> OwnerDraftAsync()
        {
            using var client = server.BearerClient(ownerToken);
            return (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created))["id"]!.GetValue<string>();
        }

        public async Task<string> OwnerActiveAsync()
        {
            var id = await OwnerDraftAsync();
            using var client = server.BearerClient(ownerToken);
            await ReadAsync(await client.PostAsync($"/api/v1/listings/{id}/publish", null), HttpStatusCode.OK);
            return id;
        }

        /// <summary>A fresh lot of the owner (published when <paramref name="publish"/>) with one uploaded photo; returns the photo's URL.</summary>
        public async Task<string> OwnerPhotoAsync(bool publish)
        {
            var id = publish ? await OwnerActiveAsync() : await OwnerDraftAsync();
            using var client = server.BearerClient(ownerToken);
            return (await ReadAsync(await client.PostAsync($"/api/v1/listings/{id}/photos", SmallPhoto()), HttpStatusCode.Created))["url"]!.GetValue<string>();
        }

        public static HttpContent SmallPhoto()
            => Photos.PhotosApiTests.Multipart(Photos.TestImages.Encoded(16, 16, SkiaSharp.SKEncodedImageFormat.Png), "image/png");

        public Task<string> CounterpartyActiveAsync() => ActiveLotAsync(server, counterparty);

        /// <summary>A fresh import job of the owner (one row).</summary>
        public async Task<string> OwnerImportAsync()
        {
            using var client = server.BearerClient(ownerToken);
            using var content = new StringContent(ImportCsv, System.Text.Encoding.UTF8, "text/csv");
            var id = (await ReadAsync(await client.PostAsync("/api/v1/imports", content), HttpStatusCode.Accepted))["id"]!.GetValue<string>();
            await EndedAsync(client, id);
            return id;
        }

        /// <summary>
        /// Waits until an import has ended: a firm runs one import at a time on a host (409 <c>import-running</c>), and
        /// the matrix imports for the same firm as several callers one after another.
        /// </summary>
        public static async Task EndedAsync(HttpClient client, string id)
            => Assert.True(await Eventually.TrueAsync(async () =>
                (await ReadAsync(await client.GetAsync($"/api/v1/imports/{id}"), HttpStatusCode.OK))["status"]!.GetValue<string>() != "running",
                TimeSpan.FromSeconds(30)), $"import {id} still running after 30 s");

        public async Task<string> HoldAsync(string lot, string token)
        {
            using var client = server.BearerClient(token);
            return (await ReadAsync(await client.PostAsJsonAsync($"/api/v1/listings/{lot}/holds", new { quantity = 1 }), HttpStatusCode.Created))["hold"]!["id"]!.GetValue<string>();
        }

        public async Task<string> OwnerDemandAsync()
        {
            using var client = server.BearerClient(ownerToken);
            return (await ReadAsync(await client.PostAsJsonAsync("/api/v1/demands", Demand()), HttpStatusCode.Created))["id"]!.GetValue<string>();
        }

        /// <summary>A fresh proposal pairing a counterparty's lot with the owner's demand (the owner is the buyer).</summary>
        public async Task<string> OwnerBuyingMatchAsync()
        {
            var at = RandomPlace();
            var lot = await ActiveLotAsync(server, counterparty, 1000, at);
            using var client = server.BearerClient(ownerToken);
            var demand = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/demands", Demand(300, at)), HttpStatusCode.Created))["id"]!.GetValue<string>();
            return (await MatchAsync(client, lot, demand))["id"]!.GetValue<string>();
        }

        /// <summary>A fresh match of the owner's lot that the counterparty (the buyer) has accepted.</summary>
        public async Task<string> OwnerSellingAcceptedMatchAsync()
        {
            var at = RandomPlace();
            using var client = server.BearerClient(ownerToken);
            var lot = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot(1000, at)), HttpStatusCode.Created))["id"]!.GetValue<string>();
            await ReadAsync(await client.PostAsync($"/api/v1/listings/{lot}/publish", null), HttpStatusCode.OK);
            var demand = await DemandAsync(server, counterparty, Demand(300, at));
            var id = (await MatchAsync(client, lot, demand))["id"]!.GetValue<string>();
            await ReadAsync(await server.Client(counterparty).PostAsync($"/api/v1/matches/{id}/accept", null), HttpStatusCode.OK);
            return id;
        }

        public string OwnerToken => ownerToken;

        /// <summary>A fresh order of the owner (the buyer) for part of a counterparty's lot, taken through <paramref name="steps"/> (accept, handover, dispute).</summary>
        public async Task<string> OwnerBuyingOrderAsync(params string[] steps)
        {
            var lot = await CounterpartyActiveAsync();
            using var buyer = server.BearerClient(ownerToken);
            using var seller = server.Client(counterparty);
            var id = (await Orders.OrderDriver.PlaceAsync(buyer, lot, 10))["id"]!.GetValue<string>();
            foreach (var step in steps)
            {
                await Orders.OrderDriver.StepAsync(step == "accept" ? seller : buyer, id, step, step == "dispute" ? new { reason = "cracked" } : null);
            }

            return id;
        }

        /// <summary>A fresh card order of the owner (the buyer) to pay on Stripe's hosted page, from a counterparty that takes cards.</summary>
        public async Task<string> OwnerHostedCardOrderAsync()
        {
            await Payments.CardDriver.OnboardAsync(server, counterparty);
            var lot = await CounterpartyActiveAsync();
            using var buyer = server.BearerClient(ownerToken);
            var hold = await Orders.OrderDriver.HoldAsync(buyer, lot, 10);
            var checkout = Payments.CardDriver.CardCheckout(lot, hold);
            checkout["hostedCheckout"] = true;
            return (await ReadAsync(await buyer.PostAsJsonAsync("/api/v1/orders", checkout), HttpStatusCode.Created))["id"]!.GetValue<string>();
        }

        /// <summary>A fresh order of the counterparty (the buyer) for part of the owner's lot, accepted by the owner when <paramref name="accepted"/>.</summary>
        public async Task<string> OwnerSellingOrderAsync(bool accepted)
        {
            var lot = await OwnerActiveAsync();
            using var buyer = server.Client(counterparty);
            var id = (await Orders.OrderDriver.PlaceAsync(buyer, lot, 10))["id"]!.GetValue<string>();
            if (accepted)
            {
                using var seller = server.BearerClient(ownerToken);
                await Orders.OrderDriver.StepAsync(seller, id, "accept");
            }

            return id;
        }

        public string CounterpartyToken
        {
            get
            {
                using var client = server.Client(counterparty);
                return client.DefaultRequestHeaders.Authorization!.Parameter!;
            }
        }

        public async Task<string> RemovableMemberAsync()
        {
            await using var scope = server.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<MarketplaceUser>>();
            var email = Browser.NewEmail("colleague");
            var user = new MarketplaceUser { UserName = email, Email = email };
            Assert.True((await users.CreateAsync(user, Browser.Password)).Succeeded);
            await scope.ServiceProvider.GetRequiredService<FirmMembers>().AddAsync(user.Id, ownerFirm, MemberRoles.Member);
            return user.Id;
        }

        public async Task<string> OwnerInvitationAsync()
        {
            await using var scope = server.Services.CreateAsyncScope();
            var invited = await scope.ServiceProvider.GetRequiredService<FirmMembers>().InviteAsync(ownerFirm, Browser.NewEmail("invitee"), MemberRoles.Member, "test", server.Address.ToString());
            return invited.Id;
        }

        public async Task<string> OwnerClientAsync()
        {
            await using var scope = server.Services.CreateAsyncScope();
            var created = await scope.ServiceProvider.GetRequiredService<ApiClientRegistry>().CreateAsync(ownerFirm, "matrix", "listings.read", null, "test");
            return created.Client.ClientId;
        }

        public string Counterparty => counterparty;

        private static readonly Lazy<Task<Webhooks.WebhookReceiver>> Receiver = new(Webhooks.WebhookReceiver.StartAsync);
        private string? _webhook;
        private string? _deliveredEvent;

        /// <summary>A subscription URL on a receiver that answers 200.</summary>
        public async Task<string> WebhookUrlAsync() => (await Receiver.Value).Url("matrix");

        /// <summary>A fresh subscription of the owner's firm.</summary>
        public async Task<string> NewOwnerWebhookAsync()
        {
            using var client = server.BearerClient(ownerToken);
            var body = new JsonObject { ["url"] = await WebhookUrlAsync(), ["eventTypes"] = new JsonArray("order.*") };
            return (await ReadAsync(await client.PostAsJsonAsync("/api/v1/webhooks", body), HttpStatusCode.Created))["id"]!.GetValue<string>();
        }

        /// <summary>The owner's subscription shared by the samples that do not delete it (a firm has at most 10).</summary>
        public async Task<string> OwnerWebhookAsync() => _webhook ??= await NewOwnerWebhookAsync();

        /// <summary>An event delivered to the owner's shared subscription (a ping), for redelivery.</summary>
        public async Task<string> DeliveredEventAsync()
        {
            if (_deliveredEvent is null)
            {
                var id = await OwnerWebhookAsync();
                using var client = server.BearerClient(ownerToken);
                var eventId = (await ReadAsync(await client.PostAsync($"/api/v1/webhooks/{id}/ping", null), HttpStatusCode.Accepted))["eventId"]!.GetValue<string>();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (!(await ReadAsync(await client.GetAsync($"/api/v1/webhooks/{id}/deliveries"), HttpStatusCode.OK))["recent"]!.AsArray()
                           .Any(d => d!["eventId"]!.GetValue<string>() == eventId))
                {
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the ping was not delivered in 20 s");
                    await Task.Delay(20);
                }

                _deliveredEvent = eventId;
            }

            return _deliveredEvent;
        }

        private string? _review;

        private string? _wasteOrder;

        /// <summary>
        /// The owner's order (as buyer) of a counterparty's waste lot, handed over, so it has a transfer document; made once
        /// and shared: the counterparty never signs, so the document stays open to every sample.
        /// </summary>
        public async Task<string> OwnerWasteOrderAsync()
        {
            if (_wasteOrder is null)
            {
                var lot = await Orders.OrderDriver.WasteLotAsync(server, counterparty);
                using var buyer = server.BearerClient(ownerToken);
                var id = (await Orders.OrderDriver.PlaceAsync(buyer, lot, 10))["id"]!.GetValue<string>();
                await Orders.OrderDriver.StepAsync(server.Client(counterparty), id, "accept");
                await Orders.OrderDriver.StepAsync(buyer, id, "handover");
                _wasteOrder = id;
            }

            return _wasteOrder;
        }

        /// <summary>The owner's review of the counterparty after a completed order (made once and shared: any firm may report it).</summary>
        public async Task<string> ReviewAsync()
        {
            if (_review is null)
            {
                using var owner = server.BearerClient(ownerToken);
                var review = new JsonObject { ["orderId"] = await OwnerBuyingOrderAsync("accept", "handover", "complete"), ["rating"] = 3, ["text"] = "Fine" };
                _review = (await ReadAsync(await owner.PostAsJsonAsync($"/api/v1/traders/{counterparty}/reviews", review), HttpStatusCode.Created))["id"]!.GetValue<string>();
            }

            return _review;
        }
    }

    /// <summary>A one-row import file (the row itself is refused: the job and its report are what is sampled).</summary>
    private const string ImportCsv = "externalId;title\r\nmatrix-1;Bricks\r\n";

    private static readonly Dictionary<string, Func<World, Task<Sample>>> Samples = new()
    {
        ["GET /health/live"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/health/live")),
        ["GET /health/ready"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/health/ready")),
        ["GET /api/v1/materials"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/materials")),
        ["GET /api/v1/me/"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/me")),
        ["POST /api/v1/traders/"] = _ => Task.FromResult(new Sample(HttpMethod.Post, "/api/v1/traders", Firm("buyer"))),
        ["GET /api/v1/traders/{id}"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}")),
        ["PATCH /api/v1/traders/{id}"] = w => Task.FromResult(new Sample(HttpMethod.Patch, $"/api/v1/traders/{w.OwnerFirm}", new JsonObject { ["municipality"] = "Espoo" })),
        ["GET /api/v1/traders/{id}/listings"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/listings")),
        ["GET /api/v1/traders/{id}/members"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/members")),
        ["POST /api/v1/traders/{id}/invitations"] = w => Task.FromResult(new Sample(HttpMethod.Post, $"/api/v1/traders/{w.OwnerFirm}/invitations",
            new JsonObject { ["email"] = Browser.NewEmail("invitee"), ["role"] = "member" })),
        ["GET /api/v1/traders/{id}/invitations"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/invitations")),
        ["DELETE /api/v1/traders/{id}/invitations/{invitationId}"] = async w => new Sample(HttpMethod.Delete, $"/api/v1/traders/{w.OwnerFirm}/invitations/{await w.OwnerInvitationAsync()}"),
        ["DELETE /api/v1/traders/{id}/members/{userId}"] = async w => new Sample(HttpMethod.Delete, $"/api/v1/traders/{w.OwnerFirm}/members/{await w.RemovableMemberAsync()}"),
        ["PATCH /api/v1/traders/{id}/members/{userId}"] = async w => new Sample(HttpMethod.Patch, $"/api/v1/traders/{w.OwnerFirm}/members/{await w.RemovableMemberAsync()}",
            new JsonObject { ["role"] = "trader-admin" }),
        ["GET /api/v1/traders/{id}/clients/"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/clients")),
        ["POST /api/v1/traders/{id}/clients/"] = w => Task.FromResult(new Sample(HttpMethod.Post, $"/api/v1/traders/{w.OwnerFirm}/clients",
            new JsonObject { ["name"] = "Matrix", ["scopes"] = "listings.read" })),
        ["DELETE /api/v1/traders/{id}/clients/{clientId}"] = async w => new Sample(HttpMethod.Delete, $"/api/v1/traders/{w.OwnerFirm}/clients/{await w.OwnerClientAsync()}"),
        ["GET /api/v1/listings/search/"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/listings/search?q=bricks&limit=5")),
        ["POST /api/v1/demands/"] = _ => Task.FromResult(new Sample(HttpMethod.Post, "/api/v1/demands", Demand())),
        ["GET /api/v1/demands/{id}"] = async w => new Sample(HttpMethod.Get, $"/api/v1/demands/{await w.OwnerDemandAsync()}"),
        ["PATCH /api/v1/demands/{id}"] = async w => new Sample(HttpMethod.Patch, $"/api/v1/demands/{await w.OwnerDemandAsync()}", new JsonObject { ["radiusKm"] = 55 }),
        ["POST /api/v1/demands/{id}/cancel"] = async w => new Sample(HttpMethod.Post, $"/api/v1/demands/{await w.OwnerDemandAsync()}/cancel"),
        ["GET /api/v1/traders/{id}/demands/"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/demands")),
        ["GET /api/v1/matches/"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/matches?status=proposed")),
        ["GET /api/v1/matches/stream"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/matches/stream")),
        ["GET /api/v1/matches/{id}"] = async w => new Sample(HttpMethod.Get, $"/api/v1/matches/{await w.OwnerBuyingMatchAsync()}"),
        ["POST /api/v1/matches/{id}/accept"] = async w => new Sample(HttpMethod.Post, $"/api/v1/matches/{await w.OwnerBuyingMatchAsync()}/accept"),
        ["POST /api/v1/matches/{id}/decline"] = async w => new Sample(HttpMethod.Post, $"/api/v1/matches/{await w.OwnerBuyingMatchAsync()}/decline"),
        ["POST /api/v1/matches/{id}/confirm"] = async w => new Sample(HttpMethod.Post, $"/api/v1/matches/{await w.OwnerSellingAcceptedMatchAsync()}/confirm"),
        ["POST /api/v1/orders/"] = async w =>
        {
            var lot = await w.CounterpartyActiveAsync();
            return new Sample(HttpMethod.Post, "/api/v1/orders", Orders.OrderDriver.Checkout(lot, await w.HoldAsync(lot, w.OwnerToken)));
        },
        ["GET /api/v1/orders/"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/orders?role=buyer")),
        ["GET /api/v1/orders/{id}"] = async w => new Sample(HttpMethod.Get, $"/api/v1/orders/{await w.OwnerBuyingOrderAsync()}"),
        ["POST /api/v1/orders/{id}/card-checkout"] = async w => new Sample(HttpMethod.Post, $"/api/v1/orders/{await w.OwnerHostedCardOrderAsync()}/card-checkout",
            new JsonObject { ["returnUrl"] = "https://marketplace.example/orders/back" }),
        ["POST /api/v1/orders/{id}/accept"] = async w => new Sample(HttpMethod.Post, $"/api/v1/orders/{await w.OwnerSellingOrderAsync(accepted: false)}/accept"),
        ["POST /api/v1/orders/{id}/handover"] = async w => new Sample(HttpMethod.Post, $"/api/v1/orders/{await w.OwnerBuyingOrderAsync("accept")}/handover"),
        ["POST /api/v1/orders/{id}/complete"] = async w => new Sample(HttpMethod.Post, $"/api/v1/orders/{await w.OwnerBuyingOrderAsync("accept", "handover")}/complete"),
        ["POST /api/v1/orders/{id}/cancel"] = async w => new Sample(HttpMethod.Post, $"/api/v1/orders/{await w.OwnerBuyingOrderAsync()}/cancel", new JsonObject { ["reason"] = "Plans changed" }),
        ["POST /api/v1/orders/{id}/dispute"] = async w => new Sample(HttpMethod.Post, $"/api/v1/orders/{await w.OwnerBuyingOrderAsync("accept", "handover")}/dispute",
            new JsonObject { ["reason"] = "Cracked bricks" }),
        ["POST /api/v1/orders/{id}/resolve"] = async w => new Sample(HttpMethod.Post, $"/api/v1/orders/{await w.OwnerBuyingOrderAsync("accept", "handover", "dispute")}/resolve",
            new JsonObject { ["outcome"] = "complete" }),
        ["GET /api/v1/orders/{id}/audit"] = async w => new Sample(HttpMethod.Get, $"/api/v1/orders/{await w.OwnerBuyingOrderAsync()}/audit"),
        ["POST /api/v1/orders/{id}/invoice/payments"] = async w => new Sample(HttpMethod.Post, $"/api/v1/orders/{await w.OwnerSellingOrderAsync(accepted: true)}/invoice/payments",
            new JsonObject { ["amountMinor"] = 100 }),
        ["GET /api/v1/orders/{id}/invoice"] = async w => new Sample(HttpMethod.Get, $"/api/v1/orders/{await w.OwnerBuyingOrderAsync("accept")}/invoice"),
        ["GET /api/v1/orders/{id}/transfer-document/"] = async w => new Sample(HttpMethod.Get, $"/api/v1/orders/{await w.OwnerWasteOrderAsync()}/transfer-document"),
        ["PATCH /api/v1/orders/{id}/transfer-document/"] = async w => new Sample(HttpMethod.Patch, $"/api/v1/orders/{await w.OwnerWasteOrderAsync()}/transfer-document",
            new JsonObject { ["description"] = "Clay bricks with some mortar" }),
        ["POST /api/v1/orders/{id}/transfer-document/signatures"] = async w => new Sample(HttpMethod.Post, $"/api/v1/orders/{await w.OwnerWasteOrderAsync()}/transfer-document/signatures"),
        ["GET /api/v1/traders/{id}/transfer-documents/"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/transfer-documents")),
        ["GET /api/v1/traders/{id}/exports/transfer-documents"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/exports/transfer-documents?format=csv")),
        ["GET /api/v1/invoices/"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/invoices?overdue=true")),
        ["POST /api/v1/payments/stripe/onboarding"] = _ => Task.FromResult(new Sample(HttpMethod.Post, "/api/v1/payments/stripe/onboarding")),
        ["POST /api/v1/payments/stripe/webhook"] = _ =>
        {
            // A verified event about an account of no known firm: acknowledged, changes nothing. Signed over the exact body sent.
            var body = JsonNode.Parse(Marketplace.Testing.Payments.StripeEvents.Event("evt_" + Guid.NewGuid().ToString("N"), "account.updated",
                DateTimeOffset.UtcNow.ToUnixTimeSeconds(), Marketplace.Testing.Payments.StripeAnswers.Account("no-such-trader")))!;
            var signature = Marketplace.Testing.Payments.StripeEvents.Sign(body.ToJsonString(), DateTimeOffset.UtcNow);
            return Task.FromResult(new Sample(HttpMethod.Post, "/api/v1/payments/stripe/webhook", body, new Dictionary<string, string> { ["Stripe-Signature"] = signature }));
        },
        ["GET /api/v1/carbon/region"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/carbon/region")),
        ["GET /api/v1/carbon/traders/{id}"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/carbon/traders/{w.OwnerFirm}")),
        ["GET /api/v1/traders/{id}/exports/lots"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/exports/lots?format=csv")),
        ["GET /api/v1/traders/{id}/exports/demands"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/exports/demands?format=csv")),
        ["GET /api/v1/traders/{id}/exports/orders"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/exports/orders?format=csv")),
        ["GET /api/v1/traders/{id}/exports/carbon"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/exports/carbon?format=csv")),
        ["POST /api/v1/imports/"] = _ => Task.FromResult(new Sample(HttpMethod.Post, "/api/v1/imports", Csv: ImportCsv)),
        ["GET /api/v1/imports/{id}"] = async w => new Sample(HttpMethod.Get, $"/api/v1/imports/{await w.OwnerImportAsync()}"),
        ["GET /api/v1/imports/{id}/report"] = async w => new Sample(HttpMethod.Get, $"/api/v1/imports/{await w.OwnerImportAsync()}/report"),
        ["DELETE /api/v1/imports/{id}"] = async w => new Sample(HttpMethod.Delete, $"/api/v1/imports/{await w.OwnerImportAsync()}"),
        ["GET /api/v1/open-data/lots"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/open-data/lots?format=csv")),
        ["GET /api/v1/schemas/{name}.json"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/schemas/order.json")),
        ["GET /api/v1/carbon/factors"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/carbon/factors")),
        ["GET /api/v1/carbon/estimate"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/carbon/estimate?category=metals/steel/beams&quantity=2&unit=t")),
        ["POST /api/v1/listings/"] = _ => Task.FromResult(new Sample(HttpMethod.Post, "/api/v1/listings", Lot())),
        ["GET /api/v1/listings/{id}"] = async w => new Sample(HttpMethod.Get, $"/api/v1/listings/{await w.OwnerDraftAsync()}"),
        ["PATCH /api/v1/listings/{id}"] = async w => new Sample(HttpMethod.Patch, $"/api/v1/listings/{await w.OwnerDraftAsync()}", new JsonObject { ["title"] = "Changed title" }),
        ["POST /api/v1/listings/{id}/publish"] = async w => new Sample(HttpMethod.Post, $"/api/v1/listings/{await w.OwnerDraftAsync()}/publish"),
        ["POST /api/v1/listings/{id}/withdraw"] = async w => new Sample(HttpMethod.Post, $"/api/v1/listings/{await w.OwnerActiveAsync()}/withdraw"),
        ["POST /api/v1/listings/{id}/photos/"] = async w => new Sample(HttpMethod.Post, $"/api/v1/listings/{await w.OwnerActiveAsync()}/photos", Content: World.SmallPhoto),
        ["DELETE /api/v1/listings/{id}/photos/{photoId}"] = async w => new Sample(HttpMethod.Delete, await w.OwnerPhotoAsync(publish: true)),
        ["GET /api/v1/listings/{id}/photos/{photoId}"] = async w => new Sample(HttpMethod.Get, await w.OwnerPhotoAsync(publish: false)),
        ["GET /api/v1/listings/{id}/photos/{photoId}/thumbnail"] = async w => new Sample(HttpMethod.Get, await w.OwnerPhotoAsync(publish: false) + "/thumbnail"),
        ["GET /api/v1/holds/"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/holds")),
        ["POST /api/v1/listings/{id}/holds/"] = async w => new Sample(HttpMethod.Post, $"/api/v1/listings/{await w.CounterpartyActiveAsync()}/holds", new JsonObject { ["quantity"] = 1 }),
        ["DELETE /api/v1/listings/{id}/holds/{holdId}"] = async w =>
        {
            var lot = await w.CounterpartyActiveAsync();
            return new Sample(HttpMethod.Delete, $"/api/v1/listings/{lot}/holds/{await w.HoldAsync(lot, w.OwnerToken)}");
        },
        ["POST /api/v1/listings/{id}/holds/{holdId}/confirm"] = async w =>
        {
            var lot = await w.OwnerActiveAsync();
            return new Sample(HttpMethod.Post, $"/api/v1/listings/{lot}/holds/{await w.HoldAsync(lot, w.CounterpartyToken)}/confirm");
        },
        ["GET /api/v1/traders/{id}/reviews/"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/reviews")),
        ["POST /api/v1/traders/{id}/reviews/"] = async w => new Sample(HttpMethod.Post, $"/api/v1/traders/{w.Counterparty}/reviews",
            new JsonObject { ["orderId"] = await w.OwnerBuyingOrderAsync("accept", "handover", "complete"), ["rating"] = 5, ["text"] = "Good" }),
        ["POST /api/v1/reviews/{id}/reports"] = async w => new Sample(HttpMethod.Post, $"/api/v1/reviews/{await w.ReviewAsync()}/reports", new JsonObject { ["reason"] = "Spam" }),
        ["GET /api/v1/admin/review-reports"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/admin/review-reports")),
        ["POST /api/v1/traders/{id}/verification"] = w => Task.FromResult(new Sample(HttpMethod.Post, $"/api/v1/traders/{w.OwnerFirm}/verification")),
        ["DELETE /api/v1/traders/{id}/verification"] = w => Task.FromResult(new Sample(HttpMethod.Delete, $"/api/v1/traders/{w.OwnerFirm}/verification")),
        ["GET /api/v1/traders/{id}/notices"] = w => Task.FromResult(new Sample(HttpMethod.Get, $"/api/v1/traders/{w.OwnerFirm}/notices")),
        ["POST /api/v1/listings/{id}/hide"] = async w => new Sample(HttpMethod.Post, $"/api/v1/listings/{await w.OwnerActiveAsync()}/hide", new JsonObject { ["reason"] = "Matrix" }),
        ["POST /api/v1/listings/{id}/unhide"] = async w => new Sample(HttpMethod.Post, $"/api/v1/listings/{await w.OwnerActiveAsync()}/unhide"),
        ["POST /api/v1/reviews/{id}/hide"] = async w => new Sample(HttpMethod.Post, $"/api/v1/reviews/{await w.ReviewAsync()}/hide", new JsonObject { ["reason"] = "Matrix" }),
        ["POST /api/v1/reviews/{id}/unhide"] = async w => new Sample(HttpMethod.Post, $"/api/v1/reviews/{await w.ReviewAsync()}/unhide"),
        ["POST /api/v1/webhooks/"] = async w => new Sample(HttpMethod.Post, "/api/v1/webhooks",
            new JsonObject { ["url"] = await w.WebhookUrlAsync(), ["eventTypes"] = new JsonArray("listing.*") }),
        ["GET /api/v1/webhooks/"] = _ => Task.FromResult(new Sample(HttpMethod.Get, "/api/v1/webhooks")),
        ["GET /api/v1/webhooks/{id}"] = async w => new Sample(HttpMethod.Get, $"/api/v1/webhooks/{await w.OwnerWebhookAsync()}"),
        ["PATCH /api/v1/webhooks/{id}"] = async w => new Sample(HttpMethod.Patch, $"/api/v1/webhooks/{await w.OwnerWebhookAsync()}", new JsonObject { ["description"] = "Matrix" }),
        ["DELETE /api/v1/webhooks/{id}"] = async w => new Sample(HttpMethod.Delete, $"/api/v1/webhooks/{await w.NewOwnerWebhookAsync()}"),
        ["POST /api/v1/webhooks/{id}/rotate-secret"] = async w => new Sample(HttpMethod.Post, $"/api/v1/webhooks/{await w.OwnerWebhookAsync()}/rotate-secret"),
        ["POST /api/v1/webhooks/{id}/ping"] = async w => new Sample(HttpMethod.Post, $"/api/v1/webhooks/{await w.OwnerWebhookAsync()}/ping"),
        ["GET /api/v1/webhooks/{id}/deliveries"] = async w => new Sample(HttpMethod.Get, $"/api/v1/webhooks/{await w.OwnerWebhookAsync()}/deliveries"),
        ["POST /api/v1/webhooks/{id}/deliveries/{eventId}/redeliver"] = async w =>
            new Sample(HttpMethod.Post, $"/api/v1/webhooks/{await w.OwnerWebhookAsync()}/deliveries/{await w.DeliveredEventAsync()}/redeliver"),
    };

    [Fact]
    public async Task EveryEndpoint_AnswersEveryKindOfCaller_AsItDeclares()
    {
        var endpoints = Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } p && (p.StartsWith("/api/", StringComparison.Ordinal) || p.StartsWith("/health/", StringComparison.Ordinal)))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Key: $"{m} {e.RoutePattern.RawText}", Endpoint: e)))
            .ToArray();
        Assert.True(endpoints.Length >= Samples.Count, "the host maps fewer endpoints than this test knows");

        var undeclared = endpoints.Where(e => e.Endpoint.Metadata.GetMetadata<AccessRule>() is null).Select(e => e.Key).ToArray();
        Assert.True(undeclared.Length == 0, "endpoints without an AccessRule: " + string.Join(", ", undeclared));
        var unsampled = endpoints.Where(e => !Samples.ContainsKey(e.Key)).Select(e => e.Key).ToArray();
        Assert.True(unsampled.Length == 0, "endpoints without a sample request in this test: " + string.Join(", ", unsampled));

        // The owner: a person who registered a firm through the pages (so is its admin).
        using var owner = new Browser(Server.Address);
        await owner.RegisterAsync(Browser.NewEmail("owner"), NewBusinessId(), "Omistaja Oy");
        var ownerToken = (await owner.TokensAsync())["access_token"]!.GetValue<string>();
        var ownerFirm = (await ReadAsync(await Server.BearerClient(ownerToken).GetAsync("/api/v1/me"), HttpStatusCode.OK))["traderId"]!.GetValue<string>();
        // The account its invoices name: an invoice order is accepted only with one.
        await ReadAsync(await Server.BearerClient(ownerToken).PatchAsJsonAsync($"/api/v1/traders/{ownerFirm}",
            new JsonObject { ["billing"] = new JsonObject { ["iban"] = "FI21 1234 5600 0007 85" } }), HttpStatusCode.OK);

        using var other = new Browser(Server.Address);
        await other.RegisterAsync(Browser.NewEmail("other"), NewBusinessId(), "Muu Yritys Oy");
        var otherToken = (await other.TokensAsync())["access_token"]!.GetValue<string>();

        using var admin = new Browser(Server.Address);
        var adminEmail = Browser.NewEmail("admin");
        await admin.RegisterAsync(adminEmail, NewBusinessId(), "Ylläpito Oy");
        await using (var scope = Server.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<MarketplaceUser>>();
            var user = await users.FindByEmailAsync(adminEmail);
            user!.IsPlatformAdmin = true;
            await users.UpdateAsync(user);
        }

        var adminToken = (await admin.TokensAsync(Browser.AllFirmScopes + " admin"))["access_token"]!.GetValue<string>();
        var counterparty = await RegisterFirmAsync(Server, "seller", "buyer");
        var world = new World(Server, ownerFirm, ownerToken, counterparty);

        var withoutScope = new Dictionary<string, string>();
        async Task<string?> TokenFor(CallerKind kind, AccessRule rule)
        {
            switch (kind)
            {
                case CallerKind.Anonymous:
                    return null;
                case CallerKind.OtherFirm:
                    return otherToken;
                case CallerKind.Owner:
                    return ownerToken;
                case CallerKind.PlatformAdmin:
                    return adminToken;
                default:
                    var key = rule.Scope ?? "";
                    if (!withoutScope.TryGetValue(key, out var token))
                    {
                        var scopes = rule.Scope is null ? "openid" : string.Join(' ', Browser.AllFirmScopes.Split(' ').Where(s => s != rule.Scope));
                        token = (await owner.TokensAsync(scopes))["access_token"]!.GetValue<string>();
                        withoutScope[key] = token;
                    }

                    return token;
            }
        }

        var failures = new List<string>();
        foreach (var (key, endpoint) in endpoints)
        {
            var rule = endpoint.Metadata.GetMetadata<AccessRule>()!;
            foreach (var kind in Enum.GetValues<CallerKind>())
            {
                var expected = kind switch
                {
                    CallerKind.Anonymous => rule.Anonymous,
                    CallerKind.OtherFirm => rule.OtherFirm,
                    CallerKind.Owner => rule.OwnerStatus,
                    CallerKind.WithoutScope => rule.WithoutScope,
                    _ => rule.PlatformAdmin,
                };
                var sample = await Samples[key](world);
                var token = await TokenFor(kind, rule);
                using var client = token is null ? Server.Client() : Server.BearerClient(token);
                using var request = new HttpRequestMessage(sample.Method, sample.Path);
                if (sample.Body is not null)
                {
                    request.Content = JsonBody(sample.Body.ToJsonString());
                }
                else if (sample.Csv is not null)
                {
                    request.Content = new StringContent(sample.Csv, System.Text.Encoding.UTF8, "text/csv");
                }

                request.Content ??= sample.Content?.Invoke();

                foreach (var (name, value) in sample.Headers ?? new Dictionary<string, string>())
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }

                // Headers only: an event stream's body never ends.
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                var status = (int)response.StatusCode;
                var ok = expected == AccessRule.Success ? status is >= 200 and < 300 : status == expected;
                if (ok && sample.Csv is not null && response.StatusCode == HttpStatusCode.Accepted)
                {
                    await World.EndedAsync(client, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>());
                }

                if (!ok)
                {
                    failures.Add($"{key} as {kind}: declared {(expected == AccessRule.Success ? "2xx" : expected)}, got {status} {(status >= 400 ? await response.Content.ReadAsStringAsync() : "")}");
                }
                else if (status >= 400)
                {
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }
}
