using Gateway.Keys;
using Gateway.Store;

namespace Gateway.Admin;

/// <summary>
/// <c>POST /admin/keys/revoke</c> (README "Leaked keys"): disables every key whose plaintext a secret scanner found.
/// The plaintexts are only hashed: never logged, echoed, audited or kept.
/// </summary>
internal static class AdminRevoke
{
    public const int MaxKeys = 1000;

    public static async Task<IResult> RevokeAsync(HttpRequest request, KeyStore store)
    {
        var (body, error) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.RevokeKeysRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return AdminResults.Refused(error);
        }

        var plaintexts = body!.Keys;
        if (plaintexts is not { Count: >= 1 and <= MaxKeys })
        {
            return AdminResults.Refused(AdminRefusals.InvalidField("keys", $"must list 1 to {MaxKeys} keys."));
        }

        // Hashed first and de-duplicated: the same leaked key twice is one key, and the body is not looked at again.
        var digests = new List<KeyDigest>(plaintexts.Count);
        var seen = new HashSet<KeyDigest>();
        foreach (var plaintext in plaintexts)
        {
            if (string.IsNullOrEmpty(plaintext))
            {
                return AdminResults.Refused(AdminRefusals.InvalidField("keys", "every entry must be a non-empty string."));
            }

            var digest = KeyDigest.Compute(plaintext);
            if (seen.Add(digest))
            {
                digests.Add(digest);
            }
        }

        var revoked = new List<KeyView>();
        var unknown = 0;
        foreach (var digest in digests)
        {
            if (await store.FindForAdminAsync(digest).ConfigureAwait(false) is not { } found)
            {
                unknown++;
                continue;
            }

            // The same store path as PATCH enabled=false: applied to the key as stored, re-applied on a conflict, and
            // published so every instance drops its cached copy.
            var write = await store.UpdateAsync(found.Id, key => key with { Enabled = false }).ConfigureAwait(false);
            switch (write.Status)
            {
                case KeyWriteStatus.Written:
                    await AdminAudit.RecordAsync(request.HttpContext, "revoke", write.Before, write.After).ConfigureAwait(false);
                    revoked.Add(KeyView.Of(write.After!));
                    break;
                case KeyWriteStatus.Unchanged:
                    // Already disabled: listed, so the scanner learns the key is dead; nothing changed, nothing audited.
                    revoked.Add(KeyView.Of(write.After!));
                    break;
                default:
                    // Deleted between the read and the write: it matches no key any more.
                    unknown++;
                    break;
            }
        }

        return AdminResults.Json(200, new RevokeView(revoked, unknown), AdminJsonContext.Default.RevokeView);
    }
}
