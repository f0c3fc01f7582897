#!/usr/bin/env bash
# Gateway vs bare YARP in front of the same nginx, interleaved (bare, gateway, bare, gateway, ...) per case.
#
#   bench/throughput.sh            3 rounds of 10 s per target and case, wrk -t2 -c32
#   bench/throughput.sh --smoke    each case 1 s once per target; exits 0 when every request was answered as expected
#
# Options: --rounds N, --duration SECONDS, --threads T, --connections C, --cases "endpoint-get graphql-post ...",
# --bare-metrics (a third target, interleaved with the other two: bare YARP exporting ASP.NET Core's and Kestrel's
# meters through OpenTelemetry's Prometheus exporter as the gateway does, so the gateway is also compared with the
# same meters on both sides; the report then has a second table).
# Environment: BENCH_NO_BUILD=1 skips the Release builds; BENCH_KEEP_WORK=1 keeps the temp directory (logs).
# Writes bench/results/throughput-<date>.md (summary) and bench/results/raw/throughput-<date>.jsonl (every run).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

all_args="$*"
smoke=0 rounds=3 duration=10 threads=2 connections=32 warmup=3 bare_metrics=0
cases="endpoint-get endpoint-post graphql-post graphql-aliases refused-mix"
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 rounds=1 duration=1 warmup=0 ;;
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --threads) threads=$2; shift ;;
    --connections) connections=$2; shift ;;
    --cases) cases=$2; shift ;;
    --bare-metrics) bare_metrics=1 ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

started=$(date +%s)
require_tools
build_release "$REPO_DIR/Gateway/Gateway.csproj" "$BENCH_DIR/BareYarp/BareYarp.csproj"

read -r redis_port nginx_port bare_port gw_port admin_port bm_port < <(free_ports 6 | xargs)
start_redis "$redis_port"
start_nginx "$nginx_port"
start_bare "$bare_port" "$nginx_port"
bare_pid=${BENCH_PIDS[-1]}
targets="bare gateway" bare_ports="$bare_port" bm_pid=""
if [ $bare_metrics = 1 ]; then
  start_bare "$bm_port" "$nginx_port" --metrics=true
  bm_pid=${BENCH_PIDS[-1]}
  targets="bare bare-metrics gateway" bare_ports="$bare_port $bm_port"
fi
start_gateway "$gw_port" "$admin_port" "$redis_port" "$nginx_port"
gw_pid=${BENCH_PIDS[-1]}
log "redis :$redis_port, nginx :$nginx_port, bare YARP :$bare_port${bm_pid:+, bare YARP with meters :$bm_port}, gateway :$gw_port (admin :$admin_port)"

# One key that may do everything, one that may read endpoint bench-ep only (the refused mix).
read -r _ full_key < <(create_key "$admin_port" '{"name":"bench full","graphql":"readwrite","endpoints":{"*":"readwrite"}}')
read -r _ mix_key < <(create_key "$admin_port" '{"name":"bench mix","graphql":"none","endpoints":{"bench-ep":"read"}}')

# Every case answers as expected on both targets before any load (this also puts both keys in L1).
gql='{"query":"query { myself { id } }"}'
for target in $bare_ports "$gw_port"; do
  base="http://127.0.0.1:$target"
  expect_status 200 -H "Authorization: Bearer $full_key" "$base/v2/bench-ep/status/job-1"
  expect_status 200 -H "Authorization: Bearer $full_key" -H 'Content-Type: application/json' -d '{"input":{}}' "$base/v2/bench-ep/run"
  expect_status 200 -H "Authorization: Bearer $full_key" -H 'Content-Type: application/json' -d "$gql" "$base/graphql"
  expect_status 200 -H "Authorization: Bearer $mix_key" "$base/v2/bench-ep/status/job-1"
done
expect_status 403 -H "Authorization: Bearer $mix_key" "http://127.0.0.1:$gw_port/v2/denied-ep/status/job-10"
for port in $bare_ports; do
  expect_status 200 -H "Authorization: Bearer $mix_key" "http://127.0.0.1:$port/v2/denied-ep/status/job-10"
done
expect_status 401 -H "Authorization: Bearer rpa_invented" "http://127.0.0.1:$gw_port/v2/bench-ep/status/job-1"

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
raw="$RAW_DIR/throughput-$stamp.jsonl"
[ $smoke = 1 ] && raw="$RAW_DIR/throughput-smoke-$stamp.jsonl"
: >"$raw"
load_before=$(load_line)

hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system, in 1/hz s

port_of() { case $1 in bare) echo "$bare_port" ;; bare-metrics) echo "$bm_port" ;; *) echo "$gw_port" ;; esac; }

run_wrk() { # case target_name port seconds round
  local case=$1 name=$2 port=$3 seconds=$4 round=$5 key=$full_key out pid=$gw_pid ticks
  [ "$case" = refused-mix ] && key=$mix_key
  [ "$name" = bare ] && pid=$bare_pid
  [ "$name" = bare-metrics ] && pid=$bm_pid
  ticks=$(cpu_ticks "$pid")
  out=$(BENCH_KEY=$key BENCH_WRK_DIR="$BENCH_DIR/wrk" \
    timeout $((seconds + 30)) wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 5s \
    -s "$BENCH_DIR/wrk/$case.lua" "http://127.0.0.1:$port" 2>&1) || { echo "$out" >&2; die "wrk $case $name"; }
  ticks=$(( $(cpu_ticks "$pid") - ticks ))
  local json
  json=$(grep '^WRKJSON ' <<<"$out" | cut -d' ' -f2-) || { echo "$out" >&2; die "no wrk summary for $case $name"; }
  # The proxy's own CPU time over the run (not wrk's, nginx's or Redis's), per completed request.
  json=$(jq -c --argjson t "$ticks" --argjson hz "$hz" '. + {cpu_us: (if .requests > 0 then $t / $hz * 1e6 / .requests else 0 end)}' <<<"$json")
  [ "$round" -gt 0 ] && jq -c --arg case "$case" --arg target "$name" --argjson round "$round" \
    '. + {case: $case, target: $target, round: $round}' <<<"$json" >>"$raw"
  jq -r --arg c "$case" --arg t "$name" --argjson r "$round" \
    '"\($c) \($t) round \($r): \(.rps|floor) req/s, p50 \(.p50_us/1000) ms, p99 \(.p99_us/1000) ms, CPU \(.cpu_us * 10 | floor / 10) us/request, non-2xx \(.status), socket errors \(.connect+.read+.write+.timeout)"' <<<"$json" >&2
}

for case in $cases; do
  if [ "$warmup" -gt 0 ]; then
    # Not recorded: JIT tiering, connection pools, L1.
    for target in $targets; do run_wrk "$case" "$target" "$(port_of "$target")" "$warmup" 0; done
  fi
  for round in $(seq 1 "$rounds"); do
    for target in $targets; do run_wrk "$case" "$target" "$(port_of "$target")" "$duration" "$round"; done
  done
done

rss=$(rss_kib "$gw_pid")
summary="$RESULTS_DIR/throughput-$stamp.md"
[ $smoke = 1 ] && summary="$WORK/throughput-smoke.md"
status=0
python3 "$BENCH_DIR/tools/throughput_report.py" "$raw" \
  --command "bench/throughput.sh $all_args" --machine "$(machine_line)" --load "before: $load_before; after: $(load_line)" \
  --settings "wrk -t$threads -c$connections -d${duration}s, $rounds round(s) per target and case, interleaved ${targets// //}, ${warmup}s unrecorded warm-up each; gateway RSS after the runs $((rss / 1024)) MiB" \
  --smoke "$smoke" --out "$summary" || status=$?
cat "$summary"
[ $smoke = 1 ] || log "summary: ${summary#"$REPO_DIR"/}; raw: ${raw#"$REPO_DIR"/}"
log "finished in $(( $(date +%s) - started )) s"
exit $status
