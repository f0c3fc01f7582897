using Gateway.Keys;
using Gateway.Store;

namespace Gateway.Admin;

/// <summary>
/// <c>POST /admin/keys/{id}/roll</c> (README "Rolling a key"): a new <c>rpa</c> key with the old one's settings, and the
/// old one kept working until the grace ends. The state checks and the write are one step in the store (KeyStore.Roll.cs).
/// </summary>
internal static class AdminRoll
{
    public const int MaxGraceSeconds = 7 * 24 * 3600;

    public static async Task<IResult> RollAsync(string id, HttpRequest request, KeyStore store, TimeProvider time)
    {
        // No body, or an empty one, is a roll with no grace; anything given is read as strictly as every admin body.
        var (body, error) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.RollKeyRequest, whenEmpty: new RollKeyRequest()).ConfigureAwait(false);
        if (error is not null)
        {
            return AdminResults.Refused(error);
        }

        if (body!.GraceSeconds is < 0 or > MaxGraceSeconds)
        {
            return AdminResults.Refused(AdminRefusals.InvalidField("graceSeconds", $"must be a whole number of seconds from 0 to {MaxGraceSeconds}"));
        }

        // Honoured as on PATCH and DELETE: a roll is a write to the old key, and an operator who read it first may
        // mean "roll the key as I saw it".
        if (KeyETags.ReadIfMatch(request, out var precondition) is { } invalidIfMatch)
        {
            return AdminResults.Refused(invalidIfMatch);
        }

        var now = time.GetUtcNow();
        var plaintext = KeyFormat.Generate();
        var roll = await store.RollAsync(id, now, TimeSpan.FromSeconds(body.GraceSeconds), KeyDigest.Compute(plaintext), old => Successor(old, plaintext, now), precondition)
            .ConfigureAwait(false);
        switch (roll.Status)
        {
            case KeyRollStatus.NotFound:
                return AdminResults.Refused(AdminRefusals.KeyNotFound);
            case KeyRollStatus.PreconditionFailed:
                return AdminResults.Refused(AdminRefusals.PreconditionFailed);
            case KeyRollStatus.NotActive:
                return AdminResults.Refused(AdminRefusals.KeyNotActive);
            case KeyRollStatus.AlreadyRolled:
                return AdminResults.Refused(AdminRefusals.KeyAlreadyRolled);
        }

        // One entry names both keys: keyId is the old key, and its view after the roll has replacedBy: the new id.
        await AdminAudit.RecordAsync(request.HttpContext, "roll", roll.OldBefore, roll.OldAfter).ConfigureAwait(false);
        var created = roll.New!;
        return AdminResults.Json(201, KeyView.Of(created, plaintext), AdminJsonContext.Default.KeyView, $"/admin/keys/{created.Id}", KeyETags.Of(created));
    }

    // Everything the old key has is copied (name, enabled, expiresAt, rate limits, and any setting added later), then
    // what makes it a new key is set. A legacy key becomes an rpa key with the same effective scopes: graphql as
    // imported, every endpoint readwrite.
    private static ApiKey Successor(ApiKey old, string plaintext, DateTimeOffset now) => old with
    {
        Id = KeyIds.NewId(),
        Kind = KeyKind.Rpa,
        Prefix = KeyFormat.DisplayPrefix(plaintext),
        CreatedAt = now,
        LastUsedAt = null,
        Scopes = old.Kind == KeyKind.Legacy ? KeyScopes.ForLegacy(old.Scopes.GraphQL) : old.Scopes,
    };
}
