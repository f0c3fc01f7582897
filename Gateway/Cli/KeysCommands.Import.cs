using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Gateway.Keys;

namespace Gateway.Cli;

internal sealed partial class KeysCommands
{
    /// <summary>
    /// Reads the whole file and checks every line before sending anything, then imports in batches with progress on
    /// stderr. Each batch is all or nothing on the server; a run cut short can be repeated, since keys already
    /// imported come back as duplicates.
    /// </summary>
    public async Task<int> ImportLegacyAsync()
    {
        var defaultLevel = parse.GetValue(o.LegacyGraphQL);
        var batchSize = parse.GetValue(o.Batch);
        var path = parse.GetRequiredValue(o.LegacyFile);
        var entries = ReadLegacyFile(await File.ReadAllLinesAsync(path), defaultLevel);
        var imported = new JsonArray();
        var duplicates = 0;
        for (var start = 0; start < entries.Count; start += batchSize)
        {
            var batch = new JsonArray(entries.Skip(start).Take(batchSize).Select(e => (JsonNode)new JsonObject
            {
                ["key"] = e.Key,
                ["name"] = e.Name,
                ["graphql"] = e.GraphQL,
            }).ToArray());
            // Kept as JSON nodes, not LegacyImportView: --json prints every view member the gateway sent, known to this CLI or not.
            var result = JsonNode.Parse(await SendAsync(HttpMethod.Post, "/admin/keys/legacy", new JsonObject { ["keys"] = batch }, HttpStatusCode.OK))!;
            foreach (var view in result["imported"]!.AsArray())
            {
                imported.Add(view!.DeepClone());
            }

            duplicates += (int)result["duplicates"]!;
            await output.Err.WriteLineAsync($"imported {Math.Min(start + batchSize, entries.Count)}/{entries.Count} ({imported.Count} new, {duplicates} duplicates)");
        }

        if (output.Json)
        {
            await output.WriteJsonAsync(new JsonObject { ["imported"] = imported, ["duplicates"] = duplicates });
        }
        else
        {
            await output.Out.WriteLineAsync($"{imported.Count} imported, {duplicates} duplicates skipped");
        }

        return 0;
    }

    private static List<(string Key, string Name, string GraphQL)> ReadLegacyFile(string[] lines, string? defaultLevel)
    {
        var entries = new List<(string, string, string)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            var key = fields[0];
            var where = $"line {i + 1}";
            if (fields.Length > 3 || KeyFormat.Classify(key) != KeyForm.Legacy)
            {
                // The key itself is never printed.
                throw new CliException($"{where}: expected a legacy key (16 to 256 printable characters, no spaces or commas, not rpa_), optionally followed by ,name[,graphql].", exitCode: CliException.UsageError);
            }

            var name = fields.Length > 1 && fields[1].Length > 0 ? fields[1] : $"legacy {KeyFormat.DisplayPrefix(key)}";
            var level = fields.Length > 2 && fields[2].Length > 0 ? fields[2] : defaultLevel
                ?? throw new CliException($"{where}: no GraphQL level; add ,name,read|readwrite or pass --graphql.", exitCode: CliException.UsageError);
            if (level is not ("read" or "readwrite"))
            {
                throw new CliException($"{where}: GraphQL level must be read or readwrite.", exitCode: CliException.UsageError);
            }

            entries.Add((key, name, level));
        }

        return entries.Count > 0 ? entries : throw new CliException("the file holds no keys.", exitCode: CliException.UsageError);
    }
}
