namespace Gateway.Keys;

/// <summary>The outcome of checking a found key: a refusal is a result, not an exception.</summary>
public enum Verdict : byte
{
    Allowed,
    Disabled,
    Expired,
}

public static class KeyState
{
    /// <summary>Disabled is reported before expired; a key expires at the instant <c>ExpiresAt</c>.</summary>
    public static Verdict Check(ApiKey key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!key.Enabled)
        {
            return Verdict.Disabled;
        }

        return key.ExpiresAt is { } expiresAt && now >= expiresAt ? Verdict.Expired : Verdict.Allowed;
    }
}
