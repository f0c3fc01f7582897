using System.Security.Cryptography;
using System.Text;

namespace Gateway.Tests.Observability;

/// <summary>
/// The secrets a scenario handled, each with the forms it could leak in: the plaintext, and for keys the SHA-256
/// of the key as lower and upper hex and as base64 (the store's record name holds the hex).
/// </summary>
public sealed class SecretSet
{
    private readonly List<(string What, string Text)> _forms = [];

    public IReadOnlyList<(string What, string Text)> Forms => _forms;

    /// <summary>A key, presented or created: its plaintext and every form of its hash.</summary>
    public void Key(string what, string key)
    {
        Add(what, key);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        Add(what + " (sha256 hex)", Convert.ToHexStringLower(hash));
        Add(what + " (SHA256 HEX)", Convert.ToHexString(hash));
        Add(what + " (sha256 base64)", Convert.ToBase64String(hash));
    }

    /// <summary>Another secret: a token or a credential, as it is.</summary>
    public void Add(string what, string secret)
    {
        if (!_forms.Any(form => form.Text == secret))
        {
            _forms.Add((what, secret));
        }
    }

    /// <summary>Which secrets appear in <paramref name="texts"/>, and where; empty when none does.</summary>
    public IReadOnlyList<string> FoundIn(IEnumerable<string> texts, string where)
    {
        var found = new List<string>();
        foreach (var text in texts)
        {
            foreach (var (what, secret) in _forms)
            {
                if (text.Contains(secret, StringComparison.Ordinal))
                {
                    var at = text.IndexOf(secret, StringComparison.Ordinal);
                    var context = text[Math.Max(0, at - 120)..Math.Min(text.Length, at + secret.Length + 40)];
                    found.Add($"{what} in {where}: ...{context}...");
                }
            }
        }

        return found;
    }
}
