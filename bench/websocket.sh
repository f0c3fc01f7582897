#!/usr/bin/env bash
# GraphQL WebSocket messages per second: through the gateway's judging relay vs bare YARP's opaque tunnel, in front
# of the same WebSocket upstream, interleaved (bare, gateway, bare, gateway, ...). Each message is a subscribe
# (judged by the gateway, as a POST body would be) answered by one upstream message: a round trip per message.
#
#   bench/websocket.sh            5 rounds of 5 s per target, 8 connections
#   bench/websocket.sh --smoke    1 round of 1 s per target; exits 0 when every message was answered
#
# Options: --rounds N, --duration SECONDS, --connections C. BENCH_NO_BUILD=1 skips the builds.
# Writes bench/results/websocket-<date>.md (summary) and bench/results/raw/websocket-<date>.jsonl (every run).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

all_args="$*"
smoke=0 rounds=5 duration=5 connections=8
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 rounds=1 duration=1 ;;
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --connections) connections=$2; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

started=$(date +%s)
require_tools
build_release "$REPO_DIR/Gateway/Gateway.csproj" "$BENCH_DIR/BareYarp/BareYarp.csproj" "$BENCH_DIR/WebSocketBench/WebSocketBench.csproj"
WSBENCH_DLL="$BENCH_DIR/WebSocketBench/bin/Release/net10.0/WebSocketBench.dll"

read -r redis_port ws_port bare_port gw_port admin_port < <(free_ports 5 | xargs)
start_redis "$redis_port"
dotnet "$WSBENCH_DLL" upstream --port "$ws_port" >"$WORK/ws-upstream.log" 2>&1 &
BENCH_PIDS+=($!)
wait_http "http://127.0.0.1:$ws_port/" 30 || { cat "$WORK/ws-upstream.log" >&2; die "WebSocket upstream did not start"; }
start_bare "$bare_port" "$ws_port"
start_gateway "$gw_port" "$admin_port" "$redis_port" "$ws_port"
gw_pid=${BENCH_PIDS[-1]}
log "redis :$redis_port, ws upstream :$ws_port, bare YARP :$bare_port, gateway :$gw_port (admin :$admin_port)"
read -r _ key < <(create_key "$admin_port" '{"name":"bench ws","graphql":"read","endpoints":{"*":"readwrite"}}')

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
raw="$RAW_DIR/websocket-$stamp.jsonl"
[ $smoke = 1 ] && raw="$WORK/websocket-smoke.jsonl"
: >"$raw"
load_before=$(load_line)

run() { # target port round
  local out
  out=$(timeout $((duration + 60)) dotnet "$WSBENCH_DLL" client --url "ws://127.0.0.1:$2/graphql" --key "$key" \
    --connections "$connections" --seconds "$duration") || { echo "$out" >&2; die "client against $1"; }
  jq -c --arg target "$1" --argjson round "$3" '. + {target: $target, round: $round}' <<<"$out" >>"$raw"
  jq -r --arg t "$1" --argjson r "$3" '"\($t) round \($r): \(.rate) messages/s (\(.messages) in \(.seconds) s, errors \(.errors))"' <<<"$out" >&2
}

[ $smoke = 1 ] || { run bare "$bare_port" 0; run gateway "$gw_port" 0; : >"$raw"; }  # warm-up, not recorded
for round in $(seq 1 "$rounds"); do
  run bare "$bare_port" "$round"
  run gateway "$gw_port" "$round"
done

summary="$RESULTS_DIR/websocket-$stamp.md"
[ $smoke = 1 ] && summary="$WORK/websocket-smoke.md"
jq -s -r --arg cmd "bench/websocket.sh $all_args" --arg machine "$(machine_line)" \
  --arg load "before: $load_before; after: $(load_line)" --arg smoke "$smoke" --arg settings "$connections connections, ${duration}s per run, $rounds round(s) per target, interleaved; gateway RSS after the runs $(( $(rss_kib "$gw_pid") / 1024 )) MiB" '
  def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  (map(select(.target == "bare") | .rate) | median) as $bare
  | (map(select(.target == "gateway") | .rate) | median) as $gw
  | "# GraphQL WebSocket messages per second" + (if $smoke == "1" then " (smoke)" else "" end),
    "",
    "- command: `\($cmd)`",
    "- machine: \($machine)",
    "- machine load (shared, noisy): \($load)",
    "- settings: \($settings)",
    "",
    "| target | median messages/s | runs |",
    "|---|---|---|",
    "| bare YARP (opaque tunnel) | \($bare | floor) | \(map(select(.target == "bare") | .rate) | map(floor | tostring) | join(", ")) |",
    "| gateway (judging relay) | \($gw | floor) | \(map(select(.target == "gateway") | .rate) | map(floor | tostring) | join(", ")) |",
    "",
    "Gateway / bare: \(($gw / $bare * 100 | floor) / 100)"' "$raw" >"$summary"
cat "$summary"
[ $smoke = 1 ] || log "summary: ${summary#"$REPO_DIR"/}; raw: ${raw#"$REPO_DIR"/}"
log "finished in $(( $(date +%s) - started )) s"
