#!/usr/bin/env bash
# Admin list at scale: N keys (1,000,000) written straight into a dedicated redis-server in the gateway's layout
# (redis-cli --pipe), one Release gateway on it, then GET /admin/keys timed through its admin API: the first page,
# a deep page (the cursor after key N/2), a q page that matches nothing (it scans its whole budget, the slowest
# filtered page), and a q page that matches one key in ten. Default limit (100) throughout.
#
#   bench/admin-list.sh            1,000,000 keys, 5 interleaved rounds of 200 requests per case
#   bench/admin-list.sh --smoke    10,000 keys, 1 round of 20
#
# Options: --keys N, --rounds N, --requests N. BENCH_NO_BUILD=1 skips the builds.
# Writes bench/results/admin-list-<date>.md (summary) and bench/results/raw/admin-list-<date>.json.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

all_args="$*"
smoke=0 keys=1000000 rounds=5 requests=200
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 keys=10000 rounds=1 requests=20 ;;
    --keys) keys=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --requests) requests=$2; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

require_tools
build_release "$REPO_DIR/Gateway/Gateway.csproj" "$BENCH_DIR/AdminList/AdminList.csproj"
tool="$BENCH_DIR/AdminList/bin/Release/net10.0/AdminList.dll"

mapfile -t ports < <(free_ports 4)
redis_port=${ports[0]} proxy_port=${ports[1]} admin_port=${ports[2]} upstream_port=${ports[3]}
start_redis "$redis_port"
log "loading $keys keys into redis :$redis_port"
loaded_at=$(date +%s)
dotnet "$tool" load --count "$keys" --prefix gw: --cursor-out "$WORK/deep.txt" \
  | redis-cli -p "$redis_port" --pipe >"$WORK/pipe.log" 2>&1 || { cat "$WORK/pipe.log" >&2; die "loading keys"; }
grep -q 'errors: 0' "$WORK/pipe.log" || { cat "$WORK/pipe.log" >&2; die "redis-cli --pipe reported errors"; }
listed=$(redis-cli -p "$redis_port" zcard gw:keyorder)
[ "$listed" = "$keys" ] || die "the order index holds $listed entries, not $keys"
log "loaded in $(( $(date +%s) - loaded_at )) s; redis used_memory $(redis-cli -p "$redis_port" info memory | awk -F: '/^used_memory_human/ {print $2}' | tr -d '\r')"

# No upstream is needed: only the admin listener is used.
start_gateway "$proxy_port" "$admin_port" "$redis_port" "$upstream_port"

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
raw="$RAW_DIR/admin-list-$stamp.json"
summary="$RESULTS_DIR/admin-list-$stamp.md"
if [ $smoke = 1 ]; then raw="$WORK/admin-list-smoke.json" summary="$WORK/admin-list-smoke.md"; fi
mkdir -p "$RAW_DIR"
load_before=$(load_line)
dotnet "$tool" measure --admin "http://127.0.0.1:$admin_port" --token "$ADMIN_TOKEN" --deep "$(cat "$WORK/deep.txt")" \
  --query "no-key-is-named-this" --requests "$requests" --rounds "$rounds" >"$raw"

jq -r --arg cmd "bench/admin-list.sh $all_args" --arg machine "$(machine_line)" --arg keys "$keys" \
  --arg load "before: $load_before; after: $(load_line)" --arg smoke "$smoke" '
  def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  "# Admin list page latency" + (if $smoke == "1" then " (smoke)" else "" end),
  "",
  "- command: `\($cmd)`",
  "- \($keys) keys in one redis-server; limit 100 (the default); sequential requests, one client",
  "- machine: \($machine)",
  "- machine load (shared, noisy): \($load)",
  "- figures: median over rounds of each round'"'"'s p50 / p99 (ms); target p99 <= 50 ms",
  "",
  "| case | rounds | p50 ms | p99 ms | p99 per round |",
  "|---|---|---|---|---|",
  (group_by(.case)[] | "| \(.[0].case) | \(length) | \(map(.p50) | median) | \(map(.p99) | median) | \(map(.p99) | map(tostring) | join(", ")) |")
' "$raw" >"$summary"
cat "$summary"
