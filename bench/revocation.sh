#!/usr/bin/env bash
# Revocation latency across instances: three gateways on one redis-server; a key is disabled and enabled again
# through the first instance's admin API, and each instance's proxy port is polled until it refuses (then accepts).
#
#   bench/revocation.sh            200 trials (each a disable and an enable)
#   bench/revocation.sh --smoke    5 trials
#
# Options: --trials N, --instances N. BENCH_NO_BUILD=1 skips the builds; BENCH_KEEP_WORK=1 keeps the logs.
# Writes bench/results/revocation-<date>.md (summary) and bench/results/raw/revocation-<date>.json.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

all_args="$*"
smoke=0 trials=200 instances=3
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 trials=5 ;;
    --trials) trials=$2; shift ;;
    --instances) instances=$2; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

started=$(date +%s)
require_tools
build_release "$REPO_DIR/Gateway/Gateway.csproj" "$BENCH_DIR/Revocation/Revocation.csproj"

mapfile -t ports < <(free_ports $((2 + 2 * instances)))
redis_port=${ports[0]} nginx_port=${ports[1]}
start_redis "$redis_port"
start_nginx "$nginx_port"
proxies=()
for i in $(seq 0 $((instances - 1))); do
  proxy=${ports[$((2 + 2 * i))]} admin=${ports[$((3 + 2 * i))]}
  [ "$i" = 0 ] && first_admin=$admin
  start_gateway "$proxy" "$admin" "$redis_port" "$nginx_port"
  proxies+=("http://127.0.0.1:$proxy")
done
log "redis :$redis_port, nginx :$nginx_port, gateways ${proxies[*]}; admin calls go to :$first_admin"

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
raw="$RAW_DIR/revocation-$stamp.json"
[ $smoke = 1 ] && raw="$RAW_DIR/revocation-smoke-$stamp.json"
load_before=$(load_line)
status=0
dotnet "$BENCH_DIR/Revocation/bin/Release/net10.0/Revocation.dll" --admin "http://127.0.0.1:$first_admin" \
  --token "$ADMIN_TOKEN" --proxies "$(IFS=,; echo "${proxies[*]}")" --trials "$trials" --out "$raw" >/dev/null || status=$?
[ -s "$raw" ] || die "the revocation client wrote no result"

summary="$RESULTS_DIR/revocation-$stamp.md"
[ $smoke = 1 ] && summary="$WORK/revocation-smoke.md"
jq -r --arg cmd "bench/revocation.sh $all_args" --arg machine "$(machine_line)" \
  --arg load "before: $load_before; after: $(load_line)" --arg smoke "$smoke" '
  def row(name; s): "| \(name) | \(s.n) | \(s.p50) | \(s.p90) | \(s.p99) | \(s.max) |";
  "# Revocation latency" + (if $smoke == "1" then " (smoke)" else "" end),
  "",
  "- command: `\($cmd)`",
  "- machine: \($machine)",
  "- machine load (shared, noisy): \($load)",
  "- \(.instances) gateway instances on one redis-server (pub/sub invalidation), default cache settings; \(.trials) trials, each a disable then an enable through instance 1'"'"'s admin API",
  "- time from sending the PATCH until the last instance answered the new way (403 key_disabled, then 200 again); each instance polled one request at a time as fast as it answers (\(.polls) polls in all)",
  "- timeouts (5 s without every instance agreeing): \(.timeouts)",
  "",
  "| ms | n | p50 | p90 | p99 | max |",
  "|---|---:|---:|---:|---:|---:|",
  row("disable: every instance refuses"; .disable),
  row("enable: every instance accepts"; .enable),
  row("both"; .both),
  row("admin PATCH round trip"; .adminPatch),
  (.perInstance | to_entries[] | row("instance \(.key + 1) (disable and enable)"; .value)),
  "",
  (if $smoke == "1" then "Target p99 <= 50 ms: not judged in smoke mode."
   elif .both.p99 <= 50 and .timeouts == 0 then "Target p99 <= 50 ms: **holds** (p99 \(.both.p99) ms)."
   else "Target p99 <= 50 ms: **does not hold** (p99 \(.both.p99) ms, \(.timeouts) timeouts)." end)
' "$raw" >"$summary"
cat "$summary"
[ $smoke = 1 ] || log "summary: ${summary#"$REPO_DIR"/}; raw: ${raw#"$REPO_DIR"/}"
log "finished in $(( $(date +%s) - started )) s"
exit $status
