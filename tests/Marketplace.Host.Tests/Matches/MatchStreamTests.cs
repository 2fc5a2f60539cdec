using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Matching;
using Marketplace.Host.Tests.Identity;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Matches;

/// <summary>A host whose match subscriptions last 4 s (renewed every 1.3 s), whose streams check their token every second, buffer one change and number at most 2 per caller.</summary>
public sealed class StreamServerFixture : IAsyncLifetime
{
    public const int MaxPerCaller = 2;

    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(4);

    public MarketplaceServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await MarketplaceServer.StartAsync(new Dictionary<string, string?>
    {
        ["Matching:ObserverLease"] = "00:00:04",
        ["MatchStream:TokenCheckPeriod"] = "00:00:01",
        ["MatchStream:KeepAlive"] = "00:05:00",
        ["MatchStream:Buffer"] = "1",
        ["MatchStream:MaxPerCaller"] = MaxPerCaller.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The match stream stays subscribed however busy it is, ends with its token, is limited per caller, and asks a slow client to resync.</summary>
public sealed class MatchStreamTests(StreamServerFixture fixture) : IClassFixture<StreamServerFixture>
{
    private MarketplaceServer Server => fixture.Server;

    private IGrainFactory Grains => Server.Services.GetRequiredService<IGrainFactory>();

    /// <summary>Reads every event of a stream (name and data) in the background; knows when the server ended it.</summary>
    private sealed class RawStream : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly HttpResponseMessage _response;
        private readonly Task _reader;

        private RawStream(HttpResponseMessage response)
        {
            _response = response;
            _reader = Task.Run(ReadAsync);
        }

        public Channel<(string Name, string Data)> Events { get; } = Channel.CreateUnbounded<(string, string)>();

        /// <summary>True once the server ended the stream.</summary>
        public bool Ended => _reader.IsCompleted;

        public static async Task<HttpResponseMessage> RequestAsync(HttpClient client)
            => await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/matches/stream"), HttpCompletionOption.ResponseHeadersRead);

        public static async Task<RawStream?> TryOpenAsync(HttpClient client)
        {
            var response = await RequestAsync(client);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return new RawStream(response);
            }

            response.Dispose();
            return null;
        }

        public static async Task<RawStream> OpenAsync(HttpClient client)
        {
            var response = await RequestAsync(client);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new RawStream(response);
        }

        public async Task<(string Name, string Data)> NextAsync(TimeSpan within)
        {
            using var deadline = new CancellationTokenSource(within);
            return await Events.Reader.ReadAsync(deadline.Token);
        }

        private async Task ReadAsync()
        {
            try
            {
                using var reader = new StreamReader(await _response.Content.ReadAsStreamAsync(_stop.Token));
                string? name = null;
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        name = line[7..];
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal) && name is not null)
                    {
                        await Events.Writer.WriteAsync((name, line[6..]));
                    }
                    else if (line.Length == 0)
                    {
                        name = null;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or HttpRequestException)
            {
                // Stopped on purpose, or the connection ended.
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _response.Dispose();
            await _reader;
        }
    }

    /// <summary>A new proposal for the trader as buyer, as a session grain would record it.</summary>
    private static MatchingSession Proposal(string trader)
    {
        var session = new MatchingSession();
        var lot = "lot-" + Guid.NewGuid().ToString("N");
        session.Propose(SessionProposal.SessionId(lot, "demand-x"), new SessionProposal(lot, "seller-x", "demand-x", trader, 1, "t", 1, "t", 100, 1),
            DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        return session;
    }

    /// <summary>A fresh token acting for the firm, of its own (so revoking it touches nothing else).</summary>
    private async Task<string> TokenAsync(string trader)
        => (await (await Server.RegistrarAsync()).Browser.TokensAsync(traderId: trader))["access_token"]!.GetValue<string>();

    [Fact]
    public async Task Stream_WithSteadyEvents_StaysSubscribedAcrossThreeLeases()
    {
        var trader = await RegisterFirmAsync(Server, "buyer");
        await using var stream = await RawStream.OpenAsync(Server.Client(trader));
        var inbox = Grains.GetGrain<IMatchInboxGrain>(trader);

        // An event every quarter second for three leases (as six minutes of a busy stream are more than one 5-minute lease):
        // with the lease renewed only on quiet keep-alives, the subscription lapses and the later events are lost.
        var sent = new List<string>();
        var until = DateTime.UtcNow + (3 * StreamServerFixture.Lease);
        while (DateTime.UtcNow < until)
        {
            var session = Proposal(trader);
            sent.Add(session.Id);
            await inbox.RecordAsync(session);
            var (name, data) = await stream.NextAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("match", name);
            Assert.Equal(session.Id, JsonNode.Parse(data)!["id"]!.GetValue<string>());
            await Task.Delay(250);
        }

        Assert.True(sent.Count >= 10, $"only {sent.Count} events were sent");
    }

    [Fact]
    public async Task Stream_EndsWhenItsTokenIsRevoked()
    {
        var trader = await RegisterFirmAsync(Server, "buyer");
        var token = await TokenAsync(trader);
        await using var stream = await RawStream.OpenAsync(Server.BearerClient(token));
        await Grains.GetGrain<IMatchInboxGrain>(trader).RecordAsync(Proposal(trader));
        Assert.Equal("match", (await stream.NextAsync(TimeSpan.FromSeconds(10))).Name);

        var revocation = await (await Server.RegistrarAsync()).Browser.Http.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token, ["token_type_hint"] = "access_token", ["client_id"] = Browser.FirstPartyClient,
        }));
        Assert.Equal(HttpStatusCode.OK, revocation.StatusCode);

        var ended = await Eventually.TrueAsync(() => stream.Ended, TimeSpan.FromSeconds(15));
        Assert.True(ended, "the stream stayed open after its token was revoked");
    }

    [Fact]
    public async Task Stream_BeyondTheCallersLimit_Is429TooManyStreams()
    {
        var trader = await RegisterFirmAsync(Server, "buyer");
        var client = Server.BearerClient(await TokenAsync(trader));
        var open = new List<RawStream>();
        try
        {
            // Streams of earlier tests by the same person may take a moment to be noticed as closed.
            for (var i = 0; i < StreamServerFixture.MaxPerCaller; i++)
            {
                Assert.True(await Eventually.TrueAsync(async () =>
                {
                    if (await RawStream.TryOpenAsync(client) is { } stream)
                    {
                        open.Add(stream);
                        return true;
                    }

                    return false;
                }, TimeSpan.FromSeconds(15)), $"stream {i + 1} could not be opened");
            }

            // The status first: an accepted stream's body never ends.
            using var refused = await RawStream.RequestAsync(client);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            await ProblemAsync(refused, HttpStatusCode.TooManyRequests, "too-many-streams");

            await open[0].DisposeAsync();
            open.RemoveAt(0);
            Assert.True(await Eventually.TrueAsync(async () =>
            {
                using var response = await RawStream.RequestAsync(client);
                return response.StatusCode == HttpStatusCode.OK;
            }, TimeSpan.FromSeconds(15)), "closing a stream did not free its place");
        }
        finally
        {
            foreach (var stream in open)
            {
                await stream.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Stream_WhenAChangeIsDroppedForASlowReader_SendsResync_AndEnds()
    {
        var trader = await RegisterFirmAsync(Server, "buyer");
        await using var stream = await RawStream.OpenAsync(Server.Client(trader));
        var inbox = Grains.GetGrain<IMatchInboxGrain>(trader);

        // The stream buffers one change in this host: a burst overflows it.
        await Task.WhenAll(Enumerable.Range(0, 500).Select(_ => inbox.RecordAsync(Proposal(trader))));

        var resync = false;
        while (!resync)
        {
            var (name, data) = await stream.NextAsync(TimeSpan.FromSeconds(15));
            resync = name == "resync";
            Assert.True(resync || name == "match", $"unexpected event {name}: {data}");
        }

        Assert.True(await Eventually.TrueAsync(() => stream.Ended, TimeSpan.FromSeconds(10)), "the stream stayed open after asking for a resync");
    }
}
