using System.Net;
using Microsoft.AspNetCore.Html;

namespace Marketplace.Host.Web;

/// <summary>A search highlight as HTML: the engines escape the lot's text and mark matches with <c>&lt;em&gt;</c>; nothing else passes.</summary>
public static class Highlights
{
    /// <summary>The highlight with its matches in <c>&lt;mark&gt;</c>; any other markup is shown as text.</summary>
    public static IHtmlContent Render(string highlight)
    {
        var parts = highlight.Split(["<em>", "</em>"], StringSplitOptions.None);
        var html = new HtmlContentBuilder();
        for (var i = 0; i < parts.Length; i++)
        {
            // The engine's text is already escaped; decode and encode again so only its entities, not markup, survive.
            var text = WebUtility.HtmlEncode(WebUtility.HtmlDecode(parts[i]));
            html.AppendHtml(i % 2 == 1 ? "<mark>" + text + "</mark>" : text);
        }

        return html;
    }
}
