using System.Text.RegularExpressions;
using Marketplace.Domain.Common;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Traders;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Marketplace.Identity.Pages.Account;

/// <summary>
/// Sign-up: a person and a new firm (business id checked), or a person joining a firm through an invitation. The account
/// acts only after its address is confirmed through the mailed link, and the answer is the same whether or not the
/// address already has an account (its owner is told by mail instead).
/// </summary>
public sealed partial class RegisterModel(
    UserManager<MarketplaceUser> users,
    AccountMail accountMail,
    FirmMembers members,
    IGrainFactory grains,
    TimeProvider time,
    Microsoft.Extensions.Options.IOptions<MarketplaceIdentityOptions> options) : PageModel
{
    /// <summary>Your name.</summary>
    [BindProperty]
    public string? DisplayName { get; set; }

    /// <summary>Email, also the sign-in name.</summary>
    [BindProperty]
    public string? Email { get; set; }

    /// <summary>Password.</summary>
    [BindProperty]
    public string? Password { get; set; }

    /// <summary>Firm's registered name.</summary>
    [BindProperty]
    public string? FirmName { get; set; }

    /// <summary>Firm's business id.</summary>
    [BindProperty]
    public string? BusinessId { get; set; }

    /// <summary>Firm's home municipality.</summary>
    [BindProperty]
    public string? Municipality { get; set; }

    /// <summary>Firm's phone.</summary>
    [BindProperty]
    public string? Phone { get; set; }

    /// <summary>Firm's roles.</summary>
    [BindProperty]
    public List<string> Roles { get; set; } = ["seller", "buyer"];

    /// <summary>Invitation code from the link, when joining a firm.</summary>
    [BindProperty(SupportsGet = true, Name = "invitation")]
    public string? InvitationCode { get; set; }

    /// <summary>Where to go afterwards.</summary>
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>The open invitation, when joining.</summary>
    public Invitation? Invitation { get; private set; }

    /// <summary>Problems by field.</summary>
    public Dictionary<string, string[]> Errors { get; } = [];

    /// <summary>Shows the form.</summary>
    public async Task OnGetAsync() => Invitation = await members.FindOpenAsync(InvitationCode);

    /// <summary>Creates the account (and the firm) and mails the confirmation link.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        Invitation = await members.FindOpenAsync(InvitationCode);
        if (!string.IsNullOrEmpty(InvitationCode) && Invitation is null)
        {
            Errors["invitation"] = ["The invitation link is unknown, used or expired: ask for a new one."];
            return Page();
        }

        // Every problem the form has is said at once (the person fixed one and met the next, probe 15): the name, the
        // firm's fields, the password and the address, before anything is looked up.
        // The name members and sellers' buyers see: required whether the person registers a firm or joins one.
        if (NameProblem(DisplayName) is { } nameProblem)
        {
            Errors["displayName"] = [nameProblem];
        }

        TraderProfile? profile = null;
        if (Invitation is null)
        {
            try
            {
                profile = Trader.Validate(new TraderProfile
                {
                    Name = FirmName ?? "",
                    BusinessId = BusinessId ?? "",
                    Municipality = Municipality,
                    Contact = new TraderContact(DisplayName, Email ?? "", Phone),
                    Roles = Roles,
                });
            }
            catch (DomainException e)
            {
                foreach (var (field, messages) in e.Errors)
                {
                    // The domain names its fields as the API does ("The contact.phone must…"): say what the form calls them.
                    Errors[field] = Labels.TryGetValue(field, out var label)
                        ? [.. messages.Select(m => m.Replace($"The {field} ", $"The {label} ", StringComparison.Ordinal))]
                        : messages;
                }
            }
        }

        var user = new MarketplaceUser { UserName = Email?.Trim(), Email = Email?.Trim(), DisplayName = DisplayName?.Trim(), CreatedAtTicks = time.GetUtcNow().UtcTicks };

        // Check what can be checked without the store first, so a known address and a new one get the same answers.
        var problems = new List<string>();
        foreach (var validator in users.PasswordValidators)
        {
            problems.AddRange((await validator.ValidateAsync(users, user, Password ?? "")).Errors.Select(e => e.Description));
        }

        if (!MailAddresses.IsValid(user.Email) && !Errors.Keys.Any(k => k.Contains("email", StringComparison.OrdinalIgnoreCase)))
        {
            problems.Add("Enter a valid email address.");
        }

        if (problems.Count > 0)
        {
            Errors["account"] = [.. problems];
        }

        if (Errors.Count > 0)
        {
            return Page();
        }

        // Registered firms' business ids are public: refuse a taken one whatever the address, before the address is looked
        // up, so this answer never tells whether the address has an account.
        if (profile is not null && await grains.GetGrain<IBusinessIdGrain>(profile.BusinessId).OwnerAsync() is { } owner)
        {
            // A claim by a registration whose address was never confirmed lapses with its link: the real firm may register.
            if (!await members.ForgetUnconfirmedAsync(owner, time.GetUtcNow() - options.Value.UnconfirmedClaimLifetime))
            {
                Errors["businessId"] = [$"A firm with business id {profile.BusinessId} is already registered."];
                return Page();
            }

            await grains.GetGrain<IBusinessIdGrain>(profile.BusinessId).ReleaseAsync(owner);
        }

        if (await users.FindByEmailAsync(user.Email!) is { } known)
        {
            accountMail.QueueAlreadyRegistered(known.Email!);
            return LocalRedirect(ConfirmEmailModel.SentPath);
        }

        var created = await users.CreateAsync(user, Password ?? "");
        if (!created.Succeeded)
        {
            Errors["account"] = created.Errors.Select(e => e.Description).ToArray();
            return Page();
        }

        if (Invitation is not null)
        {
            if (!await members.AcceptAsync(InvitationCode!, user))
            {
                // Someone else used the link meanwhile: do not leave an account that belongs to no firm.
                await users.DeleteAsync(user);
                Errors["invitation"] = ["The invitation link is unknown, used or expired: ask for a new one."];
                return Page();
            }
        }
        else
        {
            var traderId = Guid.CreateVersion7().ToString("N");
            try
            {
                await grains.GetGrain<ITraderGrain>(traderId).RegisterAsync(profile!, user.Id);
            }
            catch (DomainException e)
            {
                // The firm could not be registered (say, its business id is taken): do not leave an account without it.
                await users.DeleteAsync(user);
                Errors[e.Errors.Keys.FirstOrDefault() ?? "businessId"] = e.Errors.Count > 0 ? e.Errors.Values.First() : [e.Message];
                return Page();
            }

            await members.AddAsync(user.Id, traderId, MemberRoles.TraderAdmin);
        }

        accountMail.QueueConfirmation(user.Id);
        return LocalRedirect(ConfirmEmailModel.SentPath);
    }

    /// <summary>The form's words for the firm profile's fields, as its labels name them.</summary>
    private static readonly Dictionary<string, string> Labels = new(StringComparer.Ordinal)
    {
        ["name"] = "registered name", ["municipality"] = "municipality", ["contact.person"] = "name", ["contact.phone"] = "phone number",
        ["contact.email"] = "email",
    };

    /// <summary>
    /// A message in the person's language (<c>IdentityText.fi.resx</c>). The domain's messages with a part that varies
    /// (a length, the business id) are looked up by their wording with that part as a placeholder; a message without a
    /// translation is shown as it is.
    /// </summary>
    public static string Say(string message, Microsoft.Extensions.Localization.IStringLocalizer text)
    {
        var said = TooLong().Match(message) is { Success: true } tooLong
                ? text[$"The {tooLong.Groups[1].Value} must be at most {{0}} characters (it has {{1}}).", tooLong.Groups[2].Value, tooLong.Groups[3].Value]
            : ControlCharacters().Match(message) is { Success: true } control
                ? text[$"The {control.Groups[1].Value} must not contain control characters."]
            : BusinessIdTaken().Match(message) is { Success: true } taken
                ? text["A firm with business id {0} is already registered.", taken.Groups[1].Value]
            : text[message];
        return said.ResourceNotFound ? message : said.Value;
    }

    [GeneratedRegex(@"^The (.+) must be at most (\d+) characters \(it has (\d+)\)\.$", RegexOptions.CultureInvariant)]
    private static partial Regex TooLong();

    [GeneratedRegex(@"^The (.+?) must not contain control characters \(", RegexOptions.CultureInvariant)]
    private static partial Regex ControlCharacters();

    [GeneratedRegex(@"^A firm with business id (.+) is already registered\.$", RegexOptions.CultureInvariant)]
    private static partial Regex BusinessIdTaken();

    /// <summary>The most a person's name may have: the firm's contact person, which it becomes, takes as much.</summary>
    public const int MaxNameLength = 200;

    /// <summary>What is wrong with a name as typed, or null.</summary>
    public static string? NameProblem(string? name)
        => string.IsNullOrWhiteSpace(name) ? "Enter your name."
            : name.Trim().Length > MaxNameLength ? $"Your name must be at most {MaxNameLength} characters."
            : Validation.InvalidCharacterAt(name) is not null ? "Your name must not contain control characters."
            : null;
}
