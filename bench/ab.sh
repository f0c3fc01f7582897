#!/usr/bin/env bash
# Before/after for a product change: the gateway built from a git ref (A, default HEAD) against the working tree's
# Release build (B), both on one redis-server in front of one nginx, interleaved A B A B per case. Reports req/s,
# p99 and CPU time per request (user + system of the gateway process, /proc/<pid>/stat) with B/A ratios. CPU per
# request moves much less than req/s with the shared machine's load, so it shows small changes.
#
#   bench/ab.sh [--base REF] [--cases "endpoint-get graphql-post"] [--rounds 4] [--duration 8]
#
# Writes bench/results/raw/ab-<date>.jsonl and prints a summary.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

base=HEAD rounds=4 duration=8 threads=2 connections=32
cases="endpoint-get endpoint-post graphql-post refused-mix"
while [ $# -gt 0 ]; do
  case $1 in
    --base) base=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --cases) cases=$2; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

require_tools
build_release "$REPO_DIR/Gateway/Gateway.csproj"
log "building $base ($(git -C "$REPO_DIR" rev-parse --short "$base")) as A"
mkdir -p "$WORK/base"
git -C "$REPO_DIR" archive "$base" | tar -x -C "$WORK/base"
dotnet build "$WORK/base/Gateway/Gateway.csproj" -c Release -nologo -v quiet >"$WORK/base-build.log" 2>&1 \
  || { cat "$WORK/base-build.log"; die "build of $base"; }
dll_a="$WORK/base/Gateway/bin/Release/net10.0/Gateway.dll"
dll_b="$GATEWAY_DLL"

read -r redis_port nginx_port a_port a_admin b_port b_admin < <(free_ports 6 | xargs)
start_redis "$redis_port"
start_nginx "$nginx_port"
GATEWAY_DLL=$dll_a start_gateway "$a_port" "$a_admin" "$redis_port" "$nginx_port"
a_pid=${BENCH_PIDS[-1]}
GATEWAY_DLL=$dll_b start_gateway "$b_port" "$b_admin" "$redis_port" "$nginx_port"
b_pid=${BENCH_PIDS[-1]}
read -r _ full_key < <(create_key "$a_admin" '{"name":"bench full","graphql":"readwrite","endpoints":{"*":"readwrite"}}')
read -r _ mix_key < <(create_key "$a_admin" '{"name":"bench mix","graphql":"none","endpoints":{"bench-ep":"read"}}')
for port in "$a_port" "$b_port"; do
  expect_status 200 -H "Authorization: Bearer $full_key" "http://127.0.0.1:$port/v2/bench-ep/status/job-1"
  expect_status 200 -H "Authorization: Bearer $full_key" -H 'Content-Type: application/json' -d '{"query":"{ a }"}' "http://127.0.0.1:$port/graphql"
  expect_status 403 -H "Authorization: Bearer $mix_key" "http://127.0.0.1:$port/v2/denied-ep/status/job-1"
done

raw="$RAW_DIR/ab-$(date -u +%Y-%m-%dT%H%M%SZ).jsonl"
: >"$raw"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
run() { # case name port pid seconds round
  local key=$full_key out json c0 c1
  [ "$1" = refused-mix ] && key=$mix_key
  c0=$(cpu_ticks "$4")
  out=$(BENCH_KEY=$key BENCH_WRK_DIR="$BENCH_DIR/wrk" timeout $(($5 + 30)) wrk -t$threads -c$connections -d"${5}s" \
    --timeout 5s -s "$BENCH_DIR/wrk/$1.lua" "http://127.0.0.1:$3" 2>&1) || { echo "$out" >&2; die "wrk"; }
  c1=$(cpu_ticks "$4")
  json=$(grep '^WRKJSON ' <<<"$out" | cut -d' ' -f2- | jq -c --arg c "$1" --arg t "$2" --argjson r "$6" \
    --argjson cpu "$(awk -v c=$((c1 - c0)) -v hz="$hz" 'BEGIN {print c / hz}')" \
    '. + {case: $c, target: $t, round: $r, cpu_s: $cpu, cpu_us_per_req: ($cpu * 1e6 / .requests)}')
  [ "$6" -gt 0 ] && echo "$json" >>"$raw"
  jq -r '"\(.case) \(.target) round \(.round): \(.rps|floor) req/s, p99 \(.p99_us/1000) ms, \(.cpu_us_per_req*10|floor/10) us CPU/request"' <<<"$json" >&2
}

for case in $cases; do
  run "$case" A "$a_port" "$a_pid" 3 0
  run "$case" B "$b_port" "$b_pid" 3 0
  for round in $(seq 1 "$rounds"); do
    run "$case" A "$a_port" "$a_pid" "$duration" "$round"
    run "$case" B "$b_port" "$b_pid" "$duration" "$round"
  done
done

echo "A = $base ($(git -C "$REPO_DIR" rev-parse --short "$base")), B = working tree; medians of per-round B/A ratios; $(load_line)"
python3 - "$raw" <<'EOF'
import json, statistics, sys
from collections import defaultdict
runs = [json.loads(l) for l in open(sys.argv[1])]
by = defaultdict(dict)
for r in runs:
    by[r["case"]][(r["target"], r["round"])] = r
med = statistics.median
print(f"{'case':<14} {'A req/s':>9} {'B req/s':>9} {'B/A req/s':>10} {'B/A p99':>8} {'A us CPU/req':>13} {'B us CPU/req':>13} {'B/A CPU/req':>12}")
for case, d in by.items():
    rounds = sorted({n for (_, n) in d})
    pairs = [(d[("A", n)], d[("B", n)]) for n in rounds if ("A", n) in d and ("B", n) in d]
    print(f"{case:<14} {med([a['rps'] for a, _ in pairs]):>9,.0f} {med([b['rps'] for _, b in pairs]):>9,.0f} "
          f"{med([b['rps'] / a['rps'] for a, b in pairs]):>10.3f} {med([b['p99_us'] / a['p99_us'] for a, b in pairs]):>8.2f} "
          f"{med([a['cpu_us_per_req'] for a, _ in pairs]):>13.1f} {med([b['cpu_us_per_req'] for _, b in pairs]):>13.1f} "
          f"{med([b['cpu_us_per_req'] / a['cpu_us_per_req'] for a, b in pairs]):>12.3f}")
EOF
