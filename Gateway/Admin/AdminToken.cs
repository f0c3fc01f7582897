using System.Security.Cryptography;
using System.Text;
using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Admin;

/// <summary>The admin API's bearer token: configured, or generated at start and printed once to the console (never logged).</summary>
public sealed class AdminToken
{
    private readonly byte[] _digest;

    public AdminToken(IOptions<AdminOptions> options)
    {
        var token = options.Value.Token;
        if (string.IsNullOrEmpty(token))
        {
            token = "adm_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            Generated = token;
        }

        _digest = SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    /// <summary>The generated token, to print once at start; <c>null</c> when one was configured.</summary>
    public string? Generated { get; private set; }

    public void ForgetGenerated() => Generated = null;

    /// <summary>Compares in constant time: hashing first makes the comparison independent of the length too.</summary>
    public bool Matches(ReadOnlySpan<char> presented)
    {
        if (presented.IsEmpty || presented.Length > 1024)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(presented.Length)];
        var count = Encoding.UTF8.GetBytes(presented, bytes);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes[..count], digest);
        return CryptographicOperations.FixedTimeEquals(digest, _digest);
    }
}
