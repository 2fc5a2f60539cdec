namespace Marketplace.Identity.Tests;

/// <summary>The PostgreSQL server ./test.sh starts, and a fresh database on it per test.</summary>
internal static class TestPostgres
{
    /// <summary>A connection string to a new database named <paramref name="prefix"/> and a unique suffix.</summary>
    public static string NewDatabase(string prefix)
    {
        var server = Environment.GetEnvironmentVariable("MARKETPLACE_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("MARKETPLACE_TEST_POSTGRES is not set: run ./test.sh, which starts PostgreSQL (infra/dev/postgres-start.sh).");
        return $"{server.TrimEnd(';')};Database={prefix}_{Guid.NewGuid():N}";
    }
}
