using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Marketplace.Host.Tests.Api;

/// <summary>
/// Identity settings of cluster mode for tests: the identity store on the PostgreSQL that ./test.sh starts (a database per
/// test), signing and encryption certificates from files, and one configured issuer. Nothing is shared through the data folder.
/// </summary>
internal static class ClusterIdentity
{
    public static Dictionary<string, string?> Settings(string suffix)
    {
        var postgres = Environment.GetEnvironmentVariable("MARKETPLACE_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("MARKETPLACE_TEST_POSTGRES is not set: run ./test.sh, which starts PostgreSQL (infra/dev/postgres-start.sh).");
        var folder = Directory.CreateTempSubdirectory("marketplace-certs-").FullName;
        return new Dictionary<string, string?>
        {
            ["Identity:Store"] = "PostgreSql",
            ["Identity:ConnectionString"] = $"{postgres.TrimEnd(';')};Database=identity_{suffix}",
            ["Identity:Issuer"] = "http://marketplace.test/",
            ["Identity:SigningCertificatePath"] = Certificate(folder, "signing", X509KeyUsageFlags.DigitalSignature),
            ["Identity:EncryptionCertificatePath"] = Certificate(folder, "encryption", X509KeyUsageFlags.KeyEncipherment),
            ["Identity:CertificatePassword"] = "test-only",
        };
    }

    private static string Certificate(string folder, string name, X509KeyUsageFlags usage)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN=marketplace {name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(folder, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, "test-only"));
        return path;
    }
}
