namespace Marketplace.Host.Web;

/// <summary>Texts of the layout and of what several pages share (SharedText.resx, SharedText.fi.resx).</summary>
public sealed class SharedText;
