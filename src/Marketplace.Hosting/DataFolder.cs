namespace Marketplace.Hosting;

/// <summary>Where the host keeps its files: identity store, keys, mail, search index.</summary>
public static class DataFolder
{
    /// <summary>
    /// The data folder (setting <c>DataPath</c>, default <c>data</c> under the content root), created if missing.
    /// </summary>
    public static string Of(IHostApplicationBuilder builder)
    {
        var path = builder.Configuration["DataPath"] ?? "data";
        var full = Path.IsPathRooted(path) ? path : Path.Combine(builder.Environment.ContentRootPath, path);
        Directory.CreateDirectory(full);
        return full;
    }
}
