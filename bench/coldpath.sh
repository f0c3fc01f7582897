#!/usr/bin/env bash
# The cold path and a large key population.
#  1. Loads --count key records into redis-server in the gateway's layout (pipelined, redis-cli --pipe).
#  2. Counts the Redis commands one request with an unseen key costs (INFO commandstats before and after it),
#     and those of an unknown key (first request, then the negative cache).
#  3. Memory (VmRSS of the gateway) and throughput with --in-use distinct keys cycled by wrk, against the warm
#     single-key case, interleaved (single, many, single, many, ...), same wrk script and cost for both.
#     The report gives the many/single req/s ratio at the flush interval used (default 1 s; target >= 0.95) and
#     redis-server CPU (INFO cpu used_cpu_sys + used_cpu_user, before and after each run) per 1,000 requests of each
#     case and many/single (target <= 2x).
#
#   bench/coldpath.sh            1,000,000 keys in Redis, 100,000 in use, 3 rounds of 10 s
#   bench/coldpath.sh --smoke    10,000 keys, 1,000 in use, 1 round of 1 s
#
# Options: --count N, --in-use N, --rounds N, --duration S, --l1-max N (Cache:L1MaxEntries, default: the gateway's),
# --l1-ttl HH:MM:SS (Cache:L1Ttl), --refresh-ahead HH:MM:SS (Cache:RefreshAhead; 00:00:00 turns it off), --flush-interval HH:MM:SS (Usage:FlushInterval). BENCH_NO_BUILD=1 skips the builds; BENCH_KEEP_WORK=1 keeps the logs.
# BENCH_PERF=DIR records the gateway with `perf record -g` during each measured run into DIR/<case>-<round>.data
# (the gateway started with perf maps on; `perf report -i ... --no-children` then names the .NET frames). It costs
# CPU: figures of such a run are for finding where time goes, not for quoting (its summary is written to DIR too).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

all_args="$*"
smoke=0 count=1000000 in_use=100000 rounds=3 duration=10 threads=2 connections=32 l1_max="" l1_ttl="" refresh_ahead="" flush=""
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 count=10000 in_use=1000 rounds=1 duration=1 ;;
    --count) count=$2; shift ;;
    --in-use) in_use=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --l1-max) l1_max=$2; shift ;;
    --l1-ttl) l1_ttl=$2; shift ;;
    --refresh-ahead) refresh_ahead=$2; shift ;;
    --flush-interval) flush=$2; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

started=$(date +%s)
require_tools
build_release "$REPO_DIR/Gateway/Gateway.csproj" "$BENCH_DIR/ColdPath/ColdPath.csproj"

read -r redis_port nginx_port gw_port admin_port < <(free_ports 4 | xargs)
start_redis "$redis_port"
start_nginx "$nginx_port"
rcli() { redis-cli -p "$redis_port" "$@"; }

# 1. The key population, before the gateway starts (so nothing of it is in memory).
log "loading $count key records into redis (pipelined)"
t0=$(date +%s.%N)
dotnet "$BENCH_DIR/ColdPath/bin/Release/net10.0/ColdPath.dll" --count "$count" --in-use "$in_use" --unseen 40 \
  --keys-out "$WORK/in-use.txt" --unseen-out "$WORK/unseen.txt" --unknown-out "$WORK/unknown.txt" \
  | rcli --pipe >"$WORK/pipe.log" 2>&1 || { cat "$WORK/pipe.log"; die "bulk load"; }
load_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
dbsize=$(rcli dbsize)
[ "$dbsize" -ge "$count" ] || die "redis holds $dbsize keys, expected $count"
redis_mem=$(rcli info memory | awk -F: '/^used_memory_human/ {print $2}' | tr -d '\r')
log "loaded $dbsize keys in ${load_s}s (redis used_memory $redis_mem)"

settings=()
[ -n "$l1_max" ] && settings+=("Cache__L1MaxEntries=$l1_max")
[ -n "$l1_ttl" ] && settings+=("Cache__L1Ttl=$l1_ttl")
[ -n "$refresh_ahead" ] && settings+=("Cache__RefreshAhead=$refresh_ahead")
[ -n "$flush" ] && settings+=("Usage__FlushInterval=$flush")
# A run's last flush interval of usage is written during the next run (of the other case): with runs not much longer
# than the interval, the many case's flush work lands in the single case's run and flatters the ratio (1 Dec: 5 s flush
# with 5 s runs read 0.968 and Redis 1.50x; with 20 s runs, 0.865 and 6.27x).
flush_s=$(awk -F: '{print ($1 * 3600) + ($2 * 60) + $3}' <<<"${flush:-$(jq -r '.Usage.FlushInterval' "$REPO_DIR/appsettings.json")}")
flush_warning=""
if awk -v f="$flush_s" -v d="$duration" 'BEGIN {exit !(4 * f > d)}'; then
  flush_warning="; WARNING: runs shorter than 4x the flush interval ($flush_s s), so each run's last flush lands in the next run and the ratios flatter the many case"
  log "WARNING: --duration $duration is under 4x the flush interval ($flush_s s): each run's last usage flush lands in the next run, so the ratios flatter the many case"
fi
[ -n "${BENCH_PERF:-}" ] && { mkdir -p "$BENCH_PERF"; settings+=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0); }
start_gateway "$gw_port" "$admin_port" "$redis_port" "$nginx_port" "${settings[@]}"
gw_pid=${BENCH_PIDS[-1]}
proxy="http://127.0.0.1:$gw_port"
rss_start=$(rss_kib "$gw_pid")
read -r _ warm_key < <(create_key "$admin_port" '{"name":"bench warm","graphql":"none","endpoints":{"*":"readwrite"}}')
echo "$warm_key" >"$WORK/single.txt"
expect_status 200 -H "Authorization: Bearer $warm_key" "$proxy/v2/bench-ep/status/job-1"

# 2. Redis commands per request. The usage flusher writes once a second, so each measurement starts just after
#    a flush tick has passed and a measurement that a flush landed in is discarded and repeated with a fresh key.
cmdstats() { rcli info commandstats | tr -d '\r' | awk -F'[:=,]' '/^cmdstat_/ {sub("cmdstat_", "", $1); print $1, $3}'; }
# The microseconds Redis spent inside each command (usec), the same way.
cmdusec() { rcli info commandstats | tr -d '\r' | awk -F'[:=,]' '/^cmdstat_/ {sub("cmdstat_", "", $1); print $1, $5}'; }
delta() { # before after -> "name n ..." without the INFO calls of the measurement itself
  join -a2 -e0 -o 0,1.2,2.2 <(sort "$1") <(sort "$2") | awk '$1 != "info" && $3 - $2 > 0 {printf "%s=%d ", $1, $3 - $2}'
}
measure_one() { # key expected_status -> prints the delta
  sleep 1.1
  cmdstats >"$WORK/before"
  expect_status "$2" -H "Authorization: Bearer $1" "$proxy/v2/bench-ep/status/job-1"
  cmdstats >"$WORK/after"
  delta "$WORK/before" "$WORK/after"
}
cold_results=() discarded=0
while read -r key; do
  [ ${#cold_results[@]} -ge 5 ] && break
  d=$(measure_one "$key" 200)
  if [ "$d" = "hgetall=1 " ] || ! grep -qE 'evalsha|eval|sadd|expire' <<<"$d"; then
    cold_results+=("$d")
  else
    discarded=$((discarded + 1))
  fi
done <"$WORK/unseen.txt"
# The warm key's own request is counted, and its flush can land before the "after" read: measured again (at most 5
# times) when a flush's commands are in the delta, as for the unseen keys above.
for _ in 1 2 3 4 5; do
  warm_delta=$(measure_one "$warm_key" 200)
  grep -qE 'evalsha|eval|sadd|expire' <<<"$warm_delta" || break
done
unknown=$(head -n 1 "$WORK/unknown.txt")
unknown_first=$(measure_one "$unknown" 401)
unknown_second=$(measure_one "$unknown" 401)
log "unseen key: ${cold_results[*]} (discarded $discarded); warm key: '${warm_delta}'; unknown key: '${unknown_first}' then '${unknown_second}'"

# 3. Throughput and memory: single warm key vs --in-use distinct keys.
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
raw="$RAW_DIR/coldpath-$stamp.jsonl"
[ $smoke = 1 ] && raw="$RAW_DIR/coldpath-smoke-$stamp.jsonl"
: >"$raw"
# CPU seconds redis-server has used (user + system): the store's share of the shared machine.
redis_cpu() { rcli info cpu | tr -d '\r' | awk -F: '/^used_cpu_(sys|user):/ {s += $2} END {printf "%.3f", s}'; }
# Store reads that found a key, on a request's time (a miss waited for them): gateway_key_cache_lookups_total{...,
# result="hit",tier="l2"} on /metrics. Refresh-ahead checks are not lookups: counted apart below.
l2_reads() {
  curl -fsS "http://127.0.0.1:$admin_port/metrics" \
    | awk 'index($0, "gateway_key_cache_lookups_total{") == 1 && /tier="l2"/ && /result="hit"/ {s += $2} END {printf "%d", s}'
}
# Refresh-ahead checks made in the background, as "total unchanged": gateway_key_cache_refreshes_total{result=...}
# (unchanged: an HMGET of version and id renewed the entry; reloaded/removed: the version moved and a full read followed).
refreshes() {
  curl -fsS "http://127.0.0.1:$admin_port/metrics" \
    | awk 'index($0, "gateway_key_cache_refreshes_total{") == 1 {s += $2; if (/result="unchanged"/) u += $2} END {printf "%d %d", s, u}'
}
run_wrk() { # name keys_file seconds round
  local out json l2_before l2_after rf_before rf_after
  l2_before=$(l2_reads)
  rf_before=$(refreshes)
  cmdstats >"$WORK/run-before"
  cmdusec >"$WORK/run-before-usec"
  local rcpu0 rcpu1
  rcpu0=$(redis_cpu)
  local gcpu0 gcpu1
  gcpu0=$(awk '{print $14 + $15}' "/proc/$gw_pid/stat")
  local perf_pid=
  if [ -n "${BENCH_PERF:-}" ] && [ "$4" -gt 0 ]; then
    perf record -q -F 499 -g -p "$gw_pid" -o "$BENCH_PERF/$1-$4.data" -- sleep "$3" 2>/dev/null &
    perf_pid=$!
  fi
  out=$(BENCH_KEYS_FILE=$2 BENCH_THREADS=$threads BENCH_WRK_DIR="$BENCH_DIR/wrk" \
    timeout $(($3 + 60)) wrk -t"$threads" -c"$connections" -d"${3}s" --timeout 5s -s "$BENCH_DIR/wrk/many-keys.lua" "$proxy" 2>&1) \
    || { echo "$out" >&2; die "wrk $1"; }
  [ -n "$perf_pid" ] && wait "$perf_pid"
  l2_after=$(l2_reads)
  rf_after=$(refreshes)
  cmdstats >"$WORK/run-after"
  cmdusec >"$WORK/run-after-usec"
  rcpu1=$(redis_cpu)
  gcpu1=$(awk '{print $14 + $15}' "/proc/$gw_pid/stat")
  # Redis commands during the run, by name (the INFO calls of the measurement left out).
  [ "$4" -gt 0 ] && echo "$1 $(delta "$WORK/run-before" "$WORK/run-after")" >>"$WORK/redis-commands.txt"
  [ "$4" -gt 0 ] && echo "$1 $(delta "$WORK/run-before-usec" "$WORK/run-after-usec")" >>"$WORK/redis-usec.txt"
  json=$(grep '^WRKJSON ' <<<"$out" | cut -d' ' -f2-) || { echo "$out" >&2; die "no wrk summary"; }
  json=$(jq -c --arg t "$1" --argjson r "$4" --argjson l2 $((l2_after - l2_before)) --argjson rss "$(rss_kib "$gw_pid")" \
    --argjson rf $(( ${rf_after% *} - ${rf_before% *} )) --argjson rfu $(( ${rf_after#* } - ${rf_before#* } )) \
    --argjson rcpu "$(awk -v a="$rcpu0" -v b="$rcpu1" 'BEGIN {printf "%.3f", b - a}')" \
    --argjson gcpu "$(awk -v a="$gcpu0" -v b="$gcpu1" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.3f", (b - a) / hz}')" \
    '. + {target: $t, round: $r, l2_reads: $l2, refreshes: $rf, refreshes_unchanged: $rfu, rss_kib: $rss, redis_cpu_s: $rcpu, gateway_cpu_s: $gcpu}' <<<"$json")
  [ "$4" -gt 0 ] && echo "$json" >>"$raw"
  jq -r '"\(.target) round \(.round): \(.rps|floor) req/s, p50 \(.p50_us/1000) ms, p99 \(.p99_us/1000) ms, non-2xx \(.status), socket errors \(.connect+.read+.write+.timeout), store reads \(.l2_reads), refreshes \(.refreshes) (\(.refreshes_unchanged) unchanged), redis CPU \(.redis_cpu_s) s, gateway CPU \(.gateway_cpu_s) s, RSS \(.rss_kib/1024|floor) MiB"' <<<"$json" >&2
  echo "$json" >"$WORK/last.json"
}

warm=$([ $smoke = 1 ] && echo 1 || echo 5)
run_wrk single "$WORK/single.txt" "$warm" 0
rss_single=$(rss_kib "$gw_pid")
# Every in-use key read once from Redis (bounded): the cold pass.
log "warming $in_use keys"
deadline=$(( $(date +%s) + 300 ))
l2_start=$(l2_reads)
# Done when as many keys were read as are in use, or when a pass's reads were under 1 % of its requests (what wrk
# reaches is in memory: with refresh-ahead, keys in steady use are no longer re-read, and a short wrk run starting at
# the same offsets each time may never reach every key), or at the deadline.
while [ $(( $(l2_reads) - l2_start )) -lt "$in_use" ] && [ "$(date +%s)" -lt "$deadline" ]; do
  run_wrk many "$WORK/in-use.txt" "$warm" 0
  [ "$(jq '.l2_reads * 100 < .requests' "$WORK/last.json")" = true ] && break
done
cold_pass_s=$(( $(date +%s) - deadline + 300 ))
rss_many=$(rss_kib "$gw_pid")
load_before=$(load_line)
for round in $(seq 1 "$rounds"); do
  run_wrk single "$WORK/single.txt" "$duration" "$round"
  run_wrk many "$WORK/in-use.txt" "$duration" "$round"
done
rss_end=$(rss_kib "$gw_pid")
hwm_end=$(hwm_kib "$gw_pid")
l1_max_effective=${l1_max:-$(jq -r '.Cache.L1MaxEntries' "$REPO_DIR/appsettings.json")}
l1_ttl_effective=${l1_ttl:-$(jq -r '.Cache.L1Ttl' "$REPO_DIR/appsettings.json")}

summary="$RESULTS_DIR/coldpath-$stamp.md"
[ $smoke = 1 ] && summary="$WORK/coldpath-smoke.md"
# A perf-recorded run's figures carry perf's cost: its summary goes beside the recordings, not into the results.
[ -n "${BENCH_PERF:-}" ] && summary="$BENCH_PERF/coldpath-perf-$stamp.md"
status=0
python3 "$BENCH_DIR/tools/coldpath_report.py" "$raw" --out "$summary" --smoke "$smoke" \
  --command "bench/coldpath.sh $all_args" --machine "$(machine_line)" --load "before: $load_before; after: $(load_line)" \
  --count "$count" --in-use "$in_use" --load-seconds "$load_s" --redis-memory "$redis_mem" \
  --cold "${cold_results[*]}" --cold-discarded "$discarded" --warm "$warm_delta" \
  --unknown-first "$unknown_first" --unknown-second "$unknown_second" \
  --rss "start=$rss_start single=$rss_single many=$rss_many end=$rss_end hwm=$hwm_end" \
  --cold-pass-seconds "$cold_pass_s" --l1-max "$l1_max_effective" --l1-ttl "$l1_ttl_effective" \
  --refresh-ahead "${refresh_ahead:-a quarter of L1Ttl}" --flush-interval "${flush:-$(jq -r '.Usage.FlushInterval' "$REPO_DIR/appsettings.json")}" \
  --redis-commands "$WORK/redis-commands.txt" \
  --redis-usec "$WORK/redis-usec.txt" \
  --settings "wrk -t$threads -c$connections -d${duration}s, $rounds round(s), interleaved single/many$flush_warning" || status=$?
cat "$summary"
[ $smoke = 1 ] || log "summary: ${summary#"$REPO_DIR"/}; raw: ${raw#"$REPO_DIR"/}"
log "finished in $(( $(date +%s) - started )) s"
exit $status
