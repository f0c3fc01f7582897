using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Cli;

/// <summary>Readable tables by default, the API's own JSON with <c>--json</c>; errors on stderr.</summary>
internal sealed class CliOutput(TextWriter stdout, TextWriter stderr, bool json)
{
    public bool Json => json;

    public TextWriter Out => stdout;

    public TextWriter Err => stderr;

    /// <summary>An answer's JSON as the gateway sent it (members this CLI does not know included), indented.</summary>
    public Task WriteJsonAsync(string text) => WriteJsonAsync(JsonNode.Parse(text)!);

    public Task WriteJsonAsync(JsonNode node) =>
        stdout.WriteLineAsync(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    public async Task WriteTableAsync(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        var line = new StringBuilder();
        void Append(IReadOnlyList<string> cells)
        {
            line.Clear();
            for (var i = 0; i < cells.Count; i++)
            {
                line.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
            }
        }

        Append(headers);
        await stdout.WriteLineAsync(line.ToString().TrimEnd()).ConfigureAwait(false);
        foreach (var row in all)
        {
            Append(row);
            await stdout.WriteLineAsync(line.ToString().TrimEnd()).ConfigureAwait(false);
        }
    }
}
