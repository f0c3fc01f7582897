using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Gateway.Admin;

namespace Gateway.Cli;

internal sealed partial class KeysCommands
{
    /// <summary>
    /// <c>keys revoke FILE</c>, for a secret scanner's pipeline: one plaintext per line (<c>-</c> reads standard input),
    /// blank lines ignored, sent in batches of the API's limit. The plaintexts are never printed.
    /// </summary>
    public async Task<int> RevokeAsync()
    {
        // The parser has checked that the file exists.
        var path = parse.GetRequiredValue(o.RevokeFile);
        var text = path == "-" ? await Console.In.ReadToEndAsync() : await File.ReadAllTextAsync(path);

        // A key never holds white space, so a line's surrounding white space (a CRLF file, a padded column) is not part of it.
        var keys = text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0).ToList();
        if (keys.Count == 0)
        {
            throw new CliException($"'{path}' lists no keys.", exitCode: CliException.UsageError);
        }

        var revoked = new JsonArray();
        var unknown = 0;
        foreach (var batch in keys.Chunk(AdminRevoke.MaxKeys))
        {
            var body = new JsonObject { ["keys"] = new JsonArray(batch.Select(k => (JsonNode)JsonValue.Create(k)).ToArray()) };
            var result = JsonNode.Parse(await SendAsync(HttpMethod.Post, "/admin/keys/revoke", body, HttpStatusCode.OK))!;
            foreach (var view in result["revoked"]!.AsArray())
            {
                revoked.Add(view!.DeepClone());
            }

            unknown += (int)result["unknown"]!;
        }

        if (output.Json)
        {
            await output.WriteJsonAsync(new JsonObject { ["revoked"] = revoked, ["unknown"] = unknown });
            return 0;
        }

        foreach (var view in revoked)
        {
            await output.Out.WriteLineAsync($"revoked {(string)view!["id"]!} ({(string)view["name"]!})");
        }

        await output.Out.WriteLineAsync($"{revoked.Count} revoked, {unknown} unknown");
        return 0;
    }
}
