namespace Gateway.Enforcement;

/// <summary>Why a request is refused: a result, written by <see cref="ProblemWriter"/>, never an exception.</summary>
public sealed record Refusal(int Status, string Code, string Title, string Detail)
{
    public int RetryAfterSeconds { get; init; }

    /// <summary>The methods a 405 names in its <c>Allow</c> header (RFC 9110 §15.5.6); null = the GraphQL pair.</summary>
    public string? Allow { get; init; }

    /// <summary>The <c>RateLimit-Policy</c> and <c>RateLimit</c> header values of a 429 <c>rate_limited</c> (RateLimiting/).</summary>
    public string? RateLimitPolicy { get; init; }

    public string? RateLimit { get; init; }

    public static readonly Refusal MissingKey = new(401, "missing_key", "API key required",
        "Send the key as 'Authorization: Bearer <key>' or in the api_key query parameter.");

    public static readonly Refusal InvalidKey = new(401, "invalid_key", "Invalid API key",
        "The API key is malformed, fails its checksum, or is not known.");

    public static readonly Refusal AmbiguousKey = new(400, "ambiguous_key", "Ambiguous API key",
        "The request carries two different API keys; send exactly one.");

    public static readonly Refusal KeyDisabled = new(403, "key_disabled", "API key disabled", "This API key is disabled.");

    public static readonly Refusal KeyExpired = new(403, "key_expired", "API key expired", "This API key has expired.");

    public static readonly Refusal IpNotAllowed = new(403, "ip_not_allowed", "Client address not allowed",
        "This API key may not be used from this client address.");

    public static readonly Refusal InvalidEndpointId = new(400, "invalid_endpoint_id", "Invalid endpoint id",
        "Endpoint ids are 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'.");

    public static readonly Refusal InvalidPath = new(400, "invalid_path", "Invalid path",
        "The path holds an encoded slash or backslash, a backslash, a ';' (raw or encoded), a double-encoded dot, or an empty segment.");

    public static readonly Refusal PayloadTooLarge = new(413, "payload_too_large", "Payload too large",
        "The GraphQL request body is larger than the gateway accepts.");

    public static readonly Refusal BodyTimeout = new(408, "body_timeout", "Request body timeout",
        "The GraphQL request body did not arrive within the time the gateway allows.");

    public static readonly Refusal NotFound = new(404, "not_found", "Not found", "No route serves this path.");

    public static Refusal StoreUnavailable(int retryAfterSeconds) =>
        new(503, "store_unavailable", "Key store unavailable",
            "The API key could not be verified because the key store is unreachable; retry later.")
        {
            RetryAfterSeconds = Math.Max(1, retryAfterSeconds),
        };

    public static Refusal Overloaded(int retryAfterSeconds) =>
        new(503, "overloaded", "Gateway overloaded",
            "The gateway is holding as many GraphQL request bodies as it may at once; retry later.")
        {
            RetryAfterSeconds = Math.Max(1, retryAfterSeconds),
        };

    public static Refusal TooManyFailedAttempts(int retryAfterSeconds) =>
        new(429, "too_many_failed_attempts", "Too many failed attempts",
            "Too many requests from this address carried an invalid API key; retry later.")
        {
            RetryAfterSeconds = Math.Max(1, retryAfterSeconds),
        };

    public static Refusal ScopeDenied(string scope, string needed, string granted) =>
        new(403, "scope_denied", "Scope denied", $"This request needs '{needed}' on {scope}; the key has '{granted}'.");

    public static Refusal InvalidGraphQL(string? detail) =>
        new(400, "invalid_graphql", "Invalid GraphQL request", detail ?? "The GraphQL request could not be parsed.");

    public static Refusal MethodNotAllowed(string? detail) =>
        new(405, "method_not_allowed", "Method not allowed", detail ?? "Mutations are not allowed over GET.");

    /// <summary>A method not all upper case (RFC 9110: methods are case-sensitive), on a route serving <paramref name="allow"/>.</summary>
    public static Refusal MethodCase(string allow) =>
        new(405, "method_not_allowed", "Method not allowed", "HTTP methods are case-sensitive: send the method in upper case (GET, not get).")
        {
            Allow = allow,
        };

    public static Refusal UnsupportedMediaType(string? detail) =>
        new(415, "unsupported_media_type", "Unsupported media type",
            detail ?? "Send GraphQL as application/json or application/graphql, uncompressed.");
}
