using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EdgeAgent.Node.Security;

/// <summary>A certificate or key file that cannot be read or written, with a message naming the file.</summary>
public sealed class CertificateFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CertificateFileException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public CertificateFileException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CertificateFileException()
    {
    }
}

/// <summary>
/// Reading and writing PEM certificate and key files. Keys are written with mode 0600 and
/// certificates with 0644, each through a temporary file in the same folder renamed over the
/// target, so a reader (a node reloading its certificate) sees the old file or the new one, never
/// half of one.
/// </summary>
public static class PemFiles
{
    /// <summary>Mode of private key files: owner read and write only.</summary>
    public const UnixFileMode KeyMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Mode of certificate files: readable by all, written by the owner.</summary>
    public const UnixFileMode CertificateMode = KeyMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Writes <paramref name="certificates"/> (leaf first) as PEM with mode 0644.</summary>
    /// <exception cref="CertificateFileException">The file cannot be written.</exception>
    public static void WriteCertificates(string path, params X509Certificate2[] certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        var text = new StringBuilder();
        foreach (var certificate in certificates)
        {
            text.Append(certificate.ExportCertificatePem()).Append('\n');
        }

        WriteAtomically(path, text.ToString(), CertificateMode);
    }

    /// <summary>Writes <paramref name="key"/> as an unencrypted PKCS#8 PEM ("PRIVATE KEY") with mode 0600.</summary>
    /// <exception cref="CertificateFileException">The file cannot be written.</exception>
    public static void WriteKey(string path, AsymmetricAlgorithm key)
    {
        ArgumentNullException.ThrowIfNull(key);
        WriteAtomically(path, key.ExportPkcs8PrivateKeyPem() + "\n", KeyMode);
    }

    /// <summary>Every certificate in a PEM file, in file order.</summary>
    /// <exception cref="CertificateFileException">The file is missing, unreadable or holds no certificate.</exception>
    public static X509Certificate2Collection ReadCertificates(string path, string what = "certificate file")
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new CertificateFileException($"{what} '{path}' cannot be read: {Describe(ex)}", ex);
        }

        if (collection.Count == 0)
        {
            throw new CertificateFileException($"{what} '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        return collection;
    }

    /// <summary>
    /// The certificate of <paramref name="certificatePath"/> (its first PEM certificate) with the
    /// private key of <paramref name="keyPath"/>, or of the certificate file itself when
    /// <paramref name="keyPath"/> is null; further certificates in the file are returned as the chain.
    /// </summary>
    /// <exception cref="CertificateFileException">A file is missing or unreadable, or the key does not match.</exception>
    public static (X509Certificate2 Leaf, X509Certificate2Collection Chain) ReadCertificateWithKey(string certificatePath, string? keyPath)
    {
        var all = ReadCertificates(certificatePath);
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateFileException($"key file '{keyPath ?? certificatePath}' cannot be read: {Describe(ex)}", ex);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new CertificateFileException(
                $"the key in '{keyPath ?? certificatePath}' cannot be used with the certificate in '{certificatePath}' (no PEM private key, an encrypted key, or a key of another certificate): {Describe(ex)}", ex);
        }

        var chain = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++)
        {
            chain.Add(all[i]);
        }

        all[0].Dispose();
        return (leaf, chain);
    }

    /// <summary>Reads an EC or RSA private key from a PEM file.</summary>
    /// <exception cref="CertificateFileException">The file is missing, unreadable or holds no usable key.</exception>
    public static AsymmetricAlgorithm ReadKey(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateFileException($"key file '{path}' cannot be read: {Describe(ex)}", ex);
        }

        // Try EC first (what `edgeagent certs` writes), then RSA (common in corporate PKI).
        AsymmetricAlgorithm[] candidates = [ECDsa.Create(), RSA.Create()];
        foreach (var candidate in candidates)
        {
            try
            {
                candidate.ImportFromPem(text);
                foreach (var other in candidates.Where(c => !ReferenceEquals(c, candidate)))
                {
                    other.Dispose();
                }

                return candidate;
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
            }
        }

        foreach (var candidate in candidates)
        {
            candidate.Dispose();
        }

        throw new CertificateFileException($"key file '{path}' holds no unencrypted PEM EC or RSA private key.");
    }

    /// <summary>The file's modification time and length, to notice a change cheaply; null when it is missing.</summary>
    public static (DateTime, long)? Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : null;
    }

    private static void WriteAtomically(string path, string text, UnixFileMode mode)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        var temporary = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            Directory.CreateDirectory(directory);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = mode;
            }

            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
            {
                writer.Write(text);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new CertificateFileException($"'{full}' cannot be written: {Describe(ex)}", ex);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    internal static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException => "the file does not exist",
        DirectoryNotFoundException => "its folder does not exist",
        UnauthorizedAccessException => "permission denied",
        _ => ex.Message.TrimEnd('.'),
    };
}
