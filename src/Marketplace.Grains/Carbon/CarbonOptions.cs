namespace Marketplace.Grains.Carbon;

/// <summary>Where the emission factors come from and how the carbon ledgers count (<c>Carbon</c> section).</summary>
public sealed class CarbonOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Carbon";

    /// <summary>
    /// Path of an emission-factor file to use instead of the one shipped with the product (same JSON format, see
    /// <c>docs/carbon.md</c>); relative paths are taken from the content root. Default empty: the shipped, indicative file.
    /// Checked at start: a file that cannot be read, or has a bad row, stops the host with a message naming the row.
    /// </summary>
    public string? FactorFile { get; set; }

    /// <summary>
    /// How many calendar months before the current one a ledger remembers which orders it counted, so that a repeated
    /// record of an order is ignored. An entry completed before that is older than any retry and is not counted.
    /// Default 3; 1 to 24.
    /// </summary>
    public int LedgerDedupeMonths { get; set; } = 3;
}
