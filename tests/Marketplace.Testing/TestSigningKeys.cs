namespace Marketplace.Testing;

/// <summary>
/// The token signing and encryption keys of a data folder that a test host starts with. An embedded host makes two
/// 2048-bit RSA keys under <c>data/keys</c> when they are missing (<c>SigningKeys.LoadOrCreate</c>), which took about a
/// fifth of a warm in-process host's start (docs/performance.md, Test suite time). The keys are made once per test
/// process, by that same product code (passed in as <c>make</c>), and copied into each new folder; the host then loads
/// them as after a restart.
/// Each host still has its own issuer (its address), so a token of one test host is still refused by another.
/// Tests that name their own data folder leave the keys to the host.
/// </summary>
public static class TestSigningKeys
{
    private static readonly string[] Names = ["signing.pem", "encryption.pem"];
    private static readonly object Gate = new();
    private static string? _template;

    /// <summary>
    /// Puts the keys into <paramref name="dataPath"/>/keys, as a host that ran there before would have left them;
    /// <paramref name="make"/> (the product's <c>SigningKeys.LoadOrCreate</c>) makes the process's pair the first time.
    /// </summary>
    public static void CopyInto(string dataPath, Action<string> make)
    {
        string template;
        lock (Gate)
        {
            if (_template is null)
            {
                var folder = Path.Combine(Path.GetTempPath(), "marketplace-test-keys", Guid.NewGuid().ToString("N"));
                foreach (var name in Names)
                {
                    make(Path.Combine(folder, name));
                }

                _template = folder;
            }

            template = _template;
        }

        var keys = Path.Combine(dataPath, "keys");
        Directory.CreateDirectory(keys);
        foreach (var name in Names)
        {
            // File.Copy keeps the owner-only mode that LoadOrCreate gave the key.
            File.Copy(Path.Combine(template, name), Path.Combine(keys, name), overwrite: false);
        }
    }
}
