using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Traders;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Storage;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Api;

/// <summary>
/// Idempotency-Key as Stripe defines it, on a host whose grain calls can be made to fail once after (or before) the grain
/// did its work. One host serves the class's tests (they run one at a time, each with its own firms and lots); each
/// test starts with no fault armed.
/// </summary>
public sealed class IdempotencyApiTests : IClassFixture<IdempotencyApiTests.FaultyHost>
{
    private readonly CallFault _fault;
    private readonly MarketplaceServer _server;

    public IdempotencyApiTests(FaultyHost host)
    {
        _fault = host.Fault;
        _server = host.Server;
        _fault.Disarm();
    }

    /// <summary>The host with the fault filter on its outgoing grain calls.</summary>
    public sealed class FaultyHost : IAsyncLifetime
    {
        internal CallFault Fault { get; } = new();

        internal MarketplaceServer Server { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Server = await MarketplaceServer.StartAsync(customize: b =>
            {
                b.Services.AddHttpContextAccessor();
                b.Services.AddSingleton<IOutgoingGrainCallFilter>(Fault);
            });
            Fault.Requests = Server.Services.GetRequiredService<Microsoft.AspNetCore.Http.IHttpContextAccessor>();
        }

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }

    [Fact]
    public async Task PlaceHold_500AfterTheHoldWasPlaced_RetryReplaysThe500_AndHoldsOnce()
    {
        var (seller, buyer, id) = await LotAsync();
        _fault.FailNext<IListingGrain>(nameof(IListingGrain.PlaceHoldAsync), id, after: true, new InvalidOperationException("a fault after the hold was stored"));
        var key = Guid.NewGuid().ToString();

        await ProblemAsync(await HoldAsync(_server.Client(buyer), id, key), HttpStatusCode.InternalServerError, "internal-error");
        var retry = await HoldAsync(_server.Client(buyer), id, key);

        await ProblemAsync(retry, HttpStatusCode.InternalServerError, "internal-error");
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        await AssertHeldAsync(seller, id, 3m, holds: 1);
    }

    [Fact]
    public async Task PlaceHold_503AfterTheHoldWasPlaced_RetryFindsTheFirstHold_AndHoldsOnce()
    {
        var (seller, buyer, id) = await LotAsync();
        _fault.FailNext<IListingGrain>(nameof(IListingGrain.PlaceHoldAsync), id, after: true, new TimeoutException("the answer was lost on the way back"));
        var key = Guid.NewGuid().ToString();

        await ProblemAsync(await HoldAsync(_server.Client(buyer), id, key), HttpStatusCode.ServiceUnavailable, "service-unavailable");
        var retry = await ReadAsync(await HoldAsync(_server.Client(buyer), id, key), HttpStatusCode.Created);

        Assert.Equal(3m, retry["hold"]!["quantity"]!.GetValue<decimal>());
        await AssertHeldAsync(seller, id, 3m, holds: 1);
    }

    [Theory]
    [InlineData(false)] // the grain call fails as the caller hangs up (a host dying under a client that gives up)
    [InlineData(true)] // the hold succeeds, but the caller is gone before the answer
    public async Task PlaceHold_CallerHungUp_TheKeyIsNotStoredWithACutAnswer_RetryGetsTheHold(bool succeeds)
    {
        var (seller, buyer, id) = await LotAsync();
        _fault.AfterHangUp<IListingGrain>(nameof(IListingGrain.PlaceHoldAsync), id, succeeds ? null : new Orleans.Runtime.SiloUnavailableException("the silo is going away"));
        var key = Guid.NewGuid().ToString();
        using (var hangingUp = new CancellationTokenSource())
        {
            var first = HoldAsync(_server.Client(buyer), id, key, hangingUp.Token);
            await _fault.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await hangingUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        }

        // The first request runs to its end on the server after the caller left. Done, its whole answer is stored and the
        // retry is answered with it (a 201 with the hold, not one cut short); failed on a silo, it is a 503 (never a stored
        // 500), the key is freed and the retry finds the first hold by the id the key gives it.
        var retry = await Eventually.ValueAsync(async () => await HoldAsync(_server.Client(buyer), id, key), r => r.StatusCode != HttpStatusCode.Conflict, TimeSpan.FromSeconds(30));
        var hold = await ReadAsync(retry, HttpStatusCode.Created);
        Assert.Equal(succeeds, retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(3m, hold["hold"]!["quantity"]!.GetValue<decimal>());
        await AssertHeldAsync(seller, id, 3m, holds: 1);
    }

    [Fact]
    public async Task PlaceHold_ConcurrentUpdateRefusal_IsNotStored_RetryHolds()
    {
        var (seller, buyer, id) = await LotAsync();
        _fault.FailNext<IListingGrain>(nameof(IListingGrain.PlaceHoldAsync), id, after: false, new InconsistentStateException("someone else wrote first"));
        var key = Guid.NewGuid().ToString();

        await ProblemAsync(await HoldAsync(_server.Client(buyer), id, key), HttpStatusCode.Conflict, "concurrent-update");
        await ReadAsync(await HoldAsync(_server.Client(buyer), id, key), HttpStatusCode.Created);

        await AssertHeldAsync(seller, id, 3m, holds: 1);
    }

    [Fact]
    public async Task TwoIdempotencyKeyHeaders_AreRefused_NotJoinedIntoOneKey()
    {
        var seller = await RegisterFirmAsync(_server, "seller");
        using var client = _server.Client(seller);
        var body = Lot().ToJsonString();
        // Two header lines (HttpClient would send one line "k-a, k-b"), as a raw HTTP/1.1 request.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(_server.Address.Host, _server.Address.Port);
        await using var stream = tcp.GetStream();
        var request = $"POST /api/v1/listings HTTP/1.1\r\nHost: {_server.Address.Authority}\r\nAuthorization: {client.DefaultRequestHeaders.Authorization}\r\n"
            + $"Idempotency-Key: k-a\r\nIdempotency-Key: k-b\r\nContent-Type: application/json\r\nContent-Length: {System.Text.Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(request));
        using var reader = new StreamReader(stream);
        var answer = await reader.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("invalid-idempotency-key", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameKey_TwoMembersOfOneFirm_DoNotSeeEachOthersAnswers()
    {
        var (seller, buyer, id) = await LotAsync();
        // Two callers of one firm: the person who registered it, and an API client of the firm.
        var created = await ReadAsync(await _server.Client(buyer).PostAsJsonAsync($"/api/v1/traders/{buyer}/clients",
            new { name = "warehouse robot", scopes = "orders.write" }), HttpStatusCode.Created);
        using var robot = _server.BearerClient(await ClientTokenAsync(created["clientId"]!.GetValue<string>(), created["clientSecret"]!.GetValue<string>()));
        var key = Guid.NewGuid().ToString();

        var byPerson = await ReadAsync(await HoldAsync(_server.Client(buyer), id, key), HttpStatusCode.Created);
        var byRobotResponse = await HoldAsync(robot, id, key);
        var byRobot = await ReadAsync(byRobotResponse, HttpStatusCode.Created);

        Assert.False(byRobotResponse.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(byPerson["hold"]!["id"]!.GetValue<string>(), byRobot["hold"]!["id"]!.GetValue<string>());
        await AssertHeldAsync(seller, id, 6m, holds: 2);
    }

    [Fact]
    public async Task CreateClient_Replayed_SaysTheSecretWasIssued_WithoutRepeatingIt()
    {
        var firm = await RegisterFirmAsync(_server, "buyer");
        var key = Guid.NewGuid().ToString();

        HttpRequestMessage Request() => new(HttpMethod.Post, $"/api/v1/traders/{firm}/clients")
        {
            Content = JsonBody("""{"name":"erp","scopes":"listings.read"}"""),
            Headers = { { "Idempotency-Key", key } },
        };

        var first = await ReadAsync(await _server.Client(firm).SendAsync(Request()), HttpStatusCode.Created);
        var replayResponse = await _server.Client(firm).SendAsync(Request());
        var raw = await replayResponse.Content.ReadAsStringAsync();
        var replay = await ReadAsync(replayResponse, HttpStatusCode.Created);

        var secret = first["clientSecret"]!.GetValue<string>();
        Assert.True(replayResponse.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(first["clientId"]!.GetValue<string>(), replay["clientId"]!.GetValue<string>());
        Assert.Null(replay["clientSecret"]);
        Assert.DoesNotContain(secret, raw, StringComparison.Ordinal);
        Assert.Contains("issued", replay["secretNote"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateListing_503AfterTheLotWasStored_RetryFindsTheFirstLot_AndTheFirmHasOne()
    {
        var seller = await RegisterFirmAsync(_server, "seller");
        _fault.FailNext<IListingGrain>(nameof(IListingGrain.CreateAsync), target: null, after: true, new TimeoutException("the answer was lost on the way back"));
        var key = Guid.NewGuid().ToString();

        await ProblemAsync(await PostAsync(_server.Client(seller), "/api/v1/listings", Lot(), key), HttpStatusCode.ServiceUnavailable, "service-unavailable");
        var retryResponse = await PostAsync(_server.Client(seller), "/api/v1/listings", Lot(), key);
        var retry = await ReadAsync(retryResponse, HttpStatusCode.Created);

        var lots = (await ReadAsync(await _server.Client(seller).GetAsync($"/api/v1/traders/{seller}/listings"), HttpStatusCode.OK))["items"]!.AsArray();
        var only = Assert.Single(lots)!["id"]!.GetValue<string>();
        Assert.Equal(only, retry["id"]!.GetValue<string>());
        Assert.Equal($"/api/v1/listings/{only}", retryResponse.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task CreateListing_SameKeyAfterA503_WithOtherDetails_Is409()
    {
        var seller = await RegisterFirmAsync(_server, "seller");
        _fault.FailNext<IListingGrain>(nameof(IListingGrain.CreateAsync), target: null, after: true, new TimeoutException("the answer was lost on the way back"));
        var key = Guid.NewGuid().ToString();

        await ProblemAsync(await PostAsync(_server.Client(seller), "/api/v1/listings", Lot(), key), HttpStatusCode.ServiceUnavailable, "service-unavailable");

        await ProblemAsync(await PostAsync(_server.Client(seller), "/api/v1/listings", Lot(quantity: 7), key), HttpStatusCode.Conflict, "listing-exists");
    }

    [Fact]
    public async Task CreateDemand_503AfterTheDemandWasStored_RetryFindsTheFirstDemand_AndTheFirmHasOne()
    {
        var buyer = await RegisterFirmAsync(_server, "buyer");
        _fault.FailNext<IDemandGrain>(nameof(IDemandGrain.CreateAsync), target: null, after: true, new TimeoutException("the answer was lost on the way back"));
        var key = Guid.NewGuid().ToString();

        await ProblemAsync(await PostAsync(_server.Client(buyer), "/api/v1/demands", Demand(), key), HttpStatusCode.ServiceUnavailable, "service-unavailable");
        var retryResponse = await PostAsync(_server.Client(buyer), "/api/v1/demands", Demand(), key);
        var retry = await ReadAsync(retryResponse, HttpStatusCode.Created);

        var demands = (await ReadAsync(await _server.Client(buyer).GetAsync($"/api/v1/traders/{buyer}/demands"), HttpStatusCode.OK))["items"]!.AsArray();
        var only = Assert.Single(demands)!["id"]!.GetValue<string>();
        Assert.Equal(only, retry["id"]!.GetValue<string>());
        Assert.Equal($"/api/v1/demands/{only}", retryResponse.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task RegisterTrader_503AfterTheFirmWasStored_RetryFindsTheFirstFirm_AndTheBusinessIdIsItsOnly()
    {
        using var registrar = await _server.RegistrarClientAsync();
        var firm = Firm("seller");
        _fault.FailNext<ITraderGrain>(nameof(ITraderGrain.RegisterAsync), target: null, after: true, new TimeoutException("the answer was lost on the way back"));
        var key = Guid.NewGuid().ToString();

        await ProblemAsync(await PostAsync(registrar, "/api/v1/traders", firm, key), HttpStatusCode.ServiceUnavailable, "service-unavailable");
        var retryResponse = await PostAsync(registrar, "/api/v1/traders", firm, key);
        var retry = await ReadAsync(retryResponse, HttpStatusCode.Created);

        var id = retry["id"]!.GetValue<string>();
        Assert.Equal($"/api/v1/traders/{id}", retryResponse.Headers.Location?.OriginalString);
        var taken = await ProblemAsync(await PostAsync(registrar, "/api/v1/traders", firm, Guid.NewGuid().ToString()), HttpStatusCode.Conflict, "business-id-taken");
        Assert.Equal(id, taken["traderId"]!.GetValue<string>());
    }

    [Fact]
    public async Task RegisterTrader_503AfterTheBusinessIdWasClaimed_RetryRegistersTheFirm()
    {
        using var registrar = await _server.RegistrarClientAsync();
        var firm = Firm("buyer");
        _fault.FailNext<IBusinessIdGrain>(nameof(IBusinessIdGrain.ClaimAsync), target: null, after: true, new TimeoutException("the answer was lost on the way back"));
        var key = Guid.NewGuid().ToString();

        await ProblemAsync(await PostAsync(registrar, "/api/v1/traders", firm, key), HttpStatusCode.ServiceUnavailable, "service-unavailable");
        var retry = await ReadAsync(await PostAsync(registrar, "/api/v1/traders", firm, key), HttpStatusCode.Created);

        var id = retry["id"]!.GetValue<string>();
        await ReadAsync(await registrar.GetAsync($"/api/v1/traders/{id}"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task RegisterTrader_SameKeyAfterA503_WithAnotherProfile_Is409()
    {
        using var registrar = await _server.RegistrarClientAsync();
        var firm = Firm("seller");
        _fault.FailNext<ITraderGrain>(nameof(ITraderGrain.RegisterAsync), target: null, after: true, new TimeoutException("the answer was lost on the way back"));
        var key = Guid.NewGuid().ToString();

        await ProblemAsync(await PostAsync(registrar, "/api/v1/traders", firm, key), HttpStatusCode.ServiceUnavailable, "service-unavailable");

        await ProblemAsync(await PostAsync(registrar, "/api/v1/traders", Firm("buyer"), key), HttpStatusCode.Conflict, "trader-exists");
    }

    private async Task<(string Seller, string Buyer, string Lot)> LotAsync()
    {
        var seller = await RegisterFirmAsync(_server, "seller");
        var buyer = await RegisterFirmAsync(_server, "buyer");
        return (seller, buyer, await ActiveLotAsync(_server, seller, 10));
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, JsonObject body, string key)
        => client.SendAsync(new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = JsonBody(body.ToJsonString()),
            Headers = { { "Idempotency-Key", key } },
        });

    private static Task<HttpResponseMessage> HoldAsync(HttpClient client, string lotId, string key, CancellationToken cancellationToken = default)
        => client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/v1/listings/{lotId}/holds")
        {
            Content = JsonBody("""{"quantity":3}"""),
            Headers = { { "Idempotency-Key", key } },
        }, cancellationToken);

    private async Task AssertHeldAsync(string seller, string lotId, decimal held, int holds)
    {
        var lot = await ReadAsync(await _server.Client(seller).GetAsync($"/api/v1/listings/{lotId}"), HttpStatusCode.OK);
        Assert.Equal(held, lot["quantities"]!["held"]!.GetValue<decimal>());
        Assert.Equal(holds, lot["holds"]!.AsArray().Count);
    }

    private async Task<string> ClientTokenAsync(string clientId, string secret)
    {
        using var http = _server.Client();
        var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = "orders.write",
        }));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        return body["access_token"]!.GetValue<string>();
    }

    /// <summary>Fails the next call of one grain method (on one grain, or any) once, before the grain is called or after it answered.</summary>
    internal sealed class CallFault : IOutgoingGrainCallFilter
    {
        private (Type Grain, string Method, string? Target, bool After, Exception Error)? _next;

        private bool _waitForHangUp;

        /// <summary>The host's requests, to see whether the caller of a grain call has hung up.</summary>
        public Microsoft.AspNetCore.Http.IHttpContextAccessor? Requests { get; set; }

        /// <summary>Completed when an <see cref="AfterHangUp"/> call has arrived, before it waits for the hang-up.</summary>
        public TaskCompletionSource Reached { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void FailNext<TGrain>(string method, string? target, bool after, Exception error) => _next = (typeof(TGrain), method, target, after, error);

        /// <summary>The next such call waits until its HTTP caller hung up, then runs, then throws <paramref name="error"/> (or returns, when null).</summary>
        public void AfterHangUp<TGrain>(string method, string? target, Exception? error)
        {
            Reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waitForHangUp = true;
            _next = (typeof(TGrain), method, target, true, error!);
        }

        /// <summary>Forgets a fault a failed test armed and never fired, so it cannot fail the next test's call.</summary>
        public void Disarm()
        {
            _next = null;
            _waitForHangUp = false;
        }

        public async Task Invoke(IOutgoingGrainCallContext context)
        {
            if (_next is not { } fault
                || context.InterfaceMethod?.DeclaringType != fault.Grain
                || context.InterfaceMethod.Name != fault.Method
                || (fault.Target is not null && context.TargetId.Key.ToString() != fault.Target))
            {
                await context.Invoke();
                return;
            }

            _next = null;
            if (_waitForHangUp)
            {
                _waitForHangUp = false;
                var aborted = (CancellationToken)Requests!.HttpContext!.Items[Marketplace.Host.Api.Idempotency.IdempotencyMiddleware.CallerAbortedItem]!;
                Reached.TrySetResult();
                await Task.Delay(Timeout.Infinite, aborted).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(30));
            }

            if (fault.After)
            {
                await context.Invoke();
            }

            if (fault.Error is not null)
            {
                throw fault.Error;
            }
        }
    }
}
