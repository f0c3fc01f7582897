#!/usr/bin/env bash
# Where the gateway's time and memory go on one throughput case (the evidence behind the hot-path changes).
#  - bytes allocated per request, gateway and bare YARP, interleaved: dotnet-counters' cumulative
#    dotnet.gc.heap.total_allocated over a wrk run, divided by the requests wrk completed. Unlike req/s this
#    barely moves with the machine's load, so it shows small hot-path changes clearly.
#  - a CPU profile of the gateway under load: perf record -g with the runtime's perf map (DOTNET_PerfMapEnabled=1),
#    reported by symbol, self and inclusive.
#
#   bench/profile.sh [--case endpoint-get] [--seconds 10] [--rounds 3] [--no-perf] [--bare-metrics]
#
# --bare-metrics adds a third target: bare YARP exporting ASP.NET Core's and Kestrel's meters through OpenTelemetry
# as the gateway does, which tells the cost of that export from the cost of enforcement.
#
# W^X is off for both processes (DOTNET_EnableWriteXorExecute=0) so perf can map JIT code through the perf map.
# Needs perf (Debian linux-perf) and dotnet-counters (installed here as a dotnet tool under /tmp/tools when missing).
# Writes bench/results/raw/profile-<case>-<date>.txt.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

case_name=endpoint-get seconds=10 rounds=3 perf=1 bare_metrics=0
while [ $# -gt 0 ]; do
  case $1 in
    --case) case_name=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --no-perf) perf=0 ;;
    --bare-metrics) bare_metrics=1 ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

require_tools
TOOLS=${BENCH_TOOLS:-/tmp/tools}
if [ ! -x "$TOOLS/dotnet-counters" ]; then
  dotnet tool install --tool-path "$TOOLS" dotnet-counters >/dev/null || die "dotnet-counters"
fi
if [ $perf = 1 ] && ! command -v perf >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null || die "linux-perf"
fi
build_release "$REPO_DIR/Gateway/Gateway.csproj" "$BENCH_DIR/BareYarp/BareYarp.csproj"

read -r redis_port nginx_port bare_port gw_port admin_port bm_port < <(free_ports 6 | xargs)
start_redis "$redis_port"
start_nginx "$nginx_port"
# The runtime's perf maps (/tmp/perf-<pid>.map) of the processes started here go when the script ends.
perf_maps() { local pid; for pid in "${BENCH_PIDS[@]}"; do rm -f "/tmp/perf-$pid.map" "/tmp/perfinfo-$pid.map"; done; }
trap 'perf_maps; bench_cleanup' EXIT
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 start_bare "$bare_port" "$nginx_port"
bare_pid=${BENCH_PIDS[-1]}
targets="bare gateway"
if [ $bare_metrics = 1 ]; then
  DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 start_bare "$bm_port" "$nginx_port" --metrics=true
  bm_pid=${BENCH_PIDS[-1]}
  targets="bare bare-metrics gateway"
fi
start_gateway "$gw_port" "$admin_port" "$redis_port" "$nginx_port" DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
gw_pid=${BENCH_PIDS[-1]}
key=$(create_key "$admin_port" '{"name":"bench full","graphql":"readwrite","endpoints":{"*":"readwrite"}}' | cut -d' ' -f2)
[ "$case_name" = refused-mix ] && key=$(create_key "$admin_port" '{"name":"bench mix","graphql":"none","endpoints":{"bench-ep":"read"}}' | cut -d' ' -f2)
expect_status 200 -H "Authorization: Bearer $key" "http://127.0.0.1:$gw_port/v2/bench-ep/status/job-1"

wrk_run() { # port seconds -> requests
  BENCH_KEY=$key BENCH_WRK_DIR="$BENCH_DIR/wrk" timeout $(($2 + 30)) wrk -t2 -c32 -d"${2}s" --timeout 5s \
    -s "$BENCH_DIR/wrk/$case_name.lua" "http://127.0.0.1:$1" | grep '^WRKJSON ' | cut -d' ' -f2- | jq '.requests'
}

cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }

measure() { # pid port -> "bytes requests user_ticks system_ticks"
  local csv="$WORK/counters-$1.csv"
  rm -f "$csv"
  "$TOOLS/dotnet-counters" collect -p "$1" --counters 'System.Runtime[dotnet.gc.heap.total_allocated]' \
    --refresh-interval 1 --format csv -o "$csv" --duration "00:00:00:$(printf '%02d' $((seconds + 4)))" >/dev/null 2>&1 &
  local counters=$!
  sleep 2
  local requests u0 s0 u1 s1
  read -r u0 s0 < <(cpu_ticks "$1")
  requests=$(wrk_run "$2" "$seconds")
  read -r u1 s1 < <(cpu_ticks "$1")
  # A background job ignores SIGINT in a script, so dotnet-counters stops by --duration.
  wait "$counters" 2>/dev/null || true
  echo "$(awk -F, '/total_allocated/ {s += $NF} END {printf "%d", s}' "$csv") $requests $((u1 - u0)) $((s1 - s0))"
}

perf_report() { # data title
  echo
  echo "## $2: self time by library"
  perf report -i "$1" --no-children --sort dso --stdio -g none --percent-limit 0.2 2>/dev/null | grep -v '^#' | grep -v '^$' | head -20
  echo
  echo "## $2: self time by symbol (top 50)"
  perf report -i "$1" --no-children --sort dso,sym --stdio -g none --percent-limit 0.2 2>/dev/null | grep -v '^#' | grep -v '^$' | head -50
  echo
  echo "## $2: inclusive time by symbol (top 100)"
  perf report -i "$1" --children --sort sym --stdio -g none --percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$' | head -100
  echo
  echo "## $2: the gateway's own code, metrics SDK, memory cache, hashing, logging, routing policies (self)"
  perf report -i "$1" --no-children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' \
    | grep -E 'Gateway|OpenTelemetry|Diagnostics.Metrics|Caching.Memory|libcrypto|Cryptography|Matcher|Logging|IndexOfIgnoreCase' | head -60 || true
}

out="$RAW_DIR/profile-$case_name-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{
  echo "# profile of case $case_name, $(date -u +%FT%TZ)"
  echo "# $(machine_line)"
  echo "# $(load_line)"
} >"$out"

log "warm-up"
wrk_run "$bare_port" 3 >/dev/null
wrk_run "$gw_port" 3 >/dev/null
[ $bare_metrics = 1 ] && wrk_run "$bm_port" 3 >/dev/null

# Allocation is counted over the whole collection window (2 s idle on each side included), the same bias for both;
# CPU time (user + system, from /proc/<pid>/stat, 10 ms ticks) only over the wrk run.
hz=$(getconf CLK_TCK)
for round in $(seq 1 "$rounds"); do
  for target in $targets; do
    case $target in
      bare) read -r b r u k < <(measure "$bare_pid" "$bare_port") ;;
      bare-metrics) read -r b r u k < <(measure "$bm_pid" "$bm_port") ;;
      gateway) read -r b r u k < <(measure "$gw_pid" "$gw_port") ;;
    esac
    line="$target round $round: $(awk -v b="$b" -v r="$r" -v u="$u" -v k="$k" -v hz="$hz" -v s="$seconds" 'BEGIN {printf "%.0f bytes/request, %.1f us CPU/request = %.1f user + %.1f system (%.0f req/s, %d requests)", b / r, (u + k) / hz * 1e6 / r, u / hz * 1e6 / r, k / hz * 1e6 / r, r / s, r}')"
    log "$line"
    echo "$line" >>"$out"
  done
done

if [ $perf = 1 ]; then
  for target in bare gateway; do
    if [ $target = bare ]; then pid=$bare_pid port=$bare_port; else pid=$gw_pid port=$gw_port; fi
    log "perf record of $target under load (${seconds}s)"
    ( sleep 1; wrk_run "$port" "$seconds" >/dev/null ) &
    loader=$!
    perf record -F 999 -g -p "$pid" -o "$WORK/perf-$target.data" -- sleep "$seconds" >/dev/null 2>&1 || true
    wait "$loader" || true
    if [ -n "${BENCH_PERF_DATA:-}" ]; then
      cp "$WORK/perf-$target.data" "$BENCH_PERF_DATA-$target.data"
      cp "/tmp/perf-$pid.map" "$BENCH_PERF_DATA-$target.map"
    fi
    perf_report "$WORK/perf-$target.data" "perf $target" >>"$out" || true
  done
fi
log "written: ${out#"$REPO_DIR"/}"
