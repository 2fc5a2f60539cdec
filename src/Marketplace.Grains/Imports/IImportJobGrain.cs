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
