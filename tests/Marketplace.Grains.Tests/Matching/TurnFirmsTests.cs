using Marketplace.Domain.Matching;
using Marketplace.Grains.Matching;

namespace Marketplace.Grains.Tests.Matching;

/// <summary>A turn's firms (whose inboxes and webhook interest it asks about): each once, in the order first met, however many.</summary>
public sealed class TurnFirmsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(40)]
    [InlineData(1_000)]
    public void TurnFirms_AreTheDistinctBuyersAndSellers_InTheOrderFirstMet(int pairs)
    {
        var random = new Random(pairs);
        var proposals = Enumerable.Range(0, pairs)
            .Select(i => new SessionProposal("lot-" + i, "seller-" + random.Next(pairs / 3 + 1), "demand-" + i, "buyer-" + random.Next(pairs / 2 + 1), 1, "t", 1, "t", 100, 1))
            .ToArray();

        var expected = proposals.SelectMany(p => new[] { p.BuyerId, p.SellerId }).Distinct(StringComparer.Ordinal);
        var sessions = proposals.Select(p =>
        {
            var session = new MatchingSession();
            session.Propose(SessionProposal.SessionId(p.LotId, p.DemandId), p, DateTimeOffset.UnixEpoch, TimeSpan.FromDays(1));
            return session;
        }).ToList();
        Assert.Equal(expected, MatchPartitionGrain.TurnFirms(sessions));
    }
}
