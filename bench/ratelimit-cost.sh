#!/usr/bin/env bash
# What a rate limit costs on the request path: one Release gateway, two keys, driven in turn with the same wrk load:
#   unlimited  a key with no rateLimits (the limiter's code path is present; it must make no Redis call);
#   limited    a key whose limit (1,000,000 per 1 s, 1 s being the narrowest window and so the most Redis work)
#              is far above the offered load, so it is always under its limit (any 429 fails the run).
# Between rounds it reads `INFO commandstats` of its own redis-server, so the Redis commands of each round are known.
# Usage counting is off (Usage__Enabled=false): it writes through EVALSHA like the limiter, and is the same on both
# sides; with it off, the commands of an unlimited round can only be background work, measured alone in an idle
# interval of the same length before each round pair.
#
#   bench/ratelimit-cost.sh            5 rounds of 5 s per key (ABBA order) after 5 s warm-up each, wrk -t2 -c32, endpoint GET
#   bench/ratelimit-cost.sh --smoke    1 round of 1 s; exits 0 when both keys answered 200s only and the unlimited key
#                                      made no Redis command beyond the idle background
#
# Options: --rounds N, --duration SECONDS, --connections C, --limit REQUESTS/WINDOW_SECONDS (default 1000000/1).
# Writes bench/results/ratelimit-cost-<date>.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

all_args="$*"
smoke=0 rounds=5 duration=5 threads=2 connections=32 warmup=5 limit=1000000/1
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 rounds=1 duration=1 warmup=1 ;;
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --connections) connections=$2; shift ;;
    --limit) limit=$2; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done
limit_requests=${limit%/*} limit_window=${limit#*/}

started=$(date +%s)
require_tools
build_release "$REPO_DIR/Gateway/Gateway.csproj"

read -r redis_port nginx_port gw_port gw_admin < <(free_ports 4 | xargs)
start_redis "$redis_port"
start_nginx "$nginx_port"
start_gateway "$gw_port" "$gw_admin" "$redis_port" "$nginx_port" Redis__KeyPrefix=rl: Usage__Enabled=false
gw_pid=${BENCH_PIDS[-1]}
log "redis :$redis_port, nginx :$nginx_port, gateway :$gw_port (pid $gw_pid)"

read -r _ unlimited_key < <(create_key "$gw_admin" '{"name":"bench unlimited","endpoints":{"*":"read"}}')
read -r _ limited_key < <(create_key "$gw_admin" \
  "{\"name\":\"bench limited\",\"endpoints\":{\"*\":\"read\"},\"rateLimits\":[{\"requests\":$limit_requests,\"windowSeconds\":$limit_window}]}")
expect_status 200 -H "Authorization: Bearer $unlimited_key" "http://127.0.0.1:$gw_port/v2/bench-ep/status/job-1"
expect_status 200 -H "Authorization: Bearer $limited_key" "http://127.0.0.1:$gw_port/v2/bench-ep/status/job-1"

# Total commands Redis has run (the sum of every command's calls), excluding INFO itself.
redis_calls() {
  redis-cli -p "$redis_port" INFO commandstats | tr -d '\r' \
    | awk -F'[:=,]' '/^cmdstat_/ && $1 != "cmdstat_info" {n += $3} END {print n + 0}'
}
# utime + stime of the gateway, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$gw_pid/stat"; }
tick_hz=$(getconf CLK_TCK)

declare -A round_rps=() round_cpu=() round_cmds=()
round=0
lines=()
run_wrk() { # name key seconds record
  local name=$1 key=$2 seconds=$3 record=$4 out json rps requests calls0 calls1 cpu0 cpu1 cmds cpu_us
  calls0=$(redis_calls) cpu0=$(cpu_ticks)
  out=$(BENCH_KEY=$key BENCH_WRK_DIR="$BENCH_DIR/wrk" timeout $((seconds + 30)) \
    wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 5s -s "$BENCH_DIR/wrk/endpoint-get.lua" "http://127.0.0.1:$gw_port" 2>&1) \
    || { echo "$out" >&2; die "wrk $name"; }
  cpu1=$(cpu_ticks) calls1=$(redis_calls)
  json=$(grep '^WRKJSON ' <<<"$out" | cut -d' ' -f2-) || { echo "$out" >&2; die "no wrk summary for $name"; }
  # A 429 is a non-2xx: the limited key must never reach its limit here.
  [ "$(jq '.status + .connect + .read + .write + .timeout' <<<"$json")" = 0 ] || die "$name: non-2xx or socket errors: $json"
  rps=$(jq '.rps' <<<"$json") requests=$(jq '.requests' <<<"$json")
  cmds=$((calls1 - calls0))
  cpu_us=$(python3 -c "print(f'{($cpu1 - $cpu0) / $tick_hz * 1e6 / $requests:.1f}')")
  log "$name: $(printf '%.0f' "$rps") req/s, $requests requests, $cmds Redis commands, ${cpu_us} µs gateway CPU/request"
  if [ "$record" = 1 ]; then
    round_rps[$name:$round]=$rps round_cpu[$name:$round]=$cpu_us round_cmds[$name:$round]=$cmds
    lines+=("| $round | $name | $(printf '%.0f' "$rps") | $(jq '.p99_us/1000' <<<"$json") | $cpu_us | $cmds | $(python3 -c "print(f'{$cmds / $requests:.5f}')") |")
  fi
  echo "$requests" >"$WORK/last-requests"
}
# Commands Redis runs with the gateway idle for as long as a round (key-change polling, the limiter's sweeper...).
idle_cmds=()
measure_idle() {
  local c0 c1
  c0=$(redis_calls); sleep "$duration"; c1=$(redis_calls)
  idle_cmds+=($((c1 - c0)))
}

load_before=$(load_line)
run_wrk unlimited "$unlimited_key" "$warmup" 0
run_wrk limited "$limited_key" "$warmup" 0
# ABBA order: a trend over the run (JIT tiering, other helpers' builds) falls on both sides alike.
for round in $(seq 1 "$rounds"); do
  measure_idle
  if [ $((round % 2)) = 1 ]; then
    run_wrk unlimited "$unlimited_key" "$duration" 1
    run_wrk limited "$limited_key" "$duration" 1
  else
    run_wrk limited "$limited_key" "$duration" 1
    run_wrk unlimited "$unlimited_key" "$duration" 1
  fi
done
load_after=$(load_line)

median() { python3 -c "import statistics, sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.${2:-3}f}')" "${@:3}"; }
r() { local n=$1; shift; median "" "$n" "$@"; }
rps_ratios=() cpu_ratios=() unlimited_cmds=() limited_cmds=()
for i in $(seq 1 "$rounds"); do
  rps_ratios+=("$(python3 -c "print(${round_rps[limited:$i]} / ${round_rps[unlimited:$i]})")")
  cpu_ratios+=("$(python3 -c "print(${round_cpu[limited:$i]} / ${round_cpu[unlimited:$i]})")")
  unlimited_cmds+=("${round_cmds[unlimited:$i]}") limited_cmds+=("${round_cmds[limited:$i]}")
done
rps_median=$(r 3 "${rps_ratios[@]}")
cpu_median=$(r 3 "${cpu_ratios[@]}")
idle_median=$(r 0 "${idle_cmds[@]}")
unlimited_median=$(r 0 "${unlimited_cmds[@]}")
limited_median=$(r 0 "${limited_cmds[@]}")
unlimited_rps=$(r 0 $(for i in $(seq 1 "$rounds"); do echo "${round_rps[unlimited:$i]}"; done))
limited_rps=$(r 0 $(for i in $(seq 1 "$rounds"); do echo "${round_rps[limited:$i]}"; done))
unlimited_cpu=$(r 1 $(for i in $(seq 1 "$rounds"); do echo "${round_cpu[unlimited:$i]}"; done))
limited_cpu=$(r 1 $(for i in $(seq 1 "$rounds"); do echo "${round_cpu[limited:$i]}"; done))
# The unlimited key's request path makes no Redis call: its rounds run no more commands than an idle interval of the
# same length, give or take the background's own jitter (a poll or two).
extra=$(python3 -c "print(max(0, $unlimited_median - $idle_median))")
per_request=$(python3 -c "print(f'{$extra / ($unlimited_rps * $duration):.6f}')")

summary="$RESULTS_DIR/ratelimit-cost-$(date -u +%Y-%m-%dT%H%M%SZ).md"
[ $smoke = 1 ] && summary="$WORK/ratelimit-cost-smoke.md"
{
  echo "# Rate limit cost: limited key (under its limit) vs unlimited key"
  echo
  echo "- command: \`bench/ratelimit-cost.sh $all_args\`"
  echo "- machine: $(machine_line)"
  echo "- load: before: $load_before; after: $load_after (shared with other engineers' builds)"
  echo "- wrk -t$threads -c$connections -d${duration}s, endpoint GET, one gateway, usage counting off, $rounds round(s) in ABBA order after ${warmup}s unrecorded warm-up per key"
  echo "- limited key: $limit_requests requests per ${limit_window} s; unlimited key: no rateLimits"
  echo
  echo "| round | key | req/s | p99 ms | gateway CPU µs/request | Redis commands | per request |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${lines[@]}"
  echo
  echo "Redis commands in an idle interval of ${duration} s (gateway unloaded), per round: ${idle_cmds[*]} (median $idle_median)"
  echo
  echo "- **unlimited key: Redis commands per round, median $unlimited_median vs $idle_median idle: $per_request per request beyond the background** (target 0)"
  echo "- limited key: Redis commands per round, median $limited_median ($(python3 -c "print(f'{($limited_median - $idle_median) / ($limited_rps * $duration):.5f}')") per request beyond the background)"
  echo "- req/s median: unlimited $unlimited_rps, limited $limited_rps; gateway CPU per request median: unlimited $unlimited_cpu µs, limited $limited_cpu µs"
  echo "- per-round limited/unlimited req/s ratios: $(printf '%.3f ' "${rps_ratios[@]}"); CPU per request ratios: $(printf '%.3f ' "${cpu_ratios[@]}")"
  echo
  echo "**limited/unlimited throughput ratio, median of the rounds: $rps_median** (target at least 0.90); CPU per request ratio: $cpu_median"
} >"$summary"
cat "$summary"
# The smoke's check: no Redis command from the unlimited key's requests (a call per request would be thousands).
python3 -c "import sys; sys.exit(0 if $per_request < 0.001 else 1)" || die "the unlimited key made Redis calls: $per_request per request"
log "finished in $(( $(date +%s) - started )) s"
