using Marketplace.Domain.Common;

namespace Marketplace.Domain.Tests.Common;

public class MarketClockTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(9999, 12, 30)]
    [InlineData(9999, 12, 31)]
    public void EndOf_AtTheEdgesOfTheCalendar_AnswersInsteadOfThrowing(int year, int month, int day)
    {
        var date = new DateOnly(year, month, day);

        var end = MarketClock.EndOf(date);

        Assert.True(end.UtcDateTime > date.ToDateTime(TimeOnly.MinValue), $"{end} should come after {date} begins");
    }

    [Fact]
    public void EndOf_LastDate_IsTheLastInstant()
        => Assert.Equal(DateTimeOffset.MaxValue, MarketClock.EndOf(DateOnly.MaxValue));

    [Fact]
    public void Horizon_IsFiveYearsEitherSideOfTheRegionsToday()
    {
        var horizon = MarketClock.Horizon(new DateTimeOffset(2027, 3, 1, 23, 30, 0, TimeSpan.Zero));

        // 23:30 UTC is already 2 March in Helsinki.
        Assert.Equal(new DateWindow(new DateOnly(2022, 3, 2), new DateOnly(2032, 3, 2)), horizon);
    }
}
