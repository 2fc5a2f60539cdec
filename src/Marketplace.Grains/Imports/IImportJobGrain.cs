using Marketplace.Domain.Imports;

namespace Marketplace.Grains.Imports;

/// <summary>One bulk import's record: who it is for, its progress, its report. The rows are applied by <see cref="LotImporter"/>.</summary>
public interface IImportJobGrain : IGrainWithStringKey
{
    /// <summary>Records a new job with the problems found reading its file; a second start of the same id answers the job as it is.</summary>
    Task<ImportJob> StartAsync(string firmId, string? fileName, ImportFormat format, int rows, IReadOnlyList<ImportError> readErrors);

    /// <summary>Stores progress; answers true when someone asked the job to stop.</summary>
    Task<bool> ProgressAsync(ImportCounts counts);

    /// <summary>Ends the job with its final counts and the problems found applying rows.</summary>
    Task<ImportJob> FinishAsync(ImportStatus status, ImportCounts counts, IReadOnlyList<ImportError> errors, string? failure);

    /// <summary>The job, or null when there is none.</summary>
    Task<ImportJob?> GetAsync();

    /// <summary>Asks the job to stop (a finished job is answered as it is).</summary>
    Task<ImportJob> CancelAsync();
}

/// <summary>
/// An import job's progress as the firm's match stream shows it (<c>event: import</c>): sent by the job's grain on
/// start, on every progress report (about once a second), on a cancellation request and at the end. Not stored: the
/// job (<c>GET /api/v1/imports/{id}</c>) is the record.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ImportProgress(
    [property: Id(0)] string Id,
    [property: Id(1)] string Status,
    [property: Id(2)] int Rows,
    [property: Id(3)] int Processed,
    [property: Id(4)] int Created,
    [property: Id(5)] int Updated,
    [property: Id(6)] int Unchanged,
    [property: Id(7)] int Rejected,
    [property: Id(8)] bool CancelRequested,
    [property: Id(9)] DateTimeOffset UpdatedAt)
{
    /// <summary>Processed rows as a percentage of all rows.</summary>
    public int Percent => Rows == 0 ? 100 : (int)(100L * Processed / Rows);

    /// <summary>Where the whole job (its report included) is read.</summary>
    public string Href => $"/api/v1/imports/{Id}";

    /// <summary>The progress of <paramref name="job"/>.</summary>
    public static ImportProgress Of(ImportJob job)
    {
        var c = job.Counts;
        return new ImportProgress(job.Id, ImportJob.StatusCode(job.Status), job.Rows, c.Processed, c.Created, c.Updated, c.Unchanged, c.Rejected, job.CancelRequested, job.UpdatedAt);
    }
}
