namespace Marketplace.Hosting;

/// <summary>
/// The one parser of the host's commands (<c>seed</c>, <c>reindex</c>, <c>import</c>, <c>backup</c>, <c>restore</c>, <c>clients</c>, <c>users</c>): a command's own
/// options as <c>--name value</c> or <c>--name=value</c>, and host settings (<c>--Storage:Provider=Memory</c>,
/// <c>--DataPath=…</c>, <c>--urls …</c>) passed through to configuration. Anything else is refused, so a mistyped
/// option is never silently ignored.
/// </summary>
/// <param name="Options">The command's options by name.</param>
/// <param name="Settings">Host settings, as given, for the configuration.</param>
public sealed record CommandLine(IReadOnlyDictionary<string, string> Options, string[] Settings)
{
    /// <summary>The exit code of a command line that cannot be run as written.</summary>
    public const int UsageExitCode = 2;

    /// <summary>Configuration keys without a section that the host reads from the command line.</summary>
    private static readonly HashSet<string> HostKeys = new(StringComparer.OrdinalIgnoreCase) { "urls", "environment", "contentRoot", "applicationName", "DataPath" };

    /// <summary>
    /// A file a person named on the command line, as a full path from the folder they typed it in: <c>dotnet run
    /// --project src/Marketplace.Host</c> starts the host in the project's folder, so a relative path would otherwise be
    /// looked for there. The shell's folder is <c>PWD</c> (set by POSIX shells and inherited), else the process's own.
    /// </summary>
    public static string CallersPath(string path) => CallersPath(path, Environment.GetEnvironmentVariable("PWD"), Environment.CurrentDirectory);

    /// <summary><see cref="CallersPath(string)"/> with the shell's folder (<c>PWD</c>) and the process's given.</summary>
    public static string CallersPath(string path, string? shellFolder, string processFolder)
    {
        if (Path.IsPathRooted(path))
        {
            return Path.GetFullPath(path);
        }

        var folder = shellFolder is { Length: > 0 } && Path.IsPathRooted(shellFolder) && Directory.Exists(shellFolder) ? shellFolder : processFolder;
        return Path.GetFullPath(Path.Combine(folder, path));
    }

    /// <summary>
    /// Splits <paramref name="args"/> (after the command's words) into the command's options and host settings, or
    /// says what is wrong. A host setting is a key with a section (<c>Section:Key</c>), a key starting with a capital
    /// letter, or one of the host's own keys (<c>urls</c>, <c>environment</c>, <c>contentRoot</c>, <c>DataPath</c>).
    /// </summary>
    public static bool TryParse(string[] args, IReadOnlyCollection<string> options, out CommandLine parsed, out string error)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        var settings = new List<string>();
        parsed = new CommandLine(found, []);
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                error = $"Unexpected argument '{arg}'.";
                return false;
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg[2..] : arg[2..equals];
            string? value = equals < 0 ? null : arg[(equals + 1)..];
            var isOption = options.Contains(name);
            if (!isOption && !IsSetting(name))
            {
                error = options.Count == 0
                    ? $"Unknown option '--{name}'; this command takes only host settings (--Section:Key=value)."
                    : $"Unknown option '--{name}'; this command takes {string.Join(", ", options.Select(o => "--" + o))} and host settings (--Section:Key=value).";
                return false;
            }

            if (value is null)
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    error = $"--{name} needs a value (--{name} VALUE or --{name}=VALUE).";
                    return false;
                }

                value = args[++i];
            }

            if (isOption)
            {
                found[name] = value;
            }
            else
            {
                settings.Add($"--{name}={value}");
            }
        }

        parsed = new CommandLine(found, settings.ToArray());
        return true;
    }

    private static bool IsSetting(string name)
        => name.Length > 0 && (name.Contains(':', StringComparison.Ordinal) || char.IsUpper(name[0]) || HostKeys.Contains(name));
}
