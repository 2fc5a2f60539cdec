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
        // Only forward: workers report out of order, and a late report of less once printed 8/20 after 10/20.
        var last = Volatile.Read(ref _lastShown);
        while (true)
        {
            if (step <= last)
            {
                return;
            }

            var seen = Interlocked.CompareExchange(ref _lastShown, step, last);
            if (seen == last)
            {
                break;
            }

            last = seen;
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
