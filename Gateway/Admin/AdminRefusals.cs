using Gateway.Enforcement;

namespace Gateway.Admin;

internal static class AdminRefusals
{
    public static readonly Refusal Unauthorized = new(401, "admin_unauthorized", "Admin token required",
        "Send 'Authorization: Bearer <Admin:Token>'.");

    public static Refusal Forbidden(string credential) => new(403, "admin_forbidden", "Admin role required",
        $"The credential '{credential}' is a viewer: it may read (GET) but not change anything.");

    public static readonly Refusal KeyNotFound = new(404, "key_not_found", "Key not found", "No key has this id.");

    public static readonly Refusal PreconditionFailed = new(412, "precondition_failed", "Precondition failed",
        "The key changed since the ETag given in If-Match was read; read it again and retry.");

    public static readonly Refusal PayloadTooLarge = new(413, "payload_too_large", "Payload too large",
        "Admin request bodies are limited to 4 MiB.");

    public static Refusal TooManyFailedAttempts(int retryAfterSeconds) =>
        new(429, "too_many_failed_attempts", "Too many failed attempts",
            "Too many requests from this address carried a wrong admin token; retry later.")
        {
            RetryAfterSeconds = Math.Max(1, retryAfterSeconds),
        };

    public static Refusal InvalidField(string field, string problem) =>
        new(400, "invalid_request", "Invalid request", $"{field}: {problem}");

    public static Refusal LegacyImmutable(string field) =>
        new(409, "legacy_key_immutable", "Legacy key scopes are fixed",
            $"{field} cannot change on a legacy key; only name and enabled can.");

    public static readonly Refusal KeyNotActive = new(409, "key_not_active", "Key not active",
        "Only an enabled, unexpired key can be rolled; create a new key instead.");

    public static readonly Refusal KeyAlreadyRolled = new(409, "key_already_rolled", "Key already rolled",
        "This key was rolled already; roll its replacement (replacedBy) instead.");

    public static readonly Refusal RolledDeadline = new(409, "key_already_rolled", "Key already rolled",
        "This key was rolled; its expiresAt (the end of the grace) can only be brought forward, not moved later or cleared.");
}
