using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Gateway.Admin;

namespace Gateway.Cli;

/// <summary>
/// The verbs of <c>Gateway keys</c> that call the admin API, each one call (import and revoke: one per batch). Values
/// arrive parsed and checked by <see cref="KeysCommandLine"/>; what is left here is building the body and printing.
/// </summary>
internal sealed partial class KeysCommands(HttpClient client, CliOutput output, ParseResult parse, KeysOptions o)
{
    public async Task<int> CreateAsync()
    {
        var body = new JsonObject { ["name"] = parse.GetRequiredValue(o.CreateName) };
        AddScopes(body, isCreate: true);
        if (parse.GetValue(o.Disabled))
        {
            body["enabled"] = false;
        }

        var (created, text) = await SendAsync(HttpMethod.Post, "/admin/keys", body, HttpStatusCode.Created, AdminJsonContext.Lenient.KeyView);
        if (output.Json)
        {
            await output.WriteJsonAsync(text);
            return 0;
        }

        await WriteKeysAsync([created]);
        await output.Out.WriteLineAsync();
        await output.Out.WriteLineAsync($"key: {created.Key}");
        await output.Err.WriteLineAsync("This is the only time the key is shown. Store it now; it cannot be recovered.");
        return 0;
    }

    public async Task<int> UpdateAsync()
    {
        var id = Id();
        var body = new JsonObject();
        if (parse.GetValue(o.NewName) is { } name)
        {
            body["name"] = name;
        }

        AddScopes(body, isCreate: false);

        return await WriteOneAsync(await SendAsync(HttpMethod.Patch, $"/admin/keys/{Uri.EscapeDataString(id)}", body, HttpStatusCode.OK, AdminJsonContext.Lenient.KeyView));
    }

    // One page (the server's default size unless --limit), or with --all every page, following nextCursor to the end.
    public async Task<int> ListAsync()
    {
        var query = "?";
        if (parse.GetValue(o.Limit) is { } limit)
        {
            query += "limit=" + Uri.EscapeDataString(limit) + "&";
        }

        if (parse.GetValue(o.Query) is { } q)
        {
            query += "q=" + Uri.EscapeDataString(q) + "&";
        }

        var keys = new List<KeyView>();
        var nodes = new JsonArray();
        var url = "/admin/keys" + query.TrimEnd('&', '?');
        string? cursor;
        while (true)
        {
            var (page, text) = await SendAsync(HttpMethod.Get, url, null, HttpStatusCode.OK, AdminJsonContext.Lenient.KeyListView);
            keys.AddRange(page.Keys);
            MoveKeys(JsonNode.Parse(text)!, nodes);
            cursor = page.NextCursor;
            if (!parse.GetValue(o.All) || cursor is null)
            {
                break;
            }

            url = $"/admin/keys{query}cursor={Uri.EscapeDataString(cursor)}";
        }

        if (output.Json)
        {
            // The API's own JSON for every key, pages joined, so --json drops no member a newer gateway sends.
            await output.WriteJsonAsync(new JsonObject { ["keys"] = nodes, ["nextCursor"] = cursor });
            return 0;
        }

        await WriteKeysAsync(keys);
        if (cursor is not null)
        {
            // On stderr, so a script reading the table never mistakes it for a row.
            await output.Err.WriteLineAsync("More keys follow: run again with --all to list every page.");
        }

        return 0;
    }

    private static void MoveKeys(JsonNode page, JsonArray into)
    {
        var keys = page["keys"]!.AsArray();
        foreach (var key in keys.ToList())
        {
            keys.Remove(key);
            into.Add(key);
        }
    }

    public async Task<int> ShowAsync() =>
        await WriteOneAsync(await SendAsync(HttpMethod.Get, $"/admin/keys/{Uri.EscapeDataString(Id())}", null, HttpStatusCode.OK, AdminJsonContext.Lenient.KeyView));

    public async Task<int> SetEnabledAsync(bool enabled) =>
        await WriteOneAsync(await SendAsync(HttpMethod.Patch, $"/admin/keys/{Uri.EscapeDataString(Id())}", new JsonObject { ["enabled"] = enabled }, HttpStatusCode.OK, AdminJsonContext.Lenient.KeyView));

    public async Task<int> DeleteAsync()
    {
        var id = Id();
        await SendAsync(HttpMethod.Delete, $"/admin/keys/{Uri.EscapeDataString(id)}", null, HttpStatusCode.NoContent);
        await (output.Json ? output.WriteJsonAsync(new JsonObject { ["deleted"] = id }) : output.Out.WriteLineAsync($"deleted {id}"));
        return 0;
    }

    public async Task<int> UsageAsync()
    {
        var id = Id();
        var days = parse.GetValue(o.Days) ?? "30";
        var (usage, text) = await SendAsync(HttpMethod.Get, $"/admin/keys/{Uri.EscapeDataString(id)}/usage?days={Uri.EscapeDataString(days)}", null, HttpStatusCode.OK, AdminJsonContext.Lenient.UsageView);
        if (output.Json)
        {
            await output.WriteJsonAsync(text);
            return 0;
        }

        await output.Out.WriteLineAsync($"key {id}, last used {usage.LastUsedAt ?? "never"}");
        var rows = from day in usage.Days
                   from target in day.Targets
                   select (IReadOnlyList<string>)[day.Date, target.Key, Number(target.Value.Allowed), Number(target.Value.Denied)];
        await output.WriteTableAsync(["DATE", "TARGET", "ALLOWED", "DENIED"], rows);
        return 0;
    }

    private void AddScopes(JsonObject body, bool isCreate)
    {
        var preset = parse.GetValue(o.Preset);
        if (preset is "all" or "readonly")
        {
            var level = preset == "all" ? "readwrite" : "read";
            body["graphql"] = level;
            body["endpoints"] = new JsonObject { ["*"] = level };
        }

        if (parse.GetValue(o.GraphQL) is { } graphql)
        {
            body["graphql"] = graphql;
        }

        var endpoints = body["endpoints"] as JsonObject;
        if (parse.GetValue(o.Endpoints) is { } all)
        {
            endpoints ??= [];
            endpoints["*"] = all;
        }

        foreach (var (endpoint, level) in parse.GetValue(o.Endpoint) ?? [])
        {
            endpoints ??= [];
            endpoints[endpoint] = level;
        }

        if (endpoints is not null)
        {
            body["endpoints"] = endpoints;
        }

        if (parse.GetValue(o.Expires) is { } expires)
        {
            body["expiresAt"] = expires == "never" && !isCreate ? null : expires;
        }

        // Repeatable, one per window; "none" alone is [] (no limits). The server checks the numbers, and its 400
        // names rateLimits when they are out of range.
        if (parse.GetResult(o.RateLimit) is not null)
        {
            body["rateLimits"] = new JsonArray([.. (parse.GetValue(o.RateLimit) ?? []).Select(l => (JsonNode)new JsonObject
            {
                ["requests"] = l.Requests,
                ["windowSeconds"] = l.WindowSeconds,
            })]);
        }

        // Repeatable; "none" alone is [] (any address). Entries are checked by the server, whose 400 names allowedIps.
        if (parse.GetValue(o.AllowIp) is { Length: > 0 } addresses)
        {
            body["allowedIps"] = addresses is ["none"] ? new JsonArray() : new JsonArray([.. addresses.Select(a => (JsonNode)JsonValue.Create(a))]);
        }
    }

    private string Id() => parse.GetRequiredValue(o.Id);

    private async Task<int> WriteOneAsync((KeyView Key, string Text) answer)
    {
        var (key, text) = answer;
        if (output.Json)
        {
            await output.WriteJsonAsync(text);
        }
        else
        {
            await WriteKeysAsync([key]);
        }

        return 0;
    }

    private Task WriteKeysAsync(IReadOnlyList<KeyView> keys) => output.WriteTableAsync(
        ["ID", "NAME", "KIND", "PREFIX", "PERMISSION", "GRAPHQL", "ENDPOINTS", "ENABLED", "CREATED", "LAST USED", "EXPIRES", "RATE LIMITS", "ALLOWED IPS"],
        keys.Select(k => (IReadOnlyList<string>)
        [
            k.Id, k.Name, k.Kind, k.Prefix, k.Permission, k.Graphql,
            string.Join(",", k.Endpoints.Select(e => $"{e.Key}={e.Value}")) is { Length: > 0 } e ? e : "-",
            k.Enabled ? "yes" : "no", k.CreatedAt, k.LastUsedAt ?? "never", k.ExpiresAt ?? "never",
            k.RateLimits is { Count: > 0 } limits ? string.Join(",", limits.Select(l => RateLimitFlag.Format(l.Requests, l.WindowSeconds))) : "-",
            k.AllowedIps is { Count: > 0 } allowed ? string.Join(",", allowed) : "any",
        ]));

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>One admin call whose answer is read as <typeparamref name="T"/>; the text is kept for <c>--json</c>, which prints the API's own JSON.</summary>
    internal async Task<(T Value, string Text)> SendAsync<T>(HttpMethod method, string path, JsonNode? body, HttpStatusCode expected, JsonTypeInfo<T> type)
    {
        var text = await SendAsync(method, path, body, expected);
        // A JsonException here is reported by KeysCli as "not the admin API's JSON".
        return (JsonSerializer.Deserialize(text, type) ?? throw new JsonException("The answer was JSON null."), text);
    }

    /// <summary>One admin call; a refusal becomes a <see cref="CliException"/> carrying the problem's detail.</summary>
    internal async Task<string> SendAsync(HttpMethod method, string path, JsonNode? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected)
        {
            string? detail = null, code = null;
            try
            {
                var problem = JsonSerializer.Deserialize(text, AdminJsonContext.Lenient.ProblemView);
                (detail, code) = (problem?.Detail, problem?.Code);
            }
            catch (JsonException)
            {
                // Not a problem document; the status says enough.
            }

            throw new CliException(string.Create(CultureInfo.InvariantCulture, $"{(int)response.StatusCode} {code ?? response.ReasonPhrase}: {detail ?? text}"));
        }

        return text;
    }
}
