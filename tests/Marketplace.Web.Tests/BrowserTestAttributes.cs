// xunit 2 enforces a test's Timeout only with parallelization off; the browser tests share one collection anyway.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Marketplace.Web.Tests;

/// <summary>
/// A browser test: fails (instead of holding up the run) when it takes longer than <see cref="Budget"/>, the backstop
/// behind the fixture's Playwright deadlines and context budget for anything else that could wait forever.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>A browser test's hard limit in milliseconds: the context budget and the time to tear it down.</summary>
    public const int Budget = 180_000;

    /// <summary>Sets the timeout.</summary>
    public BrowserFactAttribute() => Timeout = Budget;
}

/// <summary>A browser test with data: fails when one case takes longer than <see cref="BrowserFactAttribute.Budget"/>.</summary>
public sealed class BrowserTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets the timeout.</summary>
    public BrowserTheoryAttribute() => Timeout = BrowserFactAttribute.Budget;
}
