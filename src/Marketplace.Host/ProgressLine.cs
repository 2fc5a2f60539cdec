namespace Marketplace.Host;

/// <summary>Progress of long work (seeding, reindexing): rewritten in place on a terminal, one line per 10 % otherwise.</summary>
public sealed class ProgressLine(TextWriter output, string label, long total)
{
    private readonly bool _inPlace = output == Console.Out && !Console.IsOutputRedirected;
    private int _lastShown = -1;

    /// <summary>Reports how much is done; prints only when the shown percentage changes.</summary>
    public void Report(long done, TimeSpan elapsed)
    {
        var step = (int)(total == 0 ? 100 : _inPlace ? done * 100 / total : done * 10 / total);
        if (step == Volatile.Read(ref _lastShown) || Interlocked.Exchange(ref _lastShown, step) == step)
        {
            return;
        }

        var line = $"{label}: {done:N0}/{total:N0} ({(total == 0 ? 100 : done * 100 / total)}%), {done / Math.Max(elapsed.TotalSeconds, 0.001):N0}/s";
        lock (output)
        {
            if (_inPlace)
            {
                output.Write("\r" + line + "   ");
            }
            else
            {
                output.WriteLine(line);
            }
        }
    }

    /// <summary>Ends the line with the time taken.</summary>
    public void Finish(TimeSpan elapsed)
    {
        lock (output)
        {
            if (_inPlace)
            {
                output.WriteLine();
            }

            output.WriteLine($"{label}: done in {elapsed.TotalSeconds:N1} s.");
        }
    }
}
