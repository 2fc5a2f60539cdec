namespace Marketplace.Identity;

/// <summary>
/// The sign-in pages' texts: the English text is the key, <c>IdentityText.fi.resx</c> has the Finnish. The pages show
/// a message from the page model through the same localizer, so a known message is shown in the person's language.
/// </summary>
public sealed class IdentityText
{
}
