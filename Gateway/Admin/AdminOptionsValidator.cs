using System.Buffers;
using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Admin;

/// <summary>
/// Checks <c>Admin:Tokens</c> at start and on every reload, reporting every problem at once: a name the audit log can
/// carry, a digest that is 64 lowercase hex characters, a role that is <c>admin</c> or <c>viewer</c>, and no digest
/// given twice (two names for one token would make the audit log's actor a guess).
/// </summary>
internal sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    private const int MaxNameLength = 64;
    private static readonly SearchValues<char> NameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(options.Token))
        {
            owners[AdminCredentials.HashOf(options.Token)] = "Admin:Token";
        }

        foreach (var (credential, entry) in options.Tokens.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var path = $"Admin:Tokens:{credential}";
            if (credential.Length > MaxNameLength || credential.AsSpan().ContainsAnyExcept(NameChars))
            {
                problems.Add($"{path}: the name must be 1 to {MaxNameLength} letters, digits, '.', '-' or '_' (it is the audit log's actor).");
            }
            else if (string.Equals(credential, AdminCredentials.LegacyName, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{path}: the name '{AdminCredentials.LegacyName}' is the audit log's name for Admin:Token; choose another.");
            }

            if (!IsDigest(entry.Sha256))
            {
                problems.Add($"{path}:Sha256 must be 64 lowercase hex characters, the SHA-256 of the token (Gateway keys admin-token prints one).");
            }
            else if (owners.TryGetValue(entry.Sha256, out var owner))
            {
                problems.Add($"{path}:Sha256 is the same token as {owner}; each credential needs a token of its own.");
            }
            else
            {
                owners[entry.Sha256] = path;
            }

            if (!AdminRoles.TryParse(entry.Role, out _))
            {
                problems.Add($"{path}:Role must be '{AdminRoles.Admin}' or '{AdminRoles.Viewer}' (lowercase).");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static bool IsDigest([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? value) =>
        value is { Length: 64 } && !value.AsSpan().ContainsAnyExcept(LowerHex);
}
