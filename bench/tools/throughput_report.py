#!/usr/bin/env python3
"""Summarises bench/throughput.sh's raw wrk lines (one JSON object per run) as a Markdown report.

Ratios are gateway/bare per round (each gateway run is compared with the bare run just before it), then the
median over rounds, so slow drift of the shared machine's load cancels out. Exits 1 when any run saw a socket
error or an answer it should not have (non-2xx anywhere except the gateway's refused mix, which must be ~10 %).
"""
import argparse
import json
import statistics
from collections import defaultdict

# case -> (minimum req/s ratio, maximum p99 ratio or None, maximum CPU-per-request ratio or None); issue 11's targets
TARGETS = {
    "endpoint-get": (0.97, 1.10, 1.05),
    "endpoint-post": (0.95, 1.10, None),
    "refused-mix": (0.95, 1.10, None),
    "graphql-post": (0.90, None, 1.10),
    "graphql-aliases": (0.90, None, 1.10),
}
ORDER = ["endpoint-get", "endpoint-post", "graphql-post", "graphql-aliases", "refused-mix"]


def ms(us):
    return f"{us / 1000:.2f}"


def table(out, by, baseline, smoke, per_round):
    """One summary table of the gateway against one baseline target; per-round rows go to per_round."""
    name = "bare" if baseline == "bare" else "bare+meters"
    out.append("| case | " + name + " req/s | gateway req/s | **req/s ratio** | " + name + " p50 / p99 ms | gateway p50 / p99 ms | **p99 ratio** | " + name + " / gateway CPU µs per request | **CPU ratio** | target | holds |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for case in ORDER + sorted(set(by) - set(ORDER)):
        if case not in by:
            continue
        rounds = sorted({rnd for (_, rnd) in by[case]})
        pairs = [(by[case].get((baseline, n)), by[case].get(("gateway", n))) for n in rounds]
        pairs = [(b, g) for b, g in pairs if b and g]
        if not pairs:
            continue
        rps_ratios = [g["rps"] / b["rps"] for b, g in pairs]
        p99_ratios = [g["p99_us"] / b["p99_us"] for b, g in pairs]
        med = lambda xs: statistics.median(xs)
        b_rps, g_rps = med([b["rps"] for b, _ in pairs]), med([g["rps"] for _, g in pairs])
        b50, b99 = med([b["p50_us"] for b, _ in pairs]), med([b["p99_us"] for b, _ in pairs])
        g50, g99 = med([g["p50_us"] for _, g in pairs]), med([g["p99_us"] for _, g in pairs])
        # CPU time of the proxy process per request (older raw files have none).
        cpu_ratios = [g["cpu_us"] / b["cpu_us"] for b, g in pairs if b.get("cpu_us") and g.get("cpu_us")]
        b_cpu = med([b["cpu_us"] for b, _ in pairs]) if cpu_ratios else None
        g_cpu = med([g["cpu_us"] for _, g in pairs]) if cpu_ratios else None
        cr = med(cpu_ratios) if cpu_ratios else None
        rr, pr = med(rps_ratios), med(p99_ratios)
        min_rps, max_p99, max_cpu = TARGETS.get(case, (None, None, None))
        target = []
        ok = True
        if min_rps is not None:
            target.append(f"req/s >= {min_rps}")
            ok &= rr >= min_rps
        if max_p99 is not None:
            target.append(f"p99 <= {max_p99}x")
            ok &= pr <= max_p99
        if max_cpu is not None and cr is not None:
            target.append(f"CPU <= {max_cpu}x")
            ok &= cr <= max_cpu
        holds = "n/a (smoke)" if smoke else ("yes" if ok else "**no**")
        cpu = f"{b_cpu:.1f} / {g_cpu:.1f}" if cr is not None else "n/a"
        crs = f"**{cr:.3f}**" if cr is not None else "n/a"
        out.append(f"| {case} | {b_rps:,.0f} | {g_rps:,.0f} | **{rr:.3f}** | {ms(b50)} / {ms(b99)} | {ms(g50)} / {ms(g99)} | **{pr:.2f}** | {cpu} | {crs} | {', '.join(target)} | {holds} |")
        for (b, g), x, y in zip(pairs, rps_ratios, p99_ratios):
            c = f"{b['cpu_us']:.1f} | {g['cpu_us']:.1f} | {g['cpu_us'] / b['cpu_us']:.3f}" if b.get("cpu_us") and g.get("cpu_us") else "n/a | n/a | n/a"
            per_round.append(f"| {case} | {name} | {b['round']} | {b['rps']:,.0f} | {g['rps']:,.0f} | {x:.3f} | {ms(b['p99_us'])} | {ms(g['p99_us'])} | {y:.2f} | {c} |")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("raw")
    p.add_argument("--command", default="")
    p.add_argument("--machine", default="")
    p.add_argument("--load", default="")
    p.add_argument("--settings", default="")
    p.add_argument("--smoke", default="0")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    smoke = a.smoke == "1"

    runs = [json.loads(line) for line in open(a.raw) if line.strip()]
    by = defaultdict(dict)  # (case) -> {(target, round): run}
    problems = []
    for r in runs:
        by[r["case"]][(r["target"], r["round"])] = r
        socket = r["connect"] + r["read"] + r["write"] + r["timeout"]
        if r["requests"] == 0:
            problems.append(f"{r['case']} {r['target']} round {r['round']}: no requests completed")
        if socket:
            problems.append(f"{r['case']} {r['target']} round {r['round']}: {socket} socket errors")
        if r["case"] == "refused-mix" and r["target"] == "gateway":
            share = r["status"] / max(r["requests"], 1)
            if not 0.05 <= share <= 0.15:
                problems.append(f"refused-mix gateway round {r['round']}: {share:.1%} refused, expected ~10 %")
        elif r["status"]:
            problems.append(f"{r['case']} {r['target']} round {r['round']}: {r['status']} non-2xx answers")

    out = []
    out.append("# Throughput: gateway vs bare YARP" + (" (smoke)" if smoke else ""))
    out.append("")
    out.append(f"- command: `{a.command.strip()}`")
    out.append(f"- machine: {a.machine}")
    out.append(f"- machine load (shared, noisy): {a.load}")
    out.append(f"- settings: {a.settings}")
    out.append("- upstream: nginx `return 200 '{\"ok\":true}'`; every proxy forwards to it over loopback HTTP/1.1")
    out.append("")
    per_round = []
    baselines = ["bare"] + (["bare-metrics"] if any(t == "bare-metrics" for case in by for (t, _) in by[case]) else [])
    for baseline in baselines:
        if baseline != "bare":
            out.append("")
            out.append("Against bare YARP with the same meters on (`--bare-metrics`: ASP.NET Core's and Kestrel's meters exported through")
            out.append("OpenTelemetry's Prometheus exporter, as the gateway exports them), from the same rounds:")
            out.append("")
        table(out, by, baseline, smoke, per_round)
    out.append("")
    out.append("Medians over rounds; each ratio is the median of the per-round ratios (the gateway run / the baseline run of the same round).")
    out.append("CPU is the proxy process's own user + system time over its run (/proc/<pid>/stat, 10 ms ticks) per completed request.")
    out.append("")
    out.append("| case | baseline | round | baseline req/s | gateway req/s | ratio | baseline p99 ms | gateway p99 ms | p99 ratio | baseline CPU µs/req | gateway CPU µs/req | CPU ratio |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    out.extend(per_round)
    out.append("")
    if problems:
        out.append("## Unexpected answers")
        out.extend(f"- {x}" for x in problems)
    else:
        out.append("Every request was answered, as expected (200; 403 scope_denied for 1 in 10 of the gateway's refused mix).")
    out.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(out))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
