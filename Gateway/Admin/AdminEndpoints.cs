using Gateway.Abuse;
using Gateway.Enforcement;
using Gateway.Keys;
using Gateway.Store;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.OpenApi;
using StackExchange.Redis;

namespace Gateway.Admin;

/// <summary>The admin API (README, "Admin API"). Every write goes to the store, which publishes the invalidation.</summary>
internal static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/admin");
        admin.AddEndpointFilter(NoStore);
        admin.AddEndpointFilter(RequireAdminToken);
        admin.AddEndpointFilter(StoreFailuresAre503);
        admin.AddEndpointFilter(LimitBody);

        admin.WithAdminRefusals().WithTags("admin");

        // What each call reads and answers, for the OpenAPI document (AdminOpenApi): handlers read and write bodies
        // themselves, through AdminJsonContext, so the generator is told the records here.
        var keys = admin.MapGroup("/keys").WithTags("keys");
        keys.MapPost("", CreateAsync).WithName("CreateKey").WithSummary("Create a key; the answer holds its plaintext, this once.")
            .Accepts<CreateKeyRequest>("application/json").Produces<KeyView>(201).Refuses(400, 413);
        keys.MapGet("", AdminKeyList.ListAsync).WithName("ListKeys").WithSummary("One page of keys, newest first.")
            .Produces<KeyListView>().Refuses(400)
            .WithQuery("limit", JsonSchemaType.Integer, "1 to 1000 (default 100)")
            .WithQuery("cursor", JsonSchemaType.String, "the previous page's nextCursor")
            .WithQuery("q", JsonSchemaType.String, "keeps keys whose name or prefix contains it, any case");
        keys.MapGet("/{id}", GetAsync).WithName("GetKey").WithSummary("One key's view; its ETag is the one If-Match takes.")
            .Produces<KeyView>().Refuses(404);
        keys.MapPatch("/{id}", PatchAsync).WithName("UpdateKey").WithSummary("Change any of a key's members; absent members stay.")
            .Accepts<PatchKeyRequest>("application/json").Produces<KeyView>().Refuses(400, 404, 409, 412, 413);
        keys.MapDelete("/{id}", DeleteAsync).WithName("DeleteKey").WithSummary("Delete a key; it stops working.")
            .Produces(204).Refuses(400, 404, 412);
        keys.MapPost("/legacy", ImportLegacyAsync).WithName("ImportLegacyKeys").WithSummary("Import legacy keys, all or nothing.")
            .Accepts<LegacyImportRequest>("application/json").Produces<LegacyImportView>().Refuses(400, 413);
        keys.MapPost("/revoke", AdminRevoke.RevokeAsync).WithName("RevokeKeys").WithSummary("Disable the keys these leaked plaintexts are.")
            .Accepts<RevokeKeysRequest>("application/json").Produces<RevokeView>().Refuses(400, 413);
        keys.MapGet("/{id}/usage", AdminUsage.ReadAsync).WithName("GetKeyUsage").WithSummary("A key's counts per UTC day and target.")
            .Produces<UsageView>().Refuses(400, 404)
            .WithQuery("days", JsonSchemaType.Integer, "1 to Usage:RetentionDays (default 30)");
        keys.MapPost("/{id}/roll", AdminRoll.RollAsync).WithName("RollKey").WithSummary("A new key with this key's settings (plaintext this once); this one keeps working for the grace.")
            .Accepts<RollKeyRequest>("application/json").Produces<KeyView>(201).Refuses(400, 404, 409, 412, 413);
        admin.MapGet("/audit", AdminAudit.ReadAsync).WithName("ReadAuditLog").WithSummary("Admin changes, newest first.")
            .Produces<AuditView>().Refuses(400)
            .WithQuery("limit", JsonSchemaType.Integer, "1 to 1000 (default 100)");
        admin.MapGet("/whoami", WhoAmI).WithName("WhoAmI").WithSummary("The credential this call was made with, and its role.")
            .Produces<WhoAmIView>();
        return admin;
    }

    private static ValueTask<object?> NoStore(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        // Every result type sets it too; set first, it also covers an answer no admin result writes (fails safe: nothing cached).
        context.HttpContext.Response.Headers.CacheControl = AdminResults.NoStore;
        return next(context);
    }

    private static async ValueTask<object?> RequireAdminToken(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var limiter = http.RequestServices.GetRequiredService<AbuseLimiters>().Admin;
        var address = http.Connection.RemoteIpAddress;
        // A blocked address gets no answer about its token at all, right or wrong: that is what stops guessing.
        if (limiter.IsBlocked(address))
        {
            return AdminResults.Refused(AdminRefusals.TooManyFailedAttempts(limiter.RetryAfterSeconds));
        }

        var credentials = http.RequestServices.GetRequiredService<AdminCredentials>();
        var header = http.Request.Headers.Authorization;
        var value = header.Count == 1 ? header[0].AsSpan().Trim() : default;
        if (value.Length > 7 && value[..7].Equals("Bearer ", StringComparison.OrdinalIgnoreCase) && credentials.Match(value[7..].Trim()) is { } caller)
        {
            // A right token, so no failed attempt: a viewer asking to write is refused for its role, not its token.
            if (caller.Role != AdminRole.Admin && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
            {
                return AdminResults.Refused(AdminRefusals.Forbidden(caller.Name));
            }

            http.Features.Set(caller);
            return await next(context).ConfigureAwait(false);
        }

        return limiter.TryCountFailure(address, out var retryAfter)
            ? AdminResults.Refused(AdminRefusals.Unauthorized)
            : AdminResults.Refused(AdminRefusals.TooManyFailedAttempts(retryAfter));
    }

    private static async ValueTask<object?> StoreFailuresAre503(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Fails closed: a write that may not have reached the store is reported as not done.
            return AdminResults.Refused(Refusal.StoreUnavailable(1));
        }
    }

    private static ValueTask<object?> LimitBody(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        // KeyRequests counts the body's own bytes against the 4 MiB, exactly, chunked or not. Kestrel's limit (30 MiB, for
        // proxied payloads) is lowered too, so a refused body is not drained for long. Kestrel counts chunk framing in it,
        // so it is twice the limit: room for any real client's framing. Only a body sent a few bytes per chunk could reach
        // it with under 4 MiB of content; that one is refused as too large (fails closed).
        if (context.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = 2L * KeyRequests.MaxBodyBytes;
        }

        return next(context);
    }

    /// <summary>The credential this call was made with, so a client (the Settings page) can show what it may do.</summary>
    private static IResult WhoAmI(HttpContext http) =>
        http.Features.Get<AdminCaller>() is { } caller
            ? AdminResults.Json(200, new WhoAmIView(caller.Name, caller.RoleName), AdminJsonContext.Default.WhoAmIView)
            // Unreachable behind RequireAdminToken; fails closed if a filter is ever reordered.
            : AdminResults.Refused(AdminRefusals.Unauthorized);

    private static async Task<IResult> CreateAsync(HttpRequest request, KeyStore store, TimeProvider time)
    {
        var (body, error) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.CreateKeyRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return AdminResults.Refused(error);
        }

        var now = time.GetUtcNow();
        if (KeyRequests.ValidateCreate(body!, now, out var changes) is { } invalid)
        {
            return AdminResults.Refused(invalid);
        }

        var plaintext = KeyFormat.Generate();
        var key = new ApiKey(
            KeyIds.NewId(),
            changes.Name!,
            KeyKind.Rpa,
            KeyFormat.DisplayPrefix(plaintext),
            changes.Enabled ?? true,
            now,
            null,
            changes.ExpiresAt,
            new KeyScopes(changes.GraphQL ?? AccessLevel.None, changes.Endpoints ?? new Dictionary<string, AccessLevel>()))
        {
            Version = KeyStore.FirstVersion,
            RateLimits = changes.RateLimits ?? [],
            AllowedIps = changes.AllowedIps ?? [],
        };
        if (!await store.CreateAsync(key, KeyDigest.Compute(plaintext), announce: false).ConfigureAwait(false))
        {
            // 178 random bits do not collide; reaching this means the store is not what it seems.
            throw new InvalidOperationException("A freshly generated key already exists in the store.");
        }

        await AdminAudit.RecordAsync(request.HttpContext, "create", null, key).ConfigureAwait(false);
        return AdminResults.Json(201, KeyView.Of(key, plaintext), AdminJsonContext.Default.KeyView, $"/admin/keys/{key.Id}", KeyETags.Of(key));
    }

    private static async Task<IResult> GetAsync(string id, KeyStore store)
    {
        var key = await store.GetAsync(id).ConfigureAwait(false);
        return key is null
            ? AdminResults.Refused(AdminRefusals.KeyNotFound)
            : AdminResults.Json(200, KeyView.Of(key), AdminJsonContext.Default.KeyView, etag: KeyETags.Of(key));
    }

    private static async Task<IResult> PatchAsync(string id, HttpRequest request, KeyStore store, TimeProvider time)
    {
        var (body, error) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.PatchKeyRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return AdminResults.Refused(error);
        }

        if (KeyRequests.ValidatePatch(body!, time.GetUtcNow(), out var changes) is { } invalid)
        {
            return AdminResults.Refused(invalid);
        }

        if (KeyETags.ReadIfMatch(request, out var precondition) is { } invalidIfMatch)
        {
            return AdminResults.Refused(invalidIfMatch);
        }

        // The change is applied to the key as stored at the moment of the write (re-applied if another write got in
        // first), never to an earlier read: so a concurrent rename cannot undo a disable.
        string? immutableField = null;
        Refusal? declined = null;
        var write = await store.UpdateAsync(id, key =>
        {
            // A rolled key's expiresAt is the roll's deadline (section 8: refused after it, on every instance). Moving it
            // later, or clearing it, would revive the key the roll replaced: only bringing it forward is allowed. Judged on
            // the key as stored, so a PATCH racing the roll is judged after it. Fails closed: the whole PATCH is refused.
            if (key.ReplacedBy is not null && changes.ExpiresAtGiven && (changes.ExpiresAt is not { } asked || key.ExpiresAt is not { } deadline || asked > deadline))
            {
                declined = AdminRefusals.RolledDeadline;
                return null;
            }

            if (key.Kind == KeyKind.Legacy)
            {
                immutableField = changes.GraphQL is not null ? "graphql" : changes.Endpoints is not null ? "endpoints" : changes.ExpiresAtGiven ? "expiresAt"
                    : changes.RateLimits is not null ? "rateLimits" : changes.AllowedIps is not null ? "allowedIps" : null;
                if (immutableField is not null)
                {
                    return null;
                }
            }

            return key with
            {
                Name = changes.Name ?? key.Name,
                Enabled = changes.Enabled ?? key.Enabled,
                ExpiresAt = changes.ExpiresAtGiven ? changes.ExpiresAt : key.ExpiresAt,
                Scopes = changes.GraphQL is null && changes.Endpoints is null
                    ? key.Scopes
                    : new KeyScopes(changes.GraphQL ?? key.Scopes.GraphQL, changes.Endpoints ?? key.Scopes.Endpoints),
                RateLimits = changes.RateLimits ?? key.RateLimits,
                AllowedIps = changes.AllowedIps ?? key.AllowedIps,
            };
        }, precondition).ConfigureAwait(false);

        switch (write.Status)
        {
            case KeyWriteStatus.NotFound:
                return AdminResults.Refused(AdminRefusals.KeyNotFound);
            case KeyWriteStatus.PreconditionFailed:
                return AdminResults.Refused(AdminRefusals.PreconditionFailed);
            case KeyWriteStatus.Declined:
                return AdminResults.Refused(declined ?? AdminRefusals.LegacyImmutable(immutableField!));
            case KeyWriteStatus.Written:
                // The entry holds the state this write replaced and the state it stored, as the store saw them.
                var onlyEnabled = changes is { Name: null, GraphQL: null, Endpoints: null, ExpiresAtGiven: false, Enabled: not null, AllowedIps: null };
                var action = onlyEnabled ? (changes.Enabled!.Value ? "enable" : "disable") : "update";
                await AdminAudit.RecordAsync(request.HttpContext, action, write.Before, write.After).ConfigureAwait(false);
                break;
        }

        // Written, or Unchanged (nothing to write, nothing audited): either way the view is what is stored.
        var stored = write.After!;
        return AdminResults.Json(200, KeyView.Of(stored), AdminJsonContext.Default.KeyView, etag: KeyETags.Of(stored));
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, KeyStore store)
    {
        if (KeyETags.ReadIfMatch(http.Request, out var precondition) is { } invalid)
        {
            return AdminResults.Refused(invalid);
        }

        var write = await store.DeleteAsync(id, precondition).ConfigureAwait(false);
        switch (write.Status)
        {
            case KeyWriteStatus.Written:
                await AdminAudit.RecordAsync(http, "delete", write.Before, null).ConfigureAwait(false);
                return AdminResults.NoContent();
            case KeyWriteStatus.PreconditionFailed:
                return AdminResults.Refused(AdminRefusals.PreconditionFailed);
            default:
                return AdminResults.Refused(AdminRefusals.KeyNotFound);
        }
    }

    private static async Task<IResult> ImportLegacyAsync(HttpRequest request, KeyStore store, TimeProvider time)
    {
        var (body, error) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.LegacyImportRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return AdminResults.Refused(error);
        }

        // All or nothing: every entry is validated before anything is written.
        if (KeyRequests.ValidateLegacyImport(body!, out var entries) is { } invalid)
        {
            return AdminResults.Refused(invalid);
        }

        var imported = new List<ApiKey>();
        var duplicates = 0;
        var seen = new HashSet<KeyDigest>();
        var now = time.GetUtcNow();
        foreach (var entry in entries)
        {
            var digest = KeyDigest.Compute(entry.Key);
            var key = new ApiKey(
                KeyIds.NewId(), entry.Name, KeyKind.Legacy, KeyFormat.DisplayPrefix(entry.Key), true, now, null, null,
                new KeyScopes(entry.GraphQL, new Dictionary<string, AccessLevel>(StringComparer.Ordinal) { ["*"] = AccessLevel.ReadWrite }))
            {
                Version = KeyStore.FirstVersion,
            };
            if (!seen.Add(digest) || !await store.CreateAsync(key, digest, announce: true).ConfigureAwait(false))
            {
                duplicates++;
                continue;
            }

            imported.Add(key);
            await AdminAudit.RecordAsync(request.HttpContext, "import-legacy", null, key).ConfigureAwait(false);
        }

        return AdminResults.Json(200, new LegacyImportView(imported.Select(k => KeyView.Of(k)).ToList(), duplicates), AdminJsonContext.Default.LegacyImportView);
    }
}
