using Marketplace.Domain.Imports;

namespace Marketplace.Grains.Imports;

/// <summary>Limits and pace of bulk imports (<c>Imports</c> section).</summary>
public sealed class ImportOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Imports";

    /// <summary>Largest file accepted, in bytes (413 <c>import-too-large</c> beyond). Default 64 MiB; 1 KiB to 1 GiB.</summary>
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Most data rows in one file (422 <c>import-too-many-rows</c> beyond). Default 100,000; 1 to 1,000,000.</summary>
    public int MaxRows { get; set; } = 100_000;

    /// <summary>Most characters in one cell (the row is reported beyond). Default 10,000, the longest lot description.</summary>
    public int MaxFieldLength { get; set; } = 10_000;

    /// <summary>Rows applied at once (concurrent lot writes, which the SQLite storage commits together). Default 128; 1 to 1,024.</summary>
    public int Concurrency { get; set; } = 128;

    /// <summary>Rows per batch: the seller's list of lots and its status index are written once per batch, and with SQLite its new lots are stored in one transaction. Default 10,000.</summary>
    public int BatchSize { get; set; } = 10_000;

    /// <summary>
    /// Imports a host reads or applies at once (each holds its file and rows in memory: about 0.8 GB for a 64 MiB file);
    /// one more is 503 <c>imports-busy</c> with <c>Retry-After</c>. Default 2; 1 to 64. A firm has one at a time on a host
    /// (409 <c>import-running</c>).
    /// </summary>
    public int MaxConcurrent { get; set; } = 2;

    /// <summary>How often a running job stores its progress (and sees a cancellation asked on another host). Default 1 second.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A job silent for this long is shown as interrupted (its host stopped): upload the file again. Default 2 minutes.</summary>
    public TimeSpan InterruptedAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The file limits as the parser takes them.</summary>
    public ImportLimits Limits => new(MaxRows, MaxFieldLength);
}
