namespace Gateway.Admin;

/// <summary>What an admin credential may do. A viewer reads; only an admin writes.</summary>
internal enum AdminRole : byte
{
    Viewer,
    Admin,
}

/// <summary>The credential an admin call was made with: its name (the audit log's actor) and role.</summary>
internal sealed record AdminCaller(string Name, AdminRole Role)
{
    public string RoleName => Role == AdminRole.Admin ? AdminRoles.Admin : AdminRoles.Viewer;
}

internal static class AdminRoles
{
    public const string Admin = "admin";
    public const string Viewer = "viewer";

    public static bool TryParse(string? value, out AdminRole role)
    {
        // Exact lowercase, like key levels: "Admin" is a typo to report, not a role to guess.
        switch (value)
        {
            case Admin:
                role = AdminRole.Admin;
                return true;
            case Viewer:
                role = AdminRole.Viewer;
                return true;
            default:
                role = AdminRole.Viewer;
                return false;
        }
    }
}
