using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;

namespace Marketplace.Identity;

/// <summary>
/// Token signing and encryption keys. Embedded mode generates an RSA key pair once under <c>data/keys</c> and reuses it,
/// so tokens issued before a restart still validate after it; cluster mode loads the configured certificates, which every host shares.
/// </summary>
public static class SigningKeys
{
    /// <summary>Loads the RSA key in <paramref name="path"/> (PKCS#8 PEM), creating it first when the file does not exist.</summary>
    public static RsaSecurityKey LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var fresh = RSA.Create(2048);
            var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(temporary, System.Text.Encoding.ASCII, options))
            {
                writer.Write(fresh.ExportPkcs8PrivateKeyPem());
            }

            try
            {
                // Another host process starting at the same moment may have won; keep whichever landed first.
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary);
            }
        }

        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(path));
        var keyId = Convert.ToHexString(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16].ToLowerInvariant();
        return new RsaSecurityKey(rsa) { KeyId = keyId };
    }

    /// <summary>Loads a PKCS#12 certificate with its private key, or explains which setting to fix.</summary>
    public static X509Certificate2 LoadCertificate(string path, string? password, string setting)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{setting} names '{path}', which does not exist. Point it at a PKCS#12 (.pfx) file readable by the host.");
        }

        var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException($"{setting} ('{path}') has no private key; export the certificate with its key.");
        }

        return certificate;
    }
}
