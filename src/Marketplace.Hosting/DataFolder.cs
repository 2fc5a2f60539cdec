namespace Marketplace.Hosting;

/// <summary>Where the host keeps its files: grain store, identity store, keys, mail, search index.</summary>
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

    /// <summary>
    /// The embedded grain store's file: setting <c>Storage:Sqlite:Path</c> (a relative path is under the content root),
    /// by default <c>marketplace.db</c> in the data folder, so that moving <c>DataPath</c> (a container's volume, a
    /// restore's target) moves the lots with the identity store, keys and index rather than leaving them behind.
    /// </summary>
    public static string GrainStore(IHostApplicationBuilder builder)
    {
        var path = builder.Configuration[GrainStoreSetting];
        return path is null ? Path.Combine(Of(builder), "marketplace.db")
            : Path.IsPathRooted(path) ? path
            : Path.Combine(builder.Environment.ContentRootPath, path);
    }

    /// <summary>The setting naming the embedded grain store's file.</summary>
    public const string GrainStoreSetting = "Storage:Sqlite:Path";
}
