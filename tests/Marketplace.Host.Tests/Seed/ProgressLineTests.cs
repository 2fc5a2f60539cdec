namespace Marketplace.Host.Tests.Seed;

/// <summary>Long work's progress only moves forward, whatever order its workers report in.</summary>
public class ProgressLineTests
{
    [Fact]
    public void Report_OutOfOrder_PrintsEachStepOnce_AndNeverGoesBack()
    {
        using var output = new StringWriter();
        var progress = new ProgressLine(output, "Seeding demands", 20);
        foreach (var done in new[] { 2, 10, 8, 10, 12, 4, 20 })
        {
            progress.Report(done, TimeSpan.FromSeconds(1));
        }

        var shown = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => int.Parse(l.Split(':')[1].Trim().Split('/')[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([2, 10, 12, 20], shown);
    }
}
