namespace Gateway.Configuration;

/// <summary><c>Admin</c>: the admin API's credential.</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>Bearer token for <c>/admin/*</c>; empty means one is generated at start and printed once.</summary>
    public string? Token { get; set; }
}
