#!/usr/bin/env python3
"""Summarises bench/coldpath.sh: Redis commands per request, memory, and many-keys vs single-key throughput.

Exits 1 when an unseen key did not cost exactly one Redis command (HGETALL), a warm key cost any, or a run saw
socket errors or non-2xx answers.
"""
import argparse
import json
import statistics


def mib(kib):
    return f"{int(kib) / 1024:.0f}"


def gateway_cpu(runs):
    """Median gateway CPU ms per 1,000 requests; n/a for raw data from before it was recorded (1 Dec 17:50)."""
    values = [r["gateway_cpu_s"] * 1e6 / r["requests"] for r in runs if "gateway_cpu_s" in r]
    return f"{statistics.median(values):.0f}" if values else "n/a"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("raw")
    for name in ["out", "smoke", "command", "machine", "load", "count", "in-use", "load-seconds", "redis-memory",
                 "cold", "cold-discarded", "warm", "unknown-first", "unknown-second", "rss", "cold-pass-seconds",
                 "l1-max", "l1-ttl", "refresh-ahead", "flush-interval", "settings", "redis-commands"]:
        p.add_argument("--" + name, default="")
    a = p.parse_args()
    smoke = a.smoke == "1"
    runs = [json.loads(x) for x in open(a.raw) if x.strip()]
    rss = dict(kv.split("=") for kv in a.rss.split())
    problems = []

    cold = [c.strip() for c in a.cold.split("hgetall=1") if c.strip()] if a.cold else []
    cold_n = a.cold.count("hgetall=1")
    if cold_n == 0 or cold:
        problems.append(f"unseen key: expected exactly hgetall=1 per request, saw '{a.cold}'")
    if a.warm.strip():
        problems.append(f"warm key cost Redis commands: {a.warm}")
    for r in runs:
        if r["connect"] + r["read"] + r["write"] + r["timeout"] or r["status"] or r["requests"] == 0:
            problems.append(f"{r['target']} round {r['round']}: errors or non-2xx answers ({r})")

    rounds = sorted({r["round"] for r in runs})
    get = {(r["target"], r["round"]): r for r in runs}
    pairs = [(get.get(("single", n)), get.get(("many", n))) for n in rounds]
    pairs = [(s, m) for s, m in pairs if s and m]
    ratios = [m["rps"] / s["rps"] for s, m in pairs]
    p99r = [m["p99_us"] / s["p99_us"] for s, m in pairs]
    med = statistics.median
    in_use = int(a.in_use)

    o = ["# Cold path and a large key population" + (" (smoke)" if smoke else ""), ""]
    o.append(f"- command: `{a.command.strip()}`")
    o.append(f"- machine: {a.machine}")
    o.append(f"- machine load (shared, noisy): {a.load}")
    o.append(f"- Redis: {int(a.count):,} key records in the gateway's layout, loaded with `redis-cli --pipe` in "
             f"{a.load_seconds} s (used_memory {a.redis_memory}); {in_use:,} of them in use")
    o.append(f"- gateway: `Cache:L1MaxEntries` = {a.l1_max}, `Cache:L1Ttl` = {a.l1_ttl}, `Cache:RefreshAhead` = {a.refresh_ahead or 'n/a'}, `Usage:FlushInterval` = {a.flush_interval}, other settings default, usage counting on")
    o.append(f"- load: {a.settings}; the same wrk script for both cases (a file of one key, or of {in_use:,})")
    o.append("")
    o.append("## Redis commands per request (INFO commandstats delta around one request)")
    o.append("")
    o.append("| request | commands |")
    o.append("|---|---|")
    o.append(f"| first request of an unseen key ({cold_n} keys measured, {a.cold_discarded} discarded for a usage flush in the window) | "
             + (", ".join(sorted(set(x.strip() for x in a.cold.split("  ") if x.strip()))) or "none") + " each |")
    o.append(f"| the same warm key again | {a.warm.strip() or 'none'} |")
    o.append(f"| unknown key (valid checksum, not in Redis), first request | {a.unknown_first.strip() or 'none'} |")
    o.append(f"| the same unknown key again (negative cache) | {a.unknown_second.strip() or 'none'} |")
    o.append("")
    o.append("## Memory (VmRSS of the gateway process)")
    o.append("")
    o.append("| when | RSS MiB |")
    o.append("|---|---:|")
    o.append(f"| started, idle | {mib(rss['start'])} |")
    o.append(f"| after the single-key warm-up | {mib(rss['single'])} |")
    o.append(f"| after every in-use key was read once ({a.cold_pass_seconds} s cold pass) | {mib(rss['many'])} |")
    o.append(f"| after the measured rounds | {mib(rss['end'])} (peak VmHWM {mib(rss['hwm'])}) |")
    per_key = (int(rss['end']) - int(rss['single'])) * 1024 / max(in_use, 1)
    o.append("")
    o.append(f"About {per_key:,.0f} bytes of RSS per in-use key (end minus single-key, over {in_use:,} keys): the L1 entry, the decoded "
             "key record, the usage counter slot, and whatever the GC keeps in hand.")
    o.append("")
    o.append("## Throughput: many keys vs one warm key")
    o.append("")
    if pairs:
        s_rps, m_rps = med([s["rps"] for s, _ in pairs]), med([m["rps"] for _, m in pairs])
        o.append("| case | req/s | p50 ms | p99 ms | store reads in the run (a request waited) | refresh-ahead checks in the run (unchanged) | redis-server CPU ms per 1,000 requests | gateway CPU ms per 1,000 requests |")
        o.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, idx in (("single warm key", 0), (f"{in_use:,} keys", 1)):
            rs = [pr[idx] for pr in pairs]
            o.append(f"| {name} | {med([r['rps'] for r in rs]):,.0f} | {med([r['p50_us'] for r in rs]) / 1000:.2f} | "
                     f"{med([r['p99_us'] for r in rs]) / 1000:.2f} | {med([r['l2_reads'] for r in rs]):,.0f} | "
                     f"{med([r.get('refreshes', 0) for r in rs]):,.0f} ({med([r.get('refreshes_unchanged', 0) for r in rs]):,.0f}) | "
                     f"{med([r.get('redis_cpu_s', 0) * 1e6 / r['requests'] for r in rs]):.1f} | "
                     f"{gateway_cpu(rs)} |")
        ratio = med(ratios)
        verdict = "n/a (smoke)" if smoke else ("**holds**" if ratio >= 0.95 else "**does not hold**")
        o.append("")
        o.append(f"Ratio many/single at `Usage:FlushInterval` {a.flush_interval} (median of per-round ratios "
                 f"{', '.join(f'{x:.3f}' for x in ratios)}): **{ratio:.3f}** req/s, p99 ratio {med(p99r):.2f}. "
                 f"Target >= 0.95: {verdict}.")
        # Redis CPU per request, many over single, per round: the flush's cost in the store, which req/s on a shared
        # machine hides (Redis, the gateway and wrk share the cores).
        cpu = [(m.get("redis_cpu_s", 0) / m["requests"]) / (s.get("redis_cpu_s", 0) / s["requests"])
               for s, m in pairs if s.get("redis_cpu_s", 0) > 0]
        if cpu:
            cpu_verdict = "n/a (smoke)" if smoke else ("**holds**" if med(cpu) <= 2 else "**does not hold**")
            o.append("")
            o.append(f"redis-server CPU per request, many/single (median of per-round ratios {', '.join(f'{x:.2f}' for x in cpu)}): "
                     f"**{med(cpu):.2f}x**. Target <= 2x: {cpu_verdict}.")
        o.append("")
        o.append("")
        o.append("Store reads are the key reads a request waited for (`gateway_key_cache_lookups_total{tier=\"l2\",result=\"hit\"}`: "
                 "first reads and re-reads of keys whose `Cache:L1Ttl` ran out); refresh-ahead checks are the background "
                 "checks of keys in use in the last `Cache:RefreshAhead` of their `L1Ttl` (`gateway_key_cache_refreshes_total`; "
                 "unchanged: one HMGET of version and id renewed the entry, else a full read followed).")
        o.append("")
        o.append("| round | single req/s | many req/s | ratio | single p99 ms | many p99 ms | store reads (many) | refreshes (many, unchanged) | RSS after (many) MiB |")
        o.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for (s, m), x in zip(pairs, ratios):
            o.append(f"| {s['round']} | {s['rps']:,.0f} | {m['rps']:,.0f} | {x:.3f} | {s['p99_us'] / 1000:.2f} | "
                     f"{m['p99_us'] / 1000:.2f} | {m['l2_reads']:,} | {m.get('refreshes', 0):,} ({m.get('refreshes_unchanged', 0):,}) | {mib(m['rss_kib'])} |")
    if a.redis_commands:
        totals = {}
        for line in open(a.redis_commands):
            for kv in line.split()[1:]:
                name, n = kv.split("=")
                totals[name] = totals.get(name, 0) + int(n)
        reqs = sum(r["requests"] for r in runs)
        o.append("")
        o.append("Redis commands executed during all measured rounds (single and many together: a run's last second of "
                 "usage is flushed during the next run), per 1,000 requests. Commands run inside the usage flusher's Lua "
                 "script count too (per call: GET and SET of its marker, one ZADD GT of its slot's lastUsedAt sorted set "
                 "(before 1 Dec: an HGET and an HSET per key); per key: HINCRBY per outcome; on a key's first field "
                 "of a target that day HLEN or HEXISTS/HKEYS and EXPIREAT; once per process and key-day a SADD piece):")
        o.append("")
        o.append(", ".join(f"{k} {v * 1000 / max(reqs, 1):.0f}" for k, v in sorted(totals.items(), key=lambda kv: -kv[1])))
    o.append("")
    if problems:
        o.append("## Unexpected")
        o.extend(f"- {x}" for x in problems)
    o.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(o))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
