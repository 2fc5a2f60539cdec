namespace Marketplace.Grains.Common;

/// <summary>
/// What a firm's record found when asked whether another open hold or demand fits under the firm's bound
/// (<c>IBuyerHoldsGrain.CheckOpenAsync</c>, <c>ITraderGrain.CheckOpenDemandsAsync</c>).
/// </summary>
/// <param name="Allowed">True when another fits.</param>
/// <param name="Open">How many were counted as open.</param>
/// <param name="Verify">When not allowed: those to read where they live (empty: refused without reading, a reading moments ago found the bound reached).</param>
[GenerateSerializer, Immutable]
public sealed record OpenBoundCheck([property: Id(0)] bool Allowed, [property: Id(1)] int Open, [property: Id(2)] IReadOnlyList<string> Verify);
