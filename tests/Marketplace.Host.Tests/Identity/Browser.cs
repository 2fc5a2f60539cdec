using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace Marketplace.Host.Tests.Identity;

/// <summary>
/// A browser without a screen: keeps cookies, follows no redirects by itself, fills the sign-in pages' forms (with their
/// antiforgery tokens) and walks the authorization code + PKCE flow over real HTTP.
/// </summary>
public sealed partial class Browser : IDisposable
{
    /// <summary>Redirect URI registered for the first-party client in the tests.</summary>
    public const string Callback = "http://127.0.0.1/callback";

    /// <summary>The marketplace's own client.</summary>
    public const string FirstPartyClient = "marketplace-web";

    /// <summary>Every scope a firm's person may ask for, plus a refresh token.</summary>
    public const string AllFirmScopes = "openid profile email offline_access listings.read listings.write demands.write orders.write orders.read matching.read matching.write firm.admin";

    private readonly HttpClient _http;
    private readonly string? _mailFolder;

    /// <summary>Mail folders of the hosts the tests started, by address (embedded mode writes mail as .eml files).</summary>
    public static ConcurrentDictionary<Uri, string> MailFolders { get; } = new();

    /// <param name="address">The host.</param>
    /// <param name="mailFolder">Where the host writes mail; default the one <see cref="MailFolders"/> knows for the address.</param>
    /// <param name="localAddress">Connect from this loopback address (127.0.0.2 looks like another client).</param>
    public Browser(Uri address, string? mailFolder = null, IPAddress? localAddress = null)
    {
        _mailFolder = mailFolder ?? MailFolders.GetValueOrDefault(address);
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = Cookies, UseCookies = true };
        if (localAddress is not null)
        {
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(localAddress, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            };
        }

        _http = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        // The pages speak Finnish to a browser that names no language; these tests read the English texts.
        _http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
    }

    public HttpClient Http => _http;

    /// <summary>The browser's cookies (a test copies them to replay a session elsewhere).</summary>
    public CookieContainer Cookies { get; } = new();

    public static string NewEmail(string who = "person") => $"{who}-{Guid.NewGuid():N}@firm.example";

    public const string Password = "correct horse battery staple";

    /// <summary>Reads a page and returns its HTML; asserts 200.</summary>
    public async Task<string> PageAsync(string path)
    {
        var response = await _http.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {html}");
        return html;
    }

    /// <summary>Posts a page's form (the antiforgery token is taken from <paramref name="html"/>).</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string html, string action, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var token = AntiforgeryField().Match(html);
        Assert.True(token.Success, "the form has no antiforgery token");
        var all = fields.Append(KeyValuePair.Create("__RequestVerificationToken", WebUtility.HtmlDecode(token.Groups[1].Value)));
        return await _http.PostAsync(action, new FormUrlEncodedContent(all));
    }

    /// <summary>
    /// Signs up a person with a new firm (or through an invitation) on the register page, confirms the address with the
    /// mailed link and signs in, so the browser is then signed in as the new person (with <paramref name="confirm"/>
    /// false, the address is left unconfirmed and the browser not signed in).
    /// </summary>
    public async Task RegisterAsync(string email, string businessId, string firmName = "Purkutyö Testi Oy", string[]? roles = null, string? invitation = null, bool confirm = true)
    {
        var path = invitation is null ? "/account/register" : "/account/register?invitation=" + invitation;
        var html = await PageAsync(path);
        var fields = new List<KeyValuePair<string, string>>
        {
            new("DisplayName", "Aino Tester"), new("Email", email), new("Password", Password),
        };
        if (invitation is null)
        {
            fields.AddRange([new("FirmName", firmName), new("BusinessId", businessId), new("Municipality", "Vantaa"), new("Phone", "+358 40 1")]);
            fields.AddRange((roles ?? ["seller", "buyer"]).Select(r => KeyValuePair.Create("Roles", r)));
        }
        else
        {
            fields.Add(new("invitation", invitation));
        }

        var response = await SubmitAsync(html, path, fields);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.OriginalString == "/account/confirm-email",
            $"registration failed: {(int)response.StatusCode} {response.Headers.Location} {ErrorText(body)}");
        if (!confirm)
        {
            return;
        }

        await ConfirmAsync(email);
        var signedIn = await SignInAsync(email);
        Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect, $"sign-in after confirming failed: {ErrorText(await signedIn.Content.ReadAsStringAsync())}");
    }

    /// <summary>Opens the confirmation link mailed to the address.</summary>
    public async Task ConfirmAsync(string email)
    {
        var confirmed = await PageAsync(await LinkMailedToAsync(email, "/account/confirm-email?"));
        Assert.Contains("Your address is confirmed", confirmed, StringComparison.Ordinal);
    }

    /// <summary>The path and query of the newest link to <paramref name="pathPrefix"/> in mail to the address; waits for it up to 10 s.</summary>
    public async Task<string> LinkMailedToAsync(string email, string pathPrefix)
        => new Uri((await MailedLinkAsync(email, pathPrefix)).Link).PathAndQuery;

    /// <summary>The newest message to the address with a link to <paramref name="pathPrefix"/>: its full text and the absolute link.</summary>
    public async Task<(string Text, string Link)> MailedLinkAsync(string email, string pathPrefix)
    {
        Assert.True(_mailFolder is not null, "this browser does not know where the host writes mail");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var files = Directory.Exists(_mailFolder) ? new DirectoryInfo(_mailFolder).GetFiles("*.eml").OrderByDescending(f => f.LastWriteTimeUtc) : Enumerable.Empty<FileInfo>();
            foreach (var file in files)
            {
                var text = await File.ReadAllTextAsync(file.FullName);
                if (text.Contains("To: " + email + "\r\n", StringComparison.Ordinal)
                    && MailLink().Matches(text).FirstOrDefault(m => new Uri(m.Value).PathAndQuery.StartsWith(pathPrefix, StringComparison.Ordinal)) is { } match)
                {
                    return (text, match.Value);
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"no mail to {email} with a {pathPrefix} link in {_mailFolder}");
            await Task.Delay(50);
        }
    }

    /// <summary>Signs in through the sign-in page; returns the response (302 on success, 200 with an error otherwise).</summary>
    public async Task<HttpResponseMessage> SignInAsync(string email, string password = Password, string? returnUrl = null)
    {
        var path = "/account/sign-in" + (returnUrl is null ? "" : "?returnUrl=" + Uri.EscapeDataString(returnUrl));
        var html = await PageAsync(path);
        return await SubmitAsync(html, path, [new("Email", email), new("Password", password), new("ReturnUrl", returnUrl ?? "/")]);
    }

    /// <summary>The text of the page's error, for assertion messages.</summary>
    public static string ErrorText(string html)
    {
        var match = Regex.Match(html, "<(p|div|ul) class=\"error\"[^>]*>(.*?)</\\1>", RegexOptions.Singleline);
        return match.Success ? Regex.Replace(match.Groups[2].Value, "<[^>]+>", " ").Trim() : html.Length > 400 ? html[..400] : html;
    }

    /// <summary>A PKCE verifier and its S256 challenge.</summary>
    public static (string Verifier, string Challenge) Pkce()
    {
        var verifier = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var challenge = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        return (verifier, challenge);
    }

    /// <summary>The authorization request URL.</summary>
    public static string AuthorizeUrl(string clientId, string redirectUri, string scopes, string challenge, string state, string? traderId = null)
    {
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = clientId, ["redirect_uri"] = redirectUri, ["response_type"] = "code", ["scope"] = scopes,
            ["code_challenge"] = challenge, ["code_challenge_method"] = "S256", ["state"] = state,
        };
        if (traderId is not null)
        {
            query["trader_id"] = traderId;
        }

        return QueryHelpers.AddQueryString("/connect/authorize", query);
    }

    /// <summary>Runs the code + PKCE flow for a signed-in session without a consent screen and exchanges the code; returns the token response.</summary>
    public async Task<JsonObject> TokensAsync(string scopes = AllFirmScopes, string? traderId = null, string clientId = FirstPartyClient, string redirectUri = Callback)
    {
        var (verifier, challenge) = Pkce();
        var state = Guid.NewGuid().ToString("N");
        var response = await _http.GetAsync(AuthorizeUrl(clientId, redirectUri, scopes, challenge, state, traderId));
        var code = CodeFrom(response, redirectUri, state);
        return await RedeemAsync(code, verifier, clientId, redirectUri);
    }

    /// <summary>Asserts that an authorization request from this browser is sent to sign in (its session is over), not given a code.</summary>
    public async Task AssertAsksToSignInAsync()
    {
        var (_, challenge) = Pkce();
        using var answer = await _http.GetAsync(AuthorizeUrl(FirstPartyClient, Callback, "openid", challenge, "s"));
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Contains("/account/sign-in", answer.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Reads the code from the redirect to the client; asserts the state came back.</summary>
    public static string CodeFrom(HttpResponseMessage response, string redirectUri, string state)
    {
        var location = response.Headers.Location?.ToString() ?? "";
        Assert.True(response.StatusCode == HttpStatusCode.Redirect && location.StartsWith(redirectUri, StringComparison.Ordinal),
            $"expected a redirect to {redirectUri}, got {(int)response.StatusCode} to '{location}'");
        var query = QueryHelpers.ParseQuery(new Uri(location).Query);
        Assert.Equal(state, query["state"].ToString());
        Assert.True(query.ContainsKey("code"), $"no code in {location}");
        return query["code"].ToString();
    }

    /// <summary>Exchanges a code at the token endpoint.</summary>
    public async Task<JsonObject> RedeemAsync(string code, string verifier, string clientId = FirstPartyClient, string redirectUri = Callback, string? clientSecret = null)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["code_verifier"] = verifier, ["client_id"] = clientId, ["redirect_uri"] = redirectUri,
        };
        if (clientSecret is not null)
        {
            form["client_secret"] = clientSecret;
        }

        return await TokenRequestAsync(form, HttpStatusCode.OK);
    }

    /// <summary>Posts to the token endpoint and asserts the status.</summary>
    public async Task<JsonObject> TokenRequestAsync(Dictionary<string, string> form, HttpStatusCode expected)
    {
        var response = await _http.PostAsync("/connect/token", new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"token endpoint: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex MailLink();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
