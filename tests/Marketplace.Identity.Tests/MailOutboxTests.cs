using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketplace.Identity.Tests;

/// <summary>The outbox sends queued mail in the background and tries a failed one again.</summary>
public class MailOutboxTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Send_WhileTheTransportFails_ReturnsAtOnce_AndTheMailGoesOnItsThirdTry()
    {
        var transport = new FlakyTransport(failures: 2);
        using var outbox = NewOutbox(transport, [TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20)]);
        await outbox.StartAsync(CancellationToken.None);

        await outbox.SendAsync(new MailMessage("aino@purku.example", "Hello", "Body", null));

        Assert.True(await WaitAsync(() => transport.Sent.Count == 1), $"not sent after {transport.Tries} tries");
        Assert.Equal(3, transport.Tries);
        Assert.Equal(0, outbox.Waiting);
        await outbox.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Send_ThatFailsEveryTry_IsGivenUpAfterTheRetries_AndTheNextMailStillGoes()
    {
        var transport = new FlakyTransport(failures: 4);
        using var outbox = NewOutbox(transport, [TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10)]);
        await outbox.StartAsync(CancellationToken.None);

        await outbox.SendAsync(new MailMessage("lost@purku.example", "Lost", "Body", null));
        Assert.True(await WaitAsync(() => transport.Tries == 4 && outbox.Waiting == 0), $"{transport.Tries} tries, {outbox.Waiting} waiting");
        await outbox.SendAsync(new MailMessage("next@purku.example", "Next", "Body", null));

        Assert.True(await WaitAsync(() => transport.Sent.Count == 1), "the next mail was not sent");
        Assert.Equal("next@purku.example", Assert.Single(transport.Sent).To);
        await outbox.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Queue_ComposesInTheQueuingLanguage_AndSendsNothingWhenThereIsNothingToSay()
    {
        var transport = new FlakyTransport(failures: 0);
        using var outbox = NewOutbox(transport, []);
        await outbox.StartAsync(CancellationToken.None);
        var before = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = new CultureInfo("fi");
            outbox.Queue("nobody", (_, _) => Task.FromResult<MailMessage?>(null));
            outbox.Queue("someone", (_, _) => Task.FromResult<MailMessage?>(new MailMessage("aino@purku.example", CultureInfo.CurrentUICulture.Name, "", null)));
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }

        Assert.True(await WaitAsync(() => transport.Sent.Count == 1 && outbox.Waiting == 0), "the composed mail was not sent");
        Assert.Equal("fi", Assert.Single(transport.Sent).Subject);
        await outbox.StopAsync(CancellationToken.None);
    }

    private static MailOutbox NewOutbox(IMailSender transport, IReadOnlyList<TimeSpan> retries)
        => new(transport, new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>(), NullLogger<MailOutbox>.Instance, TimeProvider.System, retries);

    private static async Task<bool> WaitAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    private sealed class FlakyTransport(int failures) : IMailSender
    {
        private int _tries;

        public ConcurrentQueue<MailMessage> Sent { get; } = new();

        public int Tries => Volatile.Read(ref _tries);

        public Task SendAsync(MailMessage message, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _tries) <= failures)
            {
                throw new IOException("relay refused the connection");
            }

            Sent.Enqueue(message);
            return Task.CompletedTask;
        }
    }
}
