namespace Gateway.Admin;

/// <summary><c>Admin</c>: the admin API's credentials (README, "Admin credentials").</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>Bearer token for <c>/admin/*</c> with the admin role (actor <c>admin-token</c>); empty, with no
    /// <see cref="Tokens"/> either, means one is generated at start and printed once.</summary>
    public string? Token { get; set; }

    /// <summary>Named credentials, <c>Admin:Tokens:&lt;name&gt;</c>: the config holds each token's SHA-256, never the token.</summary>
    public Dictionary<string, AdminCredentialOptions> Tokens { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary><c>Admin:Tokens:&lt;name&gt;</c>.</summary>
public sealed class AdminCredentialOptions
{
    /// <summary>Lowercase hex SHA-256 of the token's UTF-8 bytes (64 characters).</summary>
    public string? Sha256 { get; set; }

    /// <summary><c>admin</c> (everything) or <c>viewer</c> (GET and HEAD only).</summary>
    public string? Role { get; set; }
}
