using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Gateway.Cli;

/// <summary>The verbs of <c>Gateway keys</c>, each one admin API call (import: one call per batch).</summary>
internal sealed partial class KeysCommands(HttpClient client, CliOutput output, CliArguments cli)
{
    private static readonly string[] Levels = ["none", "read", "readwrite"];
    private static readonly string[] CommonFlags = ["--url", "--token", "--json"];
    private static readonly Dictionary<string, string[]> VerbFlags = new(StringComparer.Ordinal)
    {
        ["create"] = ["--name", "--preset", "--graphql", "--endpoints", "--endpoint", "--expires", "--disabled"],
        ["update"] = ["--name", "--preset", "--graphql", "--endpoints", "--endpoint", "--expires"],
        ["list"] = ["--query", "--limit", "--all"], ["show"] = [], ["enable"] = [], ["disable"] = [], ["delete"] = ["--yes"],
        ["import-legacy"] = ["--graphql", "--batch"],
        ["usage"] = ["--days"],
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

        var created = await SendAsync(HttpMethod.Post, "/admin/keys", body, HttpStatusCode.Created);
        if (output.Json)
        {
            await output.WriteJsonAsync(created);
            return 0;
        }

        await WriteKeysAsync([created]);
        await output.Out.WriteLineAsync();
        await output.Out.WriteLineAsync($"key: {created["key"]}");
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
            throw new CliException("update needs at least one of --name, --graphql, --endpoints, --endpoint, --expires.", exitCode: 2);
        }

        return await WriteOneAsync(await SendAsync(HttpMethod.Patch, $"/admin/keys/{Uri.EscapeDataString(id)}", body, HttpStatusCode.OK));
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

        var keys = new JsonArray();
        var page = await SendAsync(HttpMethod.Get, "/admin/keys" + query.TrimEnd('&', '?'), null, HttpStatusCode.OK);
        while (cli.Has("--all") && page["nextCursor"] is JsonValue next)
        {
            MoveKeys(page, keys);
            page = await SendAsync(HttpMethod.Get, $"/admin/keys{query}cursor={Uri.EscapeDataString((string)next!)}", null, HttpStatusCode.OK);
        }

        MoveKeys(page, keys);
        var cursor = (string?)page["nextCursor"];
        if (output.Json)
        {
            await output.WriteJsonAsync(new JsonObject { ["keys"] = keys, ["nextCursor"] = cursor });
            return 0;
        }

        await WriteKeysAsync([.. keys.Select(k => k!)]);
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
        await WriteOneAsync(await SendAsync(HttpMethod.Get, $"/admin/keys/{Uri.EscapeDataString(Id())}", null, HttpStatusCode.OK));

    private async Task<int> SetEnabledAsync(bool enabled) =>
        await WriteOneAsync(await SendAsync(HttpMethod.Patch, $"/admin/keys/{Uri.EscapeDataString(Id())}", new JsonObject { ["enabled"] = enabled }, HttpStatusCode.OK));

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
        var usage = await SendAsync(HttpMethod.Get, $"/admin/keys/{Uri.EscapeDataString(id)}/usage?days={Uri.EscapeDataString(days)}", null, HttpStatusCode.OK);
        if (output.Json)
        {
            await output.WriteJsonAsync(usage);
            return 0;
        }

        await output.Out.WriteLineAsync($"key {id}, last used {Text(usage["lastUsedAt"], "never")}");
        var rows = from day in usage["days"]!.AsArray()
                   from target in day!["targets"]!.AsObject()
                   select (IReadOnlyList<string>)[(string)day["date"]!, target.Key, Text(target.Value!["allowed"]), Text(target.Value!["denied"])];
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
    }

    private static string Level(string level, string flag) =>
        Levels.Contains(level) ? level : throw new CliException($"{flag}: '{level}' is not a level (none, read, readwrite).", exitCode: 2);

    private string Id() => cli.Positional.Count == 1 ? cli.Positional[0] : throw new CliException($"{cli.Verb} needs exactly one key id.", exitCode: 2);

    private async Task<int> WriteOneAsync(JsonNode key)
    {
        if (output.Json)
        {
            await output.WriteJsonAsync(key);
        }
        else
        {
            await WriteKeysAsync([key]);
        }

        return 0;
    }

    private Task WriteKeysAsync(IReadOnlyList<JsonNode> keys) => output.WriteTableAsync(
        ["ID", "NAME", "KIND", "PREFIX", "PERMISSION", "GRAPHQL", "ENDPOINTS", "ENABLED", "CREATED", "LAST USED", "EXPIRES"],
        keys.Select(k => (IReadOnlyList<string>)
        [
            Text(k["id"]), Text(k["name"]), Text(k["kind"]), Text(k["prefix"]), Text(k["permission"]), Text(k["graphql"]),
            string.Join(",", k["endpoints"]!.AsObject().Select(e => $"{e.Key}={e.Value}")) is { Length: > 0 } e ? e : "-",
            (bool)k["enabled"]! ? "yes" : "no", Text(k["createdAt"]), Text(k["lastUsedAt"], "never"), Text(k["expiresAt"], "never"),
        ]));

    private static string Text(JsonNode? node, string ifNull = "-") => node is null ? ifNull : node.ToString();

    /// <summary>One admin call; a refusal becomes a <see cref="CliException"/> carrying the problem's detail.</summary>
    internal async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonNode? body, HttpStatusCode expected)
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
                var problem = JsonNode.Parse(text);
                (detail, code) = ((string?)problem?["detail"], (string?)problem?["code"]);
            }
            catch (System.Text.Json.JsonException)
            {
                // Not a problem document; the status says enough.
            }

            throw new CliException(string.Create(CultureInfo.InvariantCulture, $"{(int)response.StatusCode} {code ?? response.ReasonPhrase}: {detail ?? text}"));
        }

        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }
}
