namespace Marketplace.Host.Web;

/// <summary>Texts shared by the seller's, the firm's and the admins' pages (<c>ManageText.resx</c>, <c>ManageText.fi.resx</c>).</summary>
public sealed class ManageText;
