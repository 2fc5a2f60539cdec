namespace Marketplace.Identity.Tests;

/// <summary>How often one person may be mailed the same kind of thing.</summary>
public class MailBoundsTests
{
    [Fact]
    public void TryTake_PastTheBound_IsRefusedForThatPersonOnly_UntilTheWindowHasPassed()
    {
        var clock = new Clock();
        var bounds = new MailBounds(clock);

        for (var i = 0; i < MailBounds.PasswordResetsPerWindow; i++)
        {
            Assert.True(bounds.TryTake("password-reset:aino"));
        }

        // Before, each of thirty senders' addresses mailed the account another reset link (probe 29).
        Assert.False(bounds.TryTake("password-reset:aino"));
        Assert.True(bounds.TryTake("password-reset:kalle"));

        clock.Now += MailBounds.Window;
        Assert.True(bounds.TryTake("password-reset:aino"));
    }

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
