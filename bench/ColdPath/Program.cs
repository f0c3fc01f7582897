using System.Globalization;
using System.Text;
using Gateway.Keys;

// Writes N key records in the gateway's Redis layout as a RESP stream for `redis-cli --pipe`, and the plaintext of
// the keys the benchmark will present. Layout (Gateway/Store/KeyStore.cs, KeyRecordCodec.cs): a hash at
// {prefix}key:{sha256 hex} with fields id, name, kind, prefix, enabled, createdAt, expiresAt, graphql, endpoints.
// The admin API's index (keyid:, keys) is not written: the proxy path never reads it.
//
//   ColdPath --count 1000000 --in-use 100000 --unseen 5 --keys-out in-use.txt --unseen-out unseen.txt --unknown-out unknown.txt [--prefix gw:] > records.resp
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

var count = int.Parse(options["count"], CultureInfo.InvariantCulture);
var inUse = int.Parse(options["in-use"], CultureInfo.InvariantCulture);
var unseen = int.Parse(options.GetValueOrDefault("unseen", "5"), CultureInfo.InvariantCulture);
var prefix = options.GetValueOrDefault("prefix", "gw:");
if (inUse + unseen > count)
{
    throw new ArgumentException("--in-use plus --unseen must not exceed --count");
}

using var inUseOut = new StreamWriter(options["keys-out"], false, new UTF8Encoding(false), 1 << 16);
using var unseenOut = new StreamWriter(options["unseen-out"], false, new UTF8Encoding(false), 1 << 16);
// Well-formed keys (valid checksum) that are not in Redis: the unknown-key case.
File.WriteAllLines(options["unknown-out"], Enumerable.Range(0, 5).Select(_ => KeyFormat.Generate()));
using var stdout = Console.OpenStandardOutput();
using var resp = new BufferedStream(stdout, 1 << 20);
var createdAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
var buffer = new StringBuilder(512);
for (var n = 0; n < count; n++)
{
    var key = KeyFormat.Generate();
    var digest = KeyDigest.Compute(key);
    if (n < inUse)
    {
        inUseOut.WriteLine(key);
    }
    else if (n < inUse + unseen)
    {
        unseenOut.WriteLine(key);
    }

    buffer.Clear();
    Command(buffer,
        "HSET", prefix + "key:" + digest.ToHex(),
        "id", KeyIds.NewId(),
        "name", "bench " + n.ToString(CultureInfo.InvariantCulture),
        "kind", "rpa",
        "prefix", KeyFormat.DisplayPrefix(key),
        "enabled", "1",
        "createdAt", createdAt,
        "expiresAt", "0",
        "graphql", "readwrite",
        "endpoints", """{"*":"readwrite"}""");
    var bytes = Encoding.UTF8.GetBytes(buffer.ToString());
    resp.Write(bytes);
}

resp.Flush();
return 0;

static void Command(StringBuilder sb, params string[] parts)
{
    sb.Append('*').Append(parts.Length).Append("\r\n");
    foreach (var part in parts)
    {
        sb.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
    }
}
