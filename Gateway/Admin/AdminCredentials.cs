using System.Security.Cryptography;
using System.Text;
using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Admin;

/// <summary>
/// The admin API's credentials: <c>Admin:Token</c> (actor <c>admin-token</c>, role admin) and every named
/// <c>Admin:Tokens:&lt;name&gt;</c> (a SHA-256 and a role). With none configured, one admin token is generated and
/// printed once to the console (never logged). The set follows config reloads, which are validated first
/// (<see cref="AdminOptionsValidator"/>), so a credential can be added or withdrawn without a restart.
/// </summary>
internal sealed class AdminCredentials : IDisposable
{
    public const string LegacyName = "admin-token";
    public const int MaxTokenLength = 1024;

    private readonly IDisposable? _subscription;
    private readonly Lock _gate = new();
    private Credential[] _credentials;
    private string? _generated;
    private string? _generatedUnprinted;

    public AdminCredentials(IOptionsMonitor<AdminOptions> options)
    {
        _credentials = Build(options.CurrentValue);
        _subscription = options.OnChange(changed =>
        {
            var credentials = Build(changed);
            Volatile.Write(ref _credentials, credentials);
            // A reload that leaves no credential falls back to the generated token; one generated now is printed now.
            PrintGenerated();
        });
    }

    /// <summary>The generated token not printed yet (the start prints it); <c>null</c> when one was configured.</summary>
    public string? TakeGenerated()
    {
        lock (_gate)
        {
            var generated = _generatedUnprinted;
            _generatedUnprinted = null;
            return generated;
        }
    }

    /// <summary>
    /// The credential <paramref name="presented"/> is, or <c>null</c>. The token is hashed once and its digest compared
    /// with every credential's in constant time, all of them every time (no early exit): how long it takes says
    /// neither which credential matched nor how close a guess came, and hashing first hides the length too.
    /// </summary>
    public AdminCaller? Match(ReadOnlySpan<char> presented)
    {
        if (presented.IsEmpty || presented.Length > MaxTokenLength)
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(MaxTokenLength)];
        var count = Encoding.UTF8.GetBytes(presented, bytes);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes[..count], digest);
        CryptographicOperations.ZeroMemory(bytes[..count]);

        var credentials = Volatile.Read(ref _credentials);
        Credential? found = null;
        foreach (var credential in credentials)
        {
            // Validation refuses two credentials with one digest, so at most one can match.
            var equal = CryptographicOperations.FixedTimeEquals(digest, credential.Digest);
            found = equal ? credential : found;
        }

        return found?.Caller;
    }

    public void Dispose() => _subscription?.Dispose();

    /// <summary>The digest <c>Admin:Tokens:&lt;name&gt;:Sha256</c> holds for <paramref name="token"/>: lowercase hex SHA-256 of its UTF-8.</summary>
    public static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>A new random token: 192 bits, in the form the generated one has always had.</summary>
    public static string NewToken() => "adm_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private Credential[] Build(AdminOptions options)
    {
        var credentials = new List<Credential>();
        if (!string.IsNullOrEmpty(options.Token))
        {
            credentials.Add(new Credential(new AdminCaller(LegacyName, AdminRole.Admin), SHA256.HashData(Encoding.UTF8.GetBytes(options.Token))));
        }

        foreach (var (name, entry) in options.Tokens)
        {
            // Validated before it got here (start and reload); an entry that is still not valid is skipped: fails closed.
            if (AdminRoles.TryParse(entry.Role, out var role) && AdminOptionsValidator.IsDigest(entry.Sha256))
            {
                credentials.Add(new Credential(new AdminCaller(name, role), Convert.FromHexString(entry.Sha256)));
            }
        }

        if (credentials.Count == 0)
        {
            lock (_gate)
            {
                if (_generated is null)
                {
                    _generated = NewToken();
                    _generatedUnprinted = _generated;
                }

                credentials.Add(new Credential(new AdminCaller(LegacyName, AdminRole.Admin), SHA256.HashData(Encoding.UTF8.GetBytes(_generated))));
            }
        }

        return [.. credentials];
    }

    private void PrintGenerated()
    {
        if (TakeGenerated() is { } generated)
        {
            Print(generated);
        }
    }

    /// <summary>Printed to the console on purpose, never through logging, so the token does not land in log stores.</summary>
    public static void Print(string generated)
    {
        Console.Out.WriteLine($"Admin:Token was not set; generated for this run: {generated}");
        Console.Out.Flush();
    }

    private sealed record Credential(AdminCaller Caller, byte[] Digest);
}
