#!/usr/bin/env bash
# What usage counting costs: the same gateway build twice, counting on (default) and off (Usage__Enabled=false),
# on one redis-server, in front of the same nginx, driven in turn (on, off, on, off, ...) with the same wrk load.
#
#   bench/usage-cost.sh            4 rounds of 10 s per gateway (ABBA order) after 10 s warm-up each, wrk -t2 -c32, endpoint GET
#   bench/usage-cost.sh --smoke    1 round of 1 s; exits 0 when both answered and the counting one counted
#
# Options: --rounds N, --duration SECONDS, --connections C. Environment as bench/throughput.sh.
# Writes bench/results/usage-cost-<date>.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

all_args="$*"
smoke=0 rounds=4 duration=10 threads=2 connections=32 warmup=10
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 rounds=1 duration=1 warmup=0 ;;
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --connections) connections=$2; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

started=$(date +%s)
require_tools
build_release "$REPO_DIR/Gateway/Gateway.csproj"

read -r redis_port nginx_port on_port on_admin off_port off_admin < <(free_ports 6 | xargs)
start_redis "$redis_port"
start_nginx "$nginx_port"
start_gateway "$on_port" "$on_admin" "$redis_port" "$nginx_port" Redis__KeyPrefix=on:
start_gateway "$off_port" "$off_admin" "$redis_port" "$nginx_port" Redis__KeyPrefix=off: Usage__Enabled=false
log "redis :$redis_port, nginx :$nginx_port, counting on :$on_port, counting off :$off_port"

read -r on_id on_key < <(create_key "$on_admin" '{"name":"bench on","endpoints":{"*":"read"}}')
read -r _ off_key < <(create_key "$off_admin" '{"name":"bench off","endpoints":{"*":"read"}}')
expect_status 200 -H "Authorization: Bearer $on_key" "http://127.0.0.1:$on_port/v2/bench-ep/status/job-1"
expect_status 200 -H "Authorization: Bearer $off_key" "http://127.0.0.1:$off_port/v2/bench-ep/status/job-1"

declare -A total_rps=([on]=0 [off]=0)
declare -A round_rps=()
round=0
lines=()
run_wrk() { # name port key seconds record
  local name=$1 port=$2 key=$3 seconds=$4 record=$5 out json rps
  out=$(BENCH_KEY=$key BENCH_WRK_DIR="$BENCH_DIR/wrk" timeout $((seconds + 30)) \
    wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 5s -s "$BENCH_DIR/wrk/endpoint-get.lua" "http://127.0.0.1:$port" 2>&1) \
    || { echo "$out" >&2; die "wrk $name"; }
  json=$(grep '^WRKJSON ' <<<"$out" | cut -d' ' -f2-) || { echo "$out" >&2; die "no wrk summary for $name"; }
  [ "$(jq '.status + .connect + .read + .write + .timeout' <<<"$json")" = 0 ] || die "$name: non-2xx or socket errors: $json"
  rps=$(jq '.rps' <<<"$json")
  log "$name: $(printf '%.0f' "$rps") req/s, p99 $(jq '.p99_us/1000' <<<"$json") ms"
  if [ "$record" = 1 ]; then
    total_rps[$name]=$(python3 -c "print(${total_rps[$name]} + $rps)")
    round_rps[$name:$round]=$rps
    lines+=("| $round | $name | $(printf '%.0f' "$rps") | $(jq '.p50_us/1000' <<<"$json") | $(jq '.p99_us/1000' <<<"$json") |")
  fi
}

load_before=$(load_line)
if [ "$warmup" -gt 0 ]; then
  run_wrk on "$on_port" "$on_key" "$warmup" 0
  run_wrk off "$off_port" "$off_key" "$warmup" 0
fi
# ABBA order (on off, off on, ...): a trend over the run (JIT tiering, other load) falls on both sides alike.
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) = 1 ]; then
    run_wrk on "$on_port" "$on_key" "$duration" 1
    run_wrk off "$off_port" "$off_key" "$duration" 1
  else
    run_wrk off "$off_port" "$off_key" "$duration" 1
    run_wrk on "$on_port" "$on_key" "$duration" 1
  fi
done

# The counting gateway really counted: its hash for today holds the allowed requests.
day=$(date -u +%Y%m%d)
counted=$(redis-cli -p "$redis_port" HGET "on:usage:{$on_id}:$day" "endpoint:bench-ep:allowed")
[ "${counted:-0}" -gt 0 ] || die "the counting gateway wrote no usage"
off_keys=$(redis-cli -p "$redis_port" --scan --pattern 'off:usage:*' | wc -l)
[ "$off_keys" = 0 ] || die "the gateway with counting off wrote usage"

ratio=$(python3 -c "print(f'{${total_rps[on]} / ${total_rps[off]}:.3f}')")
# Each round's on/off ratio (the two runs of a round are back to back, so they share the machine's load), and their median.
round_ratios=$(for r in $(seq 1 "$rounds"); do python3 -c "print(f'{${round_rps[on:$r]} / ${round_rps[off:$r]}:.3f}')"; done | xargs)
median=$(python3 -c "import statistics; print(f'{statistics.median([$(tr ' ' ',' <<<"$round_ratios")]):.3f}')")
summary="$RESULTS_DIR/usage-cost-$(date -u +%Y-%m-%dT%H%M%SZ).md"
[ $smoke = 1 ] && summary="$WORK/usage-cost-smoke.md"
{
  echo "# Usage counting: on vs off"
  echo
  echo "- command: \`bench/usage-cost.sh $all_args\`"
  echo "- machine: $(machine_line)"
  echo "- load: before: $load_before; after: $(load_line)"
  echo "- wrk -t$threads -c$connections -d${duration}s, endpoint GET, $rounds round(s) each in ABBA order after ${warmup}s unrecorded warm-up each"
  echo "- requests counted in Redis by the counting gateway: $counted"
  echo
  echo "| round | counting | req/s | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${lines[@]}"
  echo
  echo "per-round on/off ratios: $round_ratios"
  echo
  echo "**on/off throughput ratio, median of the rounds: $median** (target at least 0.99); of the summed req/s: $ratio"
} >"$summary"
cat "$summary"
log "finished in $(( $(date +%s) - started )) s"
