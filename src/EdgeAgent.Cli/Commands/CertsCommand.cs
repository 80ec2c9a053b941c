using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EdgeAgent.Node.Security;
using EdgeAgent.Node.Serving;

namespace EdgeAgent.Cli.Commands;

/// <summary>
/// `edgeagent certs`: a small CA for a fleet (ca), node certificates with a role and names (issue),
/// re-issuing a certificate with a new key (rotate), and reading any certificate file (inspect).
/// </summary>
internal static class CertsCommand
{
    public static Command Create()
    {
        var command = new Command("certs", "Create a certificate authority and the agent, peer and operator certificates for TLS (see the README's TLS section).");
        command.Subcommands.Add(CreateCa());
        command.Subcommands.Add(CreateIssue());
        command.Subcommands.Add(CreateRotate());
        command.Subcommands.Add(CreateInspect());
        return command;
    }

    private static Command CreateCa()
    {
        var output = new Option<string>("--out") { Description = "Folder for ca.crt and ca.key (created when missing).", DefaultValueFactory = _ => "." };
        output.MustNotBeEmpty();
        var name = new Option<string>("--name") { Description = "Common name of the CA.", DefaultValueFactory = _ => "EdgeAgent CA" };
        var days = new Option<int>("--days") { Description = "Validity in days.", DefaultValueFactory = _ => 3650 }.MustBeBetween(1, 36500);
        var force = new Option<bool>("--force") { Description = "Overwrite an existing ca.crt and ca.key." };
        var command = new Command("ca", "Create a certificate authority: OUT/ca.crt (give it to every node) and OUT/ca.key (mode 0600; keep it off the nodes).");
        foreach (var option in new Option[] { output, name, days, force })
        {
            command.Options.Add(option);
        }

        command.SetAction(parseResult => Run(parseResult, () =>
        {
            var directory = parseResult.GetValue(output)!;
            RefuseOverwrite(parseResult.GetValue(force), Path.Combine(directory, CertificateAuthority.CertificateFileName), Path.Combine(directory, CertificateAuthority.KeyFileName));
            var now = TimeProvider.System.GetUtcNow();
            using var ca = CertificateAuthority.Create(CommonName(parseResult.GetValue(name), fileName: false), now.AddMinutes(-5), now.AddDays(parseResult.GetValue(days)));
            ca.Save(directory);
            var o = parseResult.InvocationConfiguration.Output;
            o.WriteLine($"wrote {Path.Combine(directory, CertificateAuthority.CertificateFileName)} and {Path.Combine(directory, CertificateAuthority.KeyFileName)} (mode 0600)");
            o.Write(Describe(ca.Certificate, now));
        }));
        return command;
    }

    private static Command CreateIssue()
    {
        var ca = CaOption();
        var role = new Option<string>("--role") { Description = "agent, peer or operator (written as OU edgeagent-ROLE with the role's key usages).", Required = true };
        var name = new Option<string>("--name") { Description = "Common name, and the file name of NAME.crt and NAME.key.", Required = true };
        var sans = new Option<string[]>("--san")
        {
            Description = "A name the node is reached by: DNS:NAME or IP:ADDRESS (a bare address or name also works), repeatable. Agents and peers need the names clients connect to; without --san the name itself is used when it is a DNS name.",
            AllowMultipleArgumentsPerToken = false,
        };
        var days = new Option<int>("--days") { Description = "Validity in days.", DefaultValueFactory = _ => 90 }.MustBeBetween(1, 36500);
        var output = new Option<string>("--out") { Description = "Folder for NAME.crt and NAME.key.", DefaultValueFactory = _ => "." };
        output.MustNotBeEmpty();
        var force = new Option<bool>("--force") { Description = "Overwrite existing files." };
        var command = new Command("issue", "Issue a node certificate signed by the CA: OUT/NAME.crt (certificate, then the CA certificate) and OUT/NAME.key (mode 0600).");
        foreach (var option in new Option[] { ca, role, name, sans, days, output, force })
        {
            command.Options.Add(option);
        }

        command.SetAction(parseResult => Run(parseResult, () =>
        {
            if (!NodeRoles.TryParse(parseResult.GetValue(role), out var nodeRole))
            {
                throw new UsageException($"--role is '{parseResult.GetValue(role)}'; use agent, peer or operator");
            }

            var commonName = CommonName(parseResult.GetValue(name), fileName: true);

            var altNames = ParseAltNames(parseResult.GetValue(sans) ?? [], commonName, nodeRole);
            var directory = parseResult.GetValue(output)!;
            var certificatePath = Path.Combine(directory, commonName + ".crt");
            var keyPath = Path.Combine(directory, commonName + ".key");
            RefuseOverwrite(parseResult.GetValue(force), certificatePath, keyPath);
            using var authority = CertificateAuthority.Load(parseResult.GetValue(ca)!);
            var now = TimeProvider.System.GetUtcNow();
            using var certificate = Issue(authority, new NodeCertificateRequest(commonName, nodeRole, altNames, now.AddMinutes(-5), now.AddDays(parseResult.GetValue(days))));
            Write(certificate, authority, certificatePath, keyPath);
            var o = parseResult.InvocationConfiguration.Output;
            o.WriteLine($"wrote {certificatePath} and {keyPath} (mode 0600)");
            o.Write(Describe(certificate, now));
        }));
        return command;
    }

    private static Command CreateRotate()
    {
        var ca = CaOption();
        var certificateOption = new Option<string>("--cert") { Description = "The node certificate to renew (NAME.crt); it is replaced in place.", Required = true };
        var keyOption = new Option<string?>("--key") { Description = "Its key file (default: the certificate's path with .key); replaced by a new key." };
        var days = new Option<int?>("--days") { Description = "Validity of the new certificate in days (default: the old certificate's lifetime)." }.MustBeBetween(1, 36500);
        var command = new Command("rotate", "Renew a node certificate with a new key: same name, role and SANs, new validity; both files are replaced atomically, and running nodes pick them up without a restart.");
        foreach (var option in new Option[] { ca, certificateOption, keyOption, days })
        {
            command.Options.Add(option);
        }

        command.SetAction(parseResult => Run(parseResult, () =>
        {
            var certificatePath = parseResult.GetValue(certificateOption)!;
            var keyPath = parseResult.GetValue(keyOption) ?? Path.ChangeExtension(certificatePath, ".key");
            var old = PemFiles.ReadCertificates(certificatePath)[0];
            var roles = NodeRoles.Of(old);
            if (roles.Count != 1)
            {
                throw new CertificateFileException($"'{certificatePath}' names {(roles.Count == 0 ? "no role" : "several roles")} (OU edgeagent-agent, -peer or -operator); issue a new one with `edgeagent certs issue`");
            }

            using var authority = CertificateAuthority.Load(parseResult.GetValue(ca)!);
            if (!old.IssuerName.RawData.AsSpan().SequenceEqual(authority.Certificate.SubjectName.RawData))
            {
                throw new CertificateFileException($"'{certificatePath}' was issued by '{old.Issuer}', not by this CA ('{authority.Certificate.Subject}')");
            }

            var now = TimeProvider.System.GetUtcNow();
            var lifetime = parseResult.GetValue(days) is { } d ? TimeSpan.FromDays(d) : old.NotAfter - old.NotBefore;
            var commonName = old.GetNameInfo(X509NameType.SimpleName, false);
            using var certificate = Issue(authority, new NodeCertificateRequest(commonName, roles[0], SubjectAltName.Of(old), now.AddMinutes(-5), now.AddMinutes(-5) + lifetime));
            Write(certificate, authority, certificatePath, keyPath);
            var o = parseResult.InvocationConfiguration.Output;
            o.WriteLine($"replaced {certificatePath} and {keyPath} (mode 0600); the old certificate ended {old.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC");
            o.Write(Describe(certificate, now));
            old.Dispose();
        }));
        return command;
    }

    private static Command CreateInspect()
    {
        var file = new Argument<string>("file") { Description = "A PEM certificate file (a node certificate, a CA, a bundle)." };
        var command = new Command("inspect", "Show each certificate in a PEM file: subject, role, names, key usages, validity, issuer, fingerprint.");
        command.Arguments.Add(file);
        command.SetAction(parseResult => Run(parseResult, () =>
        {
            var path = parseResult.GetValue(file)!;
            var certificates = PemFiles.ReadCertificates(path);
            var now = TimeProvider.System.GetUtcNow();
            var o = parseResult.InvocationConfiguration.Output;
            for (var i = 0; i < certificates.Count; i++)
            {
                if (certificates.Count > 1)
                {
                    o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"certificate {i + 1} of {certificates.Count}"));
                }

                o.Write(Describe(certificates[i], now));
                certificates[i].Dispose();
            }
        }));
        return command;
    }

    private static Option<string> CaOption() => new("--ca")
    {
        Description = "Folder holding ca.crt and ca.key (from `edgeagent certs ca`).",
        Required = true,
    };

    private static X509Certificate2 Issue(CertificateAuthority authority, NodeCertificateRequest request)
    {
        try
        {
            return authority.Issue(request);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message.Split(" (Parameter", 2)[0]);
        }
    }

    private static void Write(X509Certificate2 certificate, CertificateAuthority authority, string certificatePath, string keyPath)
    {
        // The key first: a node that reloads between the two writes fails to pair them and keeps
        // its old pair until the certificate arrives (it retries on the next change).
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The issued certificate has no EC private key.");
        PemFiles.WriteKey(keyPath, key);
        PemFiles.WriteCertificates(certificatePath, certificate, authority.Certificate);
    }

    private static List<SubjectAltName> ParseAltNames(string[] values, string commonName, NodeRole role)
    {
        var names = new List<SubjectAltName>();
        foreach (var value in values)
        {
            if (!SubjectAltName.TryParse(value, out var name, out var error))
            {
                throw new UsageException("--san " + error);
            }

            if (!names.Contains(name))
            {
                names.Add(name);
            }
        }

        if (names.Count == 0 && role != NodeRole.Operator && SubjectAltName.TryParse("DNS:" + commonName, out var own, out _))
        {
            names.Add(own);
        }

        return names;
    }

    private static void RefuseOverwrite(bool force, params string[] paths)
    {
        if (force)
        {
            return;
        }

        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                throw new UsageException($"'{path}' exists; pass --force to replace it (or `edgeagent certs rotate` to renew a node certificate)");
            }
        }
    }

    /// <summary>A certificate as the lines `certs inspect` prints.</summary>
    internal static string Describe(X509Certificate2 certificate, DateTimeOffset now)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var roles = NodeRoles.Of(certificate);
        var isCa = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true };
        var usages = NodeRoles.KeyUsagesOf(certificate).Select(oid => oid switch
        {
            NodeRoles.ServerAuthOid => "serverAuth",
            NodeRoles.ClientAuthOid => "clientAuth",
            _ => oid,
        }).ToList();
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var state = now > notAfter ? "EXPIRED" : now < notBefore ? "NOT YET VALID" : string.Create(c, $"{(notAfter - now).TotalDays:0} days left");
        text.AppendLine(c, $"  subject      {certificate.Subject}");
        text.AppendLine(c, $"  role         {(isCa ? "certificate authority" : roles.Count == 0 ? "none (no OU edgeagent-ROLE)" : string.Join(", ", roles.Select(r => r.Name())))}");
        var names = SubjectAltName.Of(certificate);
        text.AppendLine(c, $"  names        {(names.Count == 0 ? "none" : string.Join(", ", names))}");
        text.AppendLine(c, $"  key usages   {(usages.Count == 0 ? "any" : string.Join(", ", usages))}");
        text.AppendLine(c, $"  valid        {notBefore.UtcDateTime:yyyy-MM-dd HH:mm} to {notAfter.UtcDateTime:yyyy-MM-dd HH:mm} UTC ({state})");
        text.AppendLine(c, $"  issuer       {certificate.Issuer}");
        text.AppendLine(c, $"  serial       {certificate.SerialNumber}");
        text.AppendLine(c, $"  sha256       {NodeRoles.Fingerprint(certificate)}");
        return text.ToString();
    }

    private static int Run(ParseResult parseResult, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (UsageException ex)
        {
            parseResult.InvocationConfiguration.Error.WriteLine($"edgeagent certs: {ex.Message}.");
            return 2;
        }
        catch (CertificateFileException ex)
        {
            parseResult.InvocationConfiguration.Error.WriteLine($"edgeagent certs: {ex.Message.TrimEnd('.')}.");
            return 1;
        }
    }

    /// <summary>
    /// --name as a certificate's common name: 1-64 characters (X.509's upper bound), no control
    /// characters; for a node certificate also usable as a file name (NAME.crt, NAME.key).
    /// </summary>
    private static string CommonName(string? given, bool fileName)
    {
        var name = (given ?? "").Trim();
        var usable = name.Length is > 0 and <= 64 && !name.Any(char.IsControl)
            && (!fileName || (name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && !name.StartsWith('.')));
        return usable
            ? name
            : throw new UsageException(fileName
                ? $"--name '{WireText.Printable(name)}' must be 1-64 characters usable in a file name, without control characters"
                : $"--name '{WireText.Printable(name)}' must be 1-64 characters without control characters");
    }

    private sealed class UsageException(string message) : Exception(message);
}
