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
    private async Task<int> RevokeAsync()
    {
        if (cli.Positional.Count != 1)
        {
            throw new CliException("revoke needs exactly one FILE ('-' for standard input).", exitCode: 2);
        }

        var path = cli.Positional[0];
        string text;
        if (path == "-")
        {
            text = await Console.In.ReadToEndAsync();
        }
        else if (File.Exists(path))
        {
            text = await File.ReadAllTextAsync(path);
        }
        else
        {
            throw new CliException($"no file '{path}'.", exitCode: 2);
        }

        // A key never holds white space, so a line's surrounding white space (a CRLF file, a padded column) is not part of it.
        var keys = text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0).ToList();
        if (keys.Count == 0)
        {
            throw new CliException($"'{path}' lists no keys.", exitCode: 2);
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
