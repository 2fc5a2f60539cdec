using System.Text.Json;

namespace Marketplace.Domain.Imports;

/// <summary>How an import file is written.</summary>
public enum ImportFormat
{
    /// <summary>CSV (RFC 4180 quoting), a header row, <c>;</c> or <c>,</c> between cells (found from the header).</summary>
    Csv,

    /// <summary>JSON Lines: one JSON object per line; nested objects read as dotted column names (<c>location.latitude</c>).</summary>
    JsonLines,
}

/// <summary>Bounds on an import file, checked while it is read.</summary>
/// <param name="MaxRows">Most data rows in one file.</param>
/// <param name="MaxFieldLength">Most characters in one cell.</param>
/// <param name="MaxColumns">Most columns in one file.</param>
public sealed record ImportLimits(int MaxRows = 100_000, int MaxFieldLength = 10_000, int MaxColumns = 200);

/// <summary>One data row of an import file: its line number (1-based, the line it starts on) and its cells, or why it could not be read.</summary>
public sealed record ImportRecord(int Line, string?[] Cells, string? Error = null);

/// <summary>
/// An import file read into columns and rows. Pure parsing: no I/O, no knowledge of lots. A row that cannot be read (a
/// wrong number of cells, an unterminated quote, a cell over the length limit, a line that is not a JSON object) keeps
/// its line number and the reason, so it is reported rather than dropping the file.
/// </summary>
public sealed class ImportTable
{
    private readonly Dictionary<string, int> _columns;

    private ImportTable(Dictionary<string, int> columns, List<ImportRecord> rows, char? separator)
    {
        _columns = columns;
        Rows = rows;
        Separator = separator;
    }

    /// <summary>The column names, in file order.</summary>
    public IReadOnlyList<string> Columns => _columns.OrderBy(c => c.Value).Select(c => c.Key).ToArray();

    /// <summary>The data rows, in file order.</summary>
    public IReadOnlyList<ImportRecord> Rows { get; }

    /// <summary>The CSV separator found in the header, or null for JSON Lines.</summary>
    public char? Separator { get; }

    /// <summary>The index of a column (names compare ignoring case), or -1.</summary>
    public int IndexOf(string column) => _columns.TryGetValue(column, out var i) ? i : -1;

    /// <summary>Reads a whole file; throws <see cref="Common.DomainException"/> (422) when it has no header, or more rows or columns than allowed.</summary>
    public static ImportTable Parse(string text, ImportFormat format, ImportLimits limits)
        => format == ImportFormat.Csv ? ParseCsv(text, limits) : ParseJsonLines(text, limits);

    private static ImportTable ParseCsv(string text, ImportLimits limits)
    {
        var position = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        var line = 1;
        var separator = DetectSeparator(text, position);
        var header = ReadCsvRecord(text, ref position, ref line, separator, limits.MaxFieldLength, out var headerError);
        if (header is null || headerError is not null || header.All(string.IsNullOrWhiteSpace))
        {
            throw Refused("import-empty", headerError ?? "The file has no header row: the first line names the columns.");
        }

        var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < header.Count; i++)
        {
            var name = header[i].Trim();
            if (name.Length > 0 && !columns.TryAdd(name, i))
            {
                throw Refused("invalid-header", $"The column '{name}' appears twice in the header.");
            }
        }

        EnsureColumns(columns.Count, limits);
        var rows = new List<ImportRecord>();
        while (position < text.Length)
        {
            var start = line;
            var cells = ReadCsvRecord(text, ref position, ref line, separator, limits.MaxFieldLength, out var error);
            if (cells is null || (cells.Count == 1 && cells[0].Length == 0 && error is null))
            {
                continue; // a blank line
            }

            AddRow(rows, limits);
            if (error is null && cells.Count != header.Count)
            {
                error = $"The row has {cells.Count} cells; the header has {header.Count}.";
            }

            rows.Add(new ImportRecord(start, error is null ? cells.Select(c => (string?)c).ToArray() : [], error));
        }

        return new ImportTable(columns, rows, separator);
    }

    private static char DetectSeparator(string text, int position)
    {
        int semicolons = 0, commas = 0;
        var quoted = false;
        for (var i = position; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && c is '\r' or '\n')
            {
                break;
            }
            else if (!quoted && c == ';')
            {
                semicolons++;
            }
            else if (!quoted && c == ',')
            {
                commas++;
            }
        }

        return semicolons > commas ? ';' : ',';
    }

    /// <summary>One RFC 4180 record from <paramref name="position"/>; null at the end of the text. Quoted cells may hold separators, quotes (doubled) and line breaks.</summary>
    private static List<string>? ReadCsvRecord(string text, ref int position, ref int line, char separator, int maxField, out string? error)
    {
        error = null;
        if (position >= text.Length)
        {
            return null;
        }

        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        var wasQuoted = false;
        while (position < text.Length)
        {
            var c = text[position++];
            if (quoted)
            {
                if (c == '"')
                {
                    if (position < text.Length && text[position] == '"')
                    {
                        cell.Append('"');
                        position++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        line++;
                    }

                    cell.Append(c);
                }
            }
            else if (c == '"' && cell.Length == 0 && !wasQuoted)
            {
                quoted = true;
                wasQuoted = true;
            }
            else if (c == separator)
            {
                cells.Add(cell.ToString());
                cell.Clear();
                wasQuoted = false;
            }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && position < text.Length && text[position] == '\n')
                {
                    position++;
                }

                line++;
                break;
            }
            else
            {
                cell.Append(c);
            }

            if (cell.Length > maxField && error is null)
            {
                error = $"A cell is longer than {maxField:N0} characters.";
            }
        }

        if (quoted)
        {
            error ??= "A quoted cell is not closed (a '\"' is missing).";
        }

        cells.Add(cell.ToString());
        return cells;
    }

    private static ImportTable ParseJsonLines(string text, ImportLimits limits)
    {
        var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var rows = new List<ImportRecord>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (number == 1 && line.Length > 0 && line[0] == '\uFEFF')
            {
                line = line[1..];
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            AddRow(rows, limits);
            var cells = new List<(int Column, string Value)>();
            string? error = null;
            try
            {
                using var document = JsonDocument.Parse(line, LineOptions);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    error = "The line is not a JSON object.";
                }
                else
                {
                    Flatten(document.RootElement, "", columns, cells, limits, ref error);
                }
            }
            catch (JsonException e)
            {
                error = $"The line is not valid JSON: {Common.JsonMessages.WithoutPosition(e.Message)}";
            }
            catch (InvalidOperationException)
            {
                // A string escape that is not Unicode text (a lone surrogate such as \ud800): the JSON API refuses it too.
                error = "The line holds a string that is not valid Unicode text (a lone surrogate escape such as \\ud800).";
            }

            if (error is not null)
            {
                rows.Add(new ImportRecord(number, [], error));
                continue;
            }

            var values = new string?[columns.Count];
            foreach (var (column, value) in cells)
            {
                values[column] = value;
            }

            rows.Add(new ImportRecord(number, values));
        }

        if (rows.Count == 0)
        {
            throw Refused("import-empty", "The file has no rows.");
        }

        // Nothing could be read into columns: the file's columns are unknown, so every field would be "missing". Say why
        // the first line could not be read instead.
        if (columns.Count == 0 && rows.FirstOrDefault(r => r.Error is not null) is { } unreadable)
        {
            throw Refused("import-unreadable", $"No line of the file could be read as a lot. Line {unreadable.Line}: {unreadable.Error}");
        }

        return new ImportTable(columns, rows, null);
    }

    /// <summary>A line's JSON as the API reads a body: a field given twice is refused, not silently the last one.</summary>
    private static readonly JsonDocumentOptions LineOptions = new() { AllowDuplicateProperties = false };

    private static void Flatten(JsonElement element, string prefix, Dictionary<string, int> columns, List<(int, string)> cells, ImportLimits limits, ref string? error)
    {
        foreach (var property in element.EnumerateObject())
        {
            var name = prefix + property.Name;
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Object)
            {
                Flatten(value, name + ".", columns, cells, limits, ref error);
                continue;
            }

            string? text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                JsonValueKind.Array => string.Join(' ', value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
                _ => null,
            };
            if (text is null)
            {
                continue;
            }

            if (text.Length > limits.MaxFieldLength)
            {
                error ??= $"The value of '{name}' is longer than {limits.MaxFieldLength:N0} characters.";
                continue;
            }

            if (!columns.TryGetValue(name, out var index))
            {
                index = columns.Count;
                columns[name] = index;
                EnsureColumns(columns.Count, limits);
            }
            else if (cells.Exists(c => c.Item1 == index))
            {
                // "location.latitude" beside "location": {"latitude": …}, or the same name in another case.
                error ??= $"The field '{name}' is given twice.";
                continue;
            }

            cells.Add((index, text));
        }
    }

    private static void AddRow(List<ImportRecord> rows, ImportLimits limits)
    {
        if (rows.Count >= limits.MaxRows)
        {
            throw Refused("import-too-many-rows", $"An import holds at most {limits.MaxRows:N0} rows; split the file.");
        }
    }

    private static void EnsureColumns(int count, ImportLimits limits)
    {
        if (count > limits.MaxColumns)
        {
            throw Refused("import-too-many-columns", $"An import has at most {limits.MaxColumns} columns.");
        }
    }

    private static Common.DomainException Refused(string code, string message)
        => new(code, message, Common.DomainErrorKind.Validation, new Dictionary<string, string[]> { ["file"] = [message] });
}
