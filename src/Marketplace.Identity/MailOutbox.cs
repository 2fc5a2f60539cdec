using System.Globalization;
using System.Threading.Channels;

namespace Marketplace.Identity;

/// <summary>
/// Mail leaves the request that asks for it: a page or endpoint queues it here and answers at once, and this host's
/// background loop composes and sends it through the transport (SMTP or files), trying again after a failure. So a
/// relay that is down or slow never turns a registration or a password reset into an error half-way (the account was
/// stored, the mail failed: probe 28), and an answer takes the same time whether or not the address has an account.
/// The queue is in this host's memory: a mail queued just before a crash is lost, and the person asks for it again
/// (signing in to an unconfirmed account mails its link again; the password reset and invitations can be repeated).
/// </summary>
public sealed class MailOutbox : BackgroundService, IMailSender
{
    /// <summary>The key the transport (SMTP or files) is registered under; <see cref="IMailSender"/> itself is this outbox in the host.</summary>
    public const string TransportKey = "mail-transport";

    /// <summary>Mail waiting at most; past it a new mail is dropped with an error in the log.</summary>
    public const int Capacity = 10_000;

    /// <summary>Waits before the retries of a failed send: five tries over about half an hour, then it is given up.</summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultRetries = [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(20)];

    /// <summary>How long one send may take before it counts as failed.</summary>
    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(60);

    private readonly IMailSender _transport;
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<MailOutbox> _logger;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<TimeSpan> _retries;
    private readonly Channel<Work> _queue = Channel.CreateBounded<Work>(new BoundedChannelOptions(Capacity) { SingleReader = true });
    private readonly PriorityQueue<Work, DateTimeOffset> _later = new();

    /// <summary>An outbox over <paramref name="transport"/>; <paramref name="retries"/> defaults to <see cref="DefaultRetries"/>.</summary>
    public MailOutbox([FromKeyedServices(TransportKey)] IMailSender transport, IServiceScopeFactory scopes, ILogger<MailOutbox> logger, TimeProvider time, IReadOnlyList<TimeSpan>? retries = null)
    {
        _transport = transport;
        _scopes = scopes;
        _logger = logger;
        _time = time;
        _retries = retries ?? DefaultRetries;
    }

    /// <summary>Queues a composed message; never fails for the transport's sake.</summary>
    public Task SendAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        Queue(new Work(message.To, CultureInfo.CurrentUICulture, (_, _) => Task.FromResult<MailMessage?>(message)) { Message = message });
        return Task.CompletedTask;
    }

    /// <summary>
    /// Queues a mail composed later, in a scope of its own and the current request's language: <paramref name="compose"/>
    /// may look the account up and make its link, and answers null when there is nothing to send (no such account).
    /// </summary>
    public void Queue(string description, Func<IServiceProvider, CancellationToken, Task<MailMessage?>> compose)
        => Queue(new Work(description, CultureInfo.CurrentUICulture, compose));

    private void Queue(Work work)
    {
        if (!_queue.Writer.TryWrite(work))
        {
            _logger.LogError("The mail queue is full ({Capacity} waiting): mail about {Description} was dropped. Check the mail relay (Mail:SmtpHost) and the log's send failures", Capacity, work.Description);
        }
    }

    /// <summary>Mail queued and not yet sent or given up.</summary>
    public int Waiting => _queue.Reader.Count + _laterCount;

    /// <summary>Mail whose sending failed and waits to be tried again.</summary>
    public int Retrying => _laterCount;

    private volatile int _laterCount;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            while (_later.TryPeek(out var retry, out var due) && due <= _time.GetUtcNow())
            {
                _later.Dequeue();
                _laterCount = _later.Count;
                await TrySendAsync(retry, stoppingToken);
            }

            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            if (_later.TryPeek(out _, out var next))
            {
                wake.CancelAfter(Max(next - _time.GetUtcNow(), TimeSpan.Zero));
            }

            try
            {
                if (!await _queue.Reader.WaitToReadAsync(wake.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // A retry is due.
                continue;
            }
            catch (OperationCanceledException)
            {
                break;
            }

            while (_queue.Reader.TryRead(out var work))
            {
                await TrySendAsync(work, stoppingToken);
            }
        }

        // Stopping: one last try for what is queued, briefly, so a mail asked for just before a restart is not dropped.
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (!last.IsCancellationRequested && _queue.Reader.TryRead(out var work))
        {
            await TrySendAsync(work with { Tries = _retries.Count }, last.Token);
        }

        if (_queue.Reader.Count + _later.Count > 0)
        {
            _logger.LogWarning("{Count} mail(s) were not sent before the host stopped; the people they were for can ask again", _queue.Reader.Count + _later.Count);
        }
    }

    private async Task TrySendAsync(Work work, CancellationToken stoppingToken)
    {
        var culture = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = work.Culture;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(SendTimeout);
            var message = work.Message;
            if (message is null)
            {
                await using var scope = _scopes.CreateAsyncScope();
                message = await work.Compose(scope.ServiceProvider, timeout.Token);
                if (message is null)
                {
                    return;
                }
            }

            try
            {
                await _transport.SendAsync(message, timeout.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Retry(work with { Message = message }, e);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Composing failed (the identity store did not answer): tried again like a failed send.
            Retry(work, e);
        }
        finally
        {
            CultureInfo.CurrentUICulture = culture;
        }
    }

    private void Retry(Work work, Exception e)
    {
        if (work.Tries >= _retries.Count)
        {
            _logger.LogError(e, "Mail about {Description} was given up after {Tries} tries; check the mail relay (Mail:SmtpHost, Mail:SmtpPort, Mail:SmtpSecurity)", work.Description, work.Tries + 1);
            return;
        }

        var wait = _retries[work.Tries];
        _logger.LogWarning(e, "Mail about {Description} could not be sent (try {Try}); trying again in {Wait}", work.Description, work.Tries + 1, wait);
        _later.Enqueue(work with { Tries = work.Tries + 1 }, _time.GetUtcNow() + wait);
        _laterCount = _later.Count;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed record Work(string Description, CultureInfo Culture, Func<IServiceProvider, CancellationToken, Task<MailMessage?>> Compose)
    {
        public MailMessage? Message { get; init; }

        public int Tries { get; init; }
    }
}
