using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Gateway.Admin;

namespace Gateway.Cli;

/// <summary>The verbs of <c>Gateway keys</c>, each one admin API call (import: one call per batch).</summary>
internal sealed partial class KeysCommands(HttpClient client, CliOutput output, CliArguments cli)
{
    private static readonly string[] Levels = ["none", "read", "readwrite"];
    private static readonly string[] CommonFlags = ["--url", "--token", "--json"];
    private static readonly Dictionary<string, string[]> VerbFlags = new(StringComparer.Ordinal)
    {
        ["create"] = ["--name", "--preset", "--graphql", "--endpoints", "--endpoint", "--expires", "--disabled", "--rate-limit", "--allow-ip"],
        ["update"] = ["--name", "--preset", "--graphql", "--endpoints", "--endpoint", "--expires", "--rate-limit", "--allow-ip"],
        ["list"] = ["--query", "--limit", "--all"], ["show"] = [], ["enable"] = [], ["disable"] = [], ["delete"] = ["--yes"],
        ["import-legacy"] = ["--graphql", "--batch"],
        ["usage"] = ["--days"],
        ["revoke"] = [],
        ["roll"] = ["--grace"],
    };

    public Task<int> RunAsync()
    {
        // A misspelt flag must not be ignored: "--expire" would make a key that never expires, "--graphq" one without access.
        if (VerbFlags.TryGetValue(cli.Verb, out var own) && cli.Flags.FirstOrDefault(f => !own.Contains(f) && !CommonFlags.Contains(f)) is { } unknown)
        {
            throw new CliException($"{cli.Verb} does not take {unknown}.\n{KeysCli.Usage}", exitCode: 2);
        }

        return RunVerbAsync();
    }

    private Task<int> RunVerbAsync() => cli.Verb switch
    {
        "create" => CreateAsync(),
        "update" => UpdateAsync(),
        "list" => ListAsync(),
        "show" => ShowAsync(),
        "enable" => SetEnabledAsync(true),
        "disable" => SetEnabledAsync(false),
        "delete" => DeleteAsync(),
        "import-legacy" => ImportLegacyAsync(),
        "usage" => UsageAsync(),
        "revoke" => RevokeAsync(),
        "roll" => RollAsync(),
        _ => throw new CliException($"unknown verb '{cli.Verb}'.\n{KeysCli.Usage}", exitCode: 2),
    };

    private async Task<int> CreateAsync()
    {
        var name = cli.Value("--name") ?? throw new CliException("create needs --name.", exitCode: 2);
        var body = new JsonObject { ["name"] = name };
        AddScopes(body, isCreate: true);
        if (cli.Has("--disabled"))
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

    private async Task<int> UpdateAsync()
    {
        var id = Id();
        var body = new JsonObject();
        if (cli.Value("--name") is { } name)
        {
            body["name"] = name;
        }

        AddScopes(body, isCreate: false);
        if (body.Count == 0)
        {
            throw new CliException("update needs at least one of --name, --graphql, --endpoints, --endpoint, --expires, --rate-limit, --allow-ip.", exitCode: 2);
        }

        return await WriteOneAsync(await SendAsync(HttpMethod.Patch, $"/admin/keys/{Uri.EscapeDataString(id)}", body, HttpStatusCode.OK, AdminJsonContext.Lenient.KeyView));
    }

    // One page (the server's default size unless --limit), or with --all every page, following nextCursor to the end.
    private async Task<int> ListAsync()
    {
        var query = "?";
        if (cli.Value("--limit") is { } limit)
        {
            query += "limit=" + Uri.EscapeDataString(limit) + "&";
        }

        if (cli.Value("--query") is { } q)
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
            if (!cli.Has("--all") || cursor is null)
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

    private async Task<int> ShowAsync() =>
        await WriteOneAsync(await SendAsync(HttpMethod.Get, $"/admin/keys/{Uri.EscapeDataString(Id())}", null, HttpStatusCode.OK, AdminJsonContext.Lenient.KeyView));

    private async Task<int> SetEnabledAsync(bool enabled) =>
        await WriteOneAsync(await SendAsync(HttpMethod.Patch, $"/admin/keys/{Uri.EscapeDataString(Id())}", new JsonObject { ["enabled"] = enabled }, HttpStatusCode.OK, AdminJsonContext.Lenient.KeyView));

    private async Task<int> DeleteAsync()
    {
        var id = Id();
        await SendAsync(HttpMethod.Delete, $"/admin/keys/{Uri.EscapeDataString(id)}", null, HttpStatusCode.NoContent);
        await (output.Json ? output.WriteJsonAsync(new JsonObject { ["deleted"] = id }) : output.Out.WriteLineAsync($"deleted {id}"));
        return 0;
    }

    private async Task<int> UsageAsync()
    {
        var id = Id();
        var days = cli.Value("--days") ?? "30";
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
        var preset = cli.Value("--preset");
        if (preset is not null && preset is not ("all" or "readonly" or "restricted"))
        {
            throw new CliException($"--preset must be all, readonly or restricted, not '{preset}'.", exitCode: 2);
        }

        if (preset is "all" or "readonly")
        {
            var level = preset == "all" ? "readwrite" : "read";
            body["graphql"] = level;
            body["endpoints"] = new JsonObject { ["*"] = level };
        }

        if (cli.Value("--graphql") is { } graphql)
        {
            body["graphql"] = Level(graphql, "--graphql");
        }

        var endpoints = body["endpoints"] as JsonObject;
        if (cli.Value("--endpoints") is { } all)
        {
            endpoints ??= [];
            endpoints["*"] = Level(all, "--endpoints");
        }

        foreach (var entry in cli.Values("--endpoint"))
        {
            var equals = entry.IndexOf('=');
            if (equals <= 0)
            {
                throw new CliException($"--endpoint takes ID=LEVEL, not '{entry}'.", exitCode: 2);
            }

            endpoints ??= [];
            endpoints[entry[..equals]] = Level(entry[(equals + 1)..], "--endpoint");
        }

        if (endpoints is not null)
        {
            body["endpoints"] = endpoints;
        }

        if (cli.Value("--expires") is { } expires)
        {
            body["expiresAt"] = expires == "never" && !isCreate ? null : expires;
        }

        AddRateLimits(body);
        AddAllowedIps(body);
    }

    // Repeatable; "none" alone sends [] (any address). Entries are checked by the server, whose 400 names allowedIps.
    private void AddAllowedIps(JsonObject body)
    {
        var entries = cli.Values("--allow-ip");
        if (entries.Count == 0)
        {
            return;
        }

        if (entries.Contains("none"))
        {
            body["allowedIps"] = entries.Count == 1
                ? new JsonArray()
                : throw new CliException("--allow-ip none clears the list and cannot be combined with addresses.", exitCode: 2);
            return;
        }

        body["allowedIps"] = new JsonArray([.. entries.Select(entry => (JsonNode)JsonValue.Create(entry))]);
    }

    // --rate-limit N/[M]UNIT, repeatable (one per window; the server checks the numbers and names rateLimits when
    // they are out of range); "none" alone sends [] (no limits).
    private void AddRateLimits(JsonObject body)
    {
        var values = cli.Values("--rate-limit");
        if (values.Count == 0)
        {
            return;
        }

        var limits = new JsonArray();
        if (values.Count == 1 && values[0] == "none")
        {
            body["rateLimits"] = limits;
            return;
        }

        foreach (var value in values)
        {
            var (requests, windowSeconds) = RateLimitFlag.Parse(value);
            limits.Add(new JsonObject { ["requests"] = requests, ["windowSeconds"] = windowSeconds });
        }

        body["rateLimits"] = limits;
    }

    private static string Level(string level, string flag) =>
        Levels.Contains(level) ? level : throw new CliException($"{flag}: '{level}' is not a level (none, read, readwrite).", exitCode: 2);

    private string Id() => cli.Positional.Count == 1 ? cli.Positional[0] : throw new CliException($"{cli.Verb} needs exactly one key id.", exitCode: 2);

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
