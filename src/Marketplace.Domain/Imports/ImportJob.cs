using System.Text.Json.Serialization;
using Marketplace.Domain.Common;

namespace Marketplace.Domain.Imports;

/// <summary>Where an import job is.</summary>
public enum ImportStatus
{
    /// <summary>Rows are being applied.</summary>
    Running,

    /// <summary>Every row was applied or reported.</summary>
    Completed,

    /// <summary>Stopped on request; the rows applied before stay applied.</summary>
    Cancelled,

    /// <summary>Stopped by a failure that is not a row's (storage unavailable, the host stopping).</summary>
    Failed,
}

/// <summary>How many rows an import has dealt with, by outcome.</summary>
/// <param name="Processed">Rows dealt with so far (applied, unchanged or rejected).</param>
/// <param name="Created">Rows that created a lot.</param>
/// <param name="Updated">Rows that changed an existing lot.</param>
/// <param name="Unchanged">Rows equal to their lot as it was: nothing written.</param>
/// <param name="Rejected">Rows with at least one problem, in the report.</param>
public sealed record ImportCounts(int Processed, int Created, int Updated, int Unchanged, int Rejected);

/// <summary>
/// One bulk import of lots: which firm, how far it got and the problems found, row by row. The rows themselves are not
/// kept: an import is re-run by uploading the file again, which changes only what differs.
/// </summary>
public sealed class ImportJob
{
    /// <summary>Most problems kept in the report; the count of rejected rows stays exact beyond it.</summary>
    public const int MaxReportedErrors = 100_000;

    [JsonInclude]
    private List<ImportError> _errors = [];

    /// <summary>Empty state, for storage; a job is made by <see cref="Start"/>.</summary>
    public ImportJob()
    {
    }

    /// <summary>The import's id.</summary>
    [JsonInclude]
    public string Id { get; private set; } = "";

    /// <summary>The firm whose lots the rows are.</summary>
    [JsonInclude]
    public string FirmId { get; private set; } = "";

    /// <summary>The file's name, when the caller gave one.</summary>
    [JsonInclude]
    public string? FileName { get; private set; }

    /// <summary>The file's format.</summary>
    [JsonInclude]
    public ImportFormat Format { get; private set; }

    /// <summary>Data rows in the file.</summary>
    [JsonInclude]
    public int Rows { get; private set; }

    /// <summary>Rows dealt with, by outcome.</summary>
    [JsonInclude]
    public ImportCounts Counts { get; private set; } = new(0, 0, 0, 0, 0);

    /// <summary>Where the job is.</summary>
    [JsonInclude]
    public ImportStatus Status { get; private set; }

    /// <summary>True once someone asked to stop it.</summary>
    [JsonInclude]
    public bool CancelRequested { get; private set; }

    /// <summary>Why a failed job stopped.</summary>
    [JsonInclude]
    public string? Failure { get; private set; }

    /// <summary>When the job started.</summary>
    [JsonInclude]
    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>When the job last reported progress (or finished).</summary>
    [JsonInclude]
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>When the job finished.</summary>
    [JsonInclude]
    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>True when more problems were found than the report keeps.</summary>
    [JsonInclude]
    public bool ReportTruncated { get; private set; }

    /// <summary>The problems found so far, by line.</summary>
    [JsonIgnore]
    public IReadOnlyList<ImportError> Errors => _errors;

    /// <summary>True when the job exists.</summary>
    [JsonIgnore]
    public bool Exists => Id.Length > 0;

    /// <summary>True once the job has stopped, for whatever reason.</summary>
    [JsonIgnore]
    public bool IsFinished => Status != ImportStatus.Running;

    /// <summary>Starts a job over <paramref name="rows"/> data rows, with the problems found reading the file.</summary>
    public static ImportJob Start(string id, string firmId, string? fileName, ImportFormat format, int rows, IEnumerable<ImportError> readErrors, DateTimeOffset now)
    {
        var job = new ImportJob { Id = id, FirmId = firmId, FileName = fileName, Format = format, Rows = rows, Status = ImportStatus.Running, StartedAt = now, UpdatedAt = now };
        job.AddErrors(readErrors);
        return job;
    }

    /// <summary>Records progress of a running job; false when nothing changed.</summary>
    public bool Progress(ImportCounts counts, DateTimeOffset now)
    {
        if (IsFinished)
        {
            return false;
        }

        Counts = counts;
        UpdatedAt = now;
        return true;
    }

    /// <summary>Asks a running job to stop; false when it had finished already or was asked before.</summary>
    public bool RequestCancel(DateTimeOffset now)
    {
        if (IsFinished || CancelRequested)
        {
            return false;
        }

        CancelRequested = true;
        UpdatedAt = now;
        return true;
    }

    /// <summary>Ends the job with its final counts and the problems found applying rows.</summary>
    public void Finish(ImportStatus status, ImportCounts counts, IEnumerable<ImportError> errors, string? failure, DateTimeOffset now)
    {
        if (status == ImportStatus.Running)
        {
            throw new ArgumentOutOfRangeException(nameof(status), "A job finishes as completed, cancelled or failed.");
        }

        if (IsFinished)
        {
            throw DomainException.Conflict("import-finished", $"The import is already {StatusCode(Status)}.");
        }

        AddErrors(errors);
        _errors.Sort((a, b) => a.Line.CompareTo(b.Line));
        Status = status;
        Counts = counts;
        Failure = failure;
        UpdatedAt = now;
        FinishedAt = now;
    }

    /// <summary>True for a job still marked running whose runner has not reported for <paramref name="silence"/>: its host stopped.</summary>
    public bool IsInterrupted(DateTimeOffset now, TimeSpan silence) => Status == ImportStatus.Running && now - UpdatedAt > silence;

    /// <summary>The API code of a status.</summary>
    public static string StatusCode(ImportStatus status) => status.ToString().ToLowerInvariant();

    private void AddErrors(IEnumerable<ImportError> errors)
    {
        foreach (var error in errors)
        {
            if (_errors.Count >= MaxReportedErrors)
            {
                ReportTruncated = true;
                return;
            }

            _errors.Add(error);
        }
    }
}
