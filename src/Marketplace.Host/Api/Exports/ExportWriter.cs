using System.Globalization;
using System.Text;
using System.Text.Json;
using Marketplace.Domain.Common;
using Marketplace.Hosting.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Host.Api.Exports;

/// <summary>How an export is written: CSV (RFC 4180) or JSON Lines.</summary>
public enum ExportFormat
{
    /// <summary>RFC 4180 CSV, UTF-8 without BOM, a header row, CRLF line ends.</summary>
    Csv,

    /// <summary>JSON Lines: one JSON document per line, as the API returns it.</summary>
    JsonLines,
}

/// <summary>One CSV column: its header and how a row's cell is read.</summary>
/// <typeparam name="T">The row.</typeparam>
public sealed record ExportColumn<T>(string Name, Func<T, object?> Value);

/// <summary>Picks the format of an export and writes its rows as they are read, never holding the whole file.</summary>
public static class ExportWriter
{
    /// <summary>Media type of CSV.</summary>
    public const string CsvMediaType = "text/csv";

    /// <summary>Media type of JSON Lines.</summary>
    public const string JsonLinesMediaType = "application/x-ndjson";

    private const int RowsPerFlush = 100;
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// The format asked for by <c>?format=csv|jsonl</c>, else by the Accept header (<c>text/csv</c> or
    /// <c>application/x-ndjson</c>; none or <c>*/*</c> gives JSON Lines). A bad <c>format</c> is a 400; an Accept
    /// that names neither is answered by the 406 problem returned in <c>NotAcceptable</c>.
    /// </summary>
    public static (ExportFormat Format, ProblemHttpResult? NotAcceptable) Negotiate(HttpRequest request, string? format)
    {
        switch (format?.ToLowerInvariant())
        {
            case "csv":
                return (ExportFormat.Csv, null);
            case "jsonl":
            case "ndjson":
                return (ExportFormat.JsonLines, null);
            case null:
                break;
            default:
                throw new DomainException("invalid-format", "The format is csv or jsonl.", DomainErrorKind.Validation,
                    new Dictionary<string, string[]> { ["format"] = ["The format is csv or jsonl."] });
        }

        var accept = request.GetTypedHeaders().Accept;
        if (accept is not { Count: > 0 })
        {
            return (ExportFormat.JsonLines, null);
        }

        // q=0 means "not this one" (RFC 9110 §12.4.2), not the least preferred.
        foreach (var media in accept.Where(a => a.Quality is not <= 0).OrderByDescending(a => a.Quality ?? 1))
        {
            switch (media.MediaType.Value)
            {
                case CsvMediaType:
                    return (ExportFormat.Csv, null);
                case JsonLinesMediaType or "application/jsonl" or "application/json" or "*/*" or "application/*":
                    return (ExportFormat.JsonLines, null);
            }
        }

        return (default, TypedResults.Problem(ApiProblems.Create(StatusCodes.Status406NotAcceptable, "not-acceptable", "Not acceptable",
            "Exports are text/csv or application/x-ndjson; ask with ?format=csv|jsonl or one of those in Accept.")));
    }

    /// <summary>A response that writes <paramref name="rows"/> one by one in <paramref name="format"/>, as a download named <paramref name="name"/>.</summary>
    public static PushStreamHttpResult Stream<T>(ExportFormat format, string name, IReadOnlyList<ExportColumn<T>> columns,
        Func<CancellationToken, IAsyncEnumerable<T>> rows, Func<T, object> document, JsonSerializerOptions json, CancellationToken cancellationToken)
    {
        var (mediaType, extension) = format == ExportFormat.Csv ? (CsvMediaType + "; charset=utf-8", "csv") : (JsonLinesMediaType + "; charset=utf-8", "jsonl");
        return TypedResults.Stream(async body =>
        {
            await using var writer = new StreamWriter(body, Utf8, bufferSize: 16 * 1024, leaveOpen: true);
            if (format == ExportFormat.Csv)
            {
                await writer.WriteAsync(CsvLine(columns.Select(c => c.Name)));
            }

            var written = 0;
            await foreach (var row in rows(cancellationToken).WithCancellation(cancellationToken))
            {
                if (format == ExportFormat.Csv)
                {
                    await writer.WriteAsync(CsvLine(columns.Select(c => Cell(c.Value(row)))));
                }
                else
                {
                    var value = document(row);
                    await writer.WriteAsync(JsonSerializer.Serialize(value, value.GetType(), json) + "\n");
                }

                if (++written % RowsPerFlush == 0)
                {
                    await writer.FlushAsync(cancellationToken);
                }
            }

            await writer.FlushAsync(cancellationToken);
        }, mediaType, $"{name}.{extension}");
    }

    /// <summary>
    /// A CSV cell: numbers and dates in the invariant culture (ISO 8601), text guarded against formula injection (a
    /// leading <c>= + - @</c>, tab or carriage return gets a <c>'</c>), quoted when it holds a comma, quote or line break.
    /// </summary>
    public static string Cell(object? value) => Quote(value switch
    {
        null => "",
        string s => Guard(s),
        bool b => b ? "true" : "false",
        DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        // Without trailing zeros: a figure's stored scale (15452.500) is not information.
        decimal d => d.ToString("0.############################", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Guard(value.ToString() ?? ""),
    });

    private static string Guard(string text) => text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + text : text;

    private static string Quote(string text)
        => text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;

    private static string CsvLine(IEnumerable<string> cells) => string.Join(',', cells) + "\r\n";
}
