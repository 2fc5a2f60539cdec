namespace Marketplace.Grains.Tests.Storage;

/// <summary>The Azurite storage emulator that <c>./test.sh</c> starts and announces in <c>MARKETPLACE_TEST_AZURITE</c>.</summary>
internal static class Azurite
{
    public const string Variable = "MARKETPLACE_TEST_AZURITE";

    public static string ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException(
            $"{Variable} is not set: run the tests with ./test.sh, which starts Azurite, or start it with infra/dev/azurite-start.sh " +
            $"and export {Variable}=\"$(cat infra/dev/.azurite/connection-string)\".");
}
