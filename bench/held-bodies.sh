#!/usr/bin/env bash
# What held GraphQL bodies cost (issue 16, finding 2): N connections each POST /graphql with a declared body
# (default Content-Length 1 MiB) and send all but its last byte, then hold. Measures the gateway's RSS idle, while
# they are held and after they end, and an unrelated key's endpoint GET latency idle and while they are held.
# One gateway at a time on its own redis-server and nginx, all on loopback; a fresh gateway each round.
#
#   bench/held-bodies.sh            5 rounds, 1,000 connections, 1 MiB declared, 1 MiB - 1 sent, 200 latency samples
#   bench/held-bodies.sh --smoke    1 round, 20 connections, 64 KiB declared; exits 0 when it all answered
#
# Options: --rounds N, --connections N, --declared BYTES, --sent BYTES, --samples N,
# --compare DLL (also run that gateway build, e.g. an old one, interleaved with this one).
# The held phase uses KeyScopes__GraphQLBodyTimeout=00:01:00 so bodies stay held while measured (the default 10 s
# would end them with 408 mid-measurement); the budget is the default 256 MiB.
# Writes bench/results/held-bodies-<date>.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

all_args="$*"
smoke=0 rounds=5 connections=1000 declared=1048576 sent=1048575 samples=200 settle=2 compare=""
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 rounds=1 connections=20 declared=65536 sent=65535 samples=20 settle=0.5 ;;
    --rounds) rounds=$2; shift ;;
    --connections) connections=$2; shift ;;
    --declared) declared=$2; shift ;;
    --sent) sent=$2; shift ;;
    --samples) samples=$2; shift ;;
    --compare) compare=$2; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

started=$(date +%s)
require_tools
build_release "$REPO_DIR/Gateway/Gateway.csproj"
# Holding 1,000 connections needs more descriptors than some shells allow by default.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

read -r redis_port nginx_port < <(free_ports 2 | xargs)
start_redis "$redis_port"
start_nginx "$nginx_port"

builds=("this=$GATEWAY_DLL")
[ -n "$compare" ] && builds+=("compare=$compare")
rows=()
for round in $(seq 1 "$rounds"); do
  for build in "${builds[@]}"; do
    name=${build%%=*} GATEWAY_DLL=${build#*=}
    read -r proxy admin < <(free_ports 2 | xargs)
    start_gateway "$proxy" "$admin" "$redis_port" "$nginx_port" Redis__KeyPrefix="held$round$name:" \
      KeyScopes__GraphQLBodyTimeout=00:01:00
    pid=${BENCH_PIDS[-1]}
    read -r _ graphql_key < <(create_key "$admin" '{"name":"held graphql","graphql":"read"}')
    read -r _ endpoint_key < <(create_key "$admin" '{"name":"unrelated","endpoints":{"*":"read"}}')
    expect_status 200 -H "Authorization: Bearer $endpoint_key" "http://127.0.0.1:$proxy/v2/bench-ep/status"
    json=$(timeout 300 python3 "$BENCH_DIR/held-bodies.py" "$proxy" "$pid" "$graphql_key" "$endpoint_key" \
      "$connections" "$declared" "$sent" "$samples" "$settle") || die "held-bodies.py ($name, round $round)"
    log "$name round $round: $json"
    [ "$(jq '.latency_failures' <<<"$json")" = 0 ] || die "$name: the unrelated key was not served: $json"
    rows+=("$name $json")
    kill -TERM "$pid"; for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
done

summary="$RESULTS_DIR/held-bodies-$(date -u +%Y-%m-%dT%H%M%SZ).md"
[ $smoke = 1 ] && summary="$WORK/held-bodies-smoke.md"
{
  echo "# Held GraphQL bodies: memory and an unrelated key's latency"
  echo
  echo "- command: \`bench/held-bodies.sh $all_args\`"
  echo "- machine: $(machine_line) (shared with other work)"
  echo "- load after: $(load_line)"
  echo "- $connections connections, each POST /graphql with Content-Length $declared, $sent bytes sent, then held; $samples sequential endpoint GETs with another key"
  echo
  echo "| build | round | held | answered early | RSS idle MiB | RSS held MiB | RSS after MiB | GET p50 idle ms | p50 sending | p50 held | p99 idle ms | p99 sending | p99 held |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  round=0
  for row in "${rows[@]}"; do
    name=${row%% *} json=${row#* }
    [ "$name" = this ] && round=$((round + 1))
    jq -r --arg n "$name" --arg r "$round" '"| \($n) | \($r) | \(.held) | \(.answered_early | to_entries | map("\(.key): \(.value)") | join(", ")) | \(.rss_idle_mib) | \(.rss_held_mib) | \(.rss_after_mib) | \(.idle_p50_ms) | \(.sending_p50_ms) | \(.held_p50_ms) | \(.idle_p99_ms) | \(.sending_p99_ms) | \(.held_p99_ms) |"' <<<"$json"
  done
  echo
  for build in "${builds[@]}"; do
    name=${build%%=*}
    printf '%s\n' "${rows[@]}" | awk -v n="$name" '$1 == n { sub(/^[^ ]* /, ""); print }' | jq -s -r --arg n "$name" '
      def median: sort | if length % 2 == 1 then .[length/2|floor] else (.[length/2-1] + .[length/2]) / 2 end;
      "**\($n)** (median of \(length)): RSS held \(map(.rss_held_mib) | median) MiB (idle \(map(.rss_idle_mib) | median)), after \(map(.rss_after_mib) | median) MiB; unrelated GET p50 held/idle \(map(.held_p50_ms / .idle_p50_ms) | median * 100 | round / 100)x, p50 sending/idle \(map(.sending_p50_ms / .idle_p50_ms) | median * 100 | round / 100)x, p99 held/idle \(map(.held_p99_ms / .idle_p99_ms) | median * 100 | round / 100)x, p99 sending/idle \(map(.sending_p99_ms / .idle_p99_ms) | median * 100 | round / 100)x"'
  done
} >"$summary"
cat "$summary"
log "finished in $(( $(date +%s) - started )) s"
