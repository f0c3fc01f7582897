#!/usr/bin/env bash
# The usage flush's Redis cost per counted (key, target), without HTTP: bench/UsageFlush runs the gateway's own
# UsageCounters, UsageFlusher and UsageStore against a dedicated redis-server, one request for each of --keys distinct
# keys per flush, and reads redis-server's CPU time (INFO cpu) and command counts (INFO commandstats, which counts the
# commands inside scripts too) around each flush. Flush 1 of a run is on a day with no usage yet (every hash and day
# set member is new); later flushes find them, as a key used again within the day does ("steady").
# With --compare REV the same driver is built against that revision too (git archive, outside the repo) and the two run
# interleaved (ABBA) on the same redis-server, each in its own key prefix: an A/B of Redis work per key.
#
#   bench/usage-flush.sh --compare main              5 rounds x 3 flushes x 50,000 keys, this tree vs main
#   bench/usage-flush.sh --smoke                     1 round x 2 flushes x 2,000 keys
#
# Options: --keys N, --flushes N, --rounds N, --targets N (per key), --compare REV. BENCH_NO_BUILD=1 skips building this
# tree's driver; the compared revision's is kept in ${BENCH_COMPARE_CACHE:-/tmp}/gw-usage-flush-<rev>.
# Writes bench/results/usage-flush-<date>.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

all_args="$*"
smoke=0 keys=50000 flushes=3 rounds=5 targets=1 compare=""
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 keys=2000 flushes=2 rounds=1 ;;
    --keys) keys=$2; shift ;;
    --flushes) flushes=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --targets) targets=$2; shift ;;
    --compare) compare=$2; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

started=$(date +%s)
require_redis() { command -v redis-server >/dev/null && command -v redis-cli >/dev/null || die "redis-server and redis-cli are needed"; }
require_redis
build_release "$BENCH_DIR/UsageFlush/UsageFlush.csproj"
declare -A dll=([this]="$BENCH_DIR/UsageFlush/bin/Release/net10.0/UsageFlush.dll")
labels=(this)
if [ -n "$compare" ]; then
  rev=$(git -C "$REPO_DIR" rev-parse --short "$compare")
  # Built outside the repo, once per revision (kept for the next run unless the driver changed).
  dir="${BENCH_COMPARE_CACHE:-/tmp}/gw-usage-flush-$rev"
  if ! cmp -s "$BENCH_DIR/UsageFlush/Program.cs" "$dir/bench/UsageFlush/Program.cs" \
    || [ ! -f "$dir/bench/UsageFlush/bin/Release/net10.0/UsageFlush.dll" ]; then
    log "building the driver against $compare ($rev) in $dir"
    rm -rf "$dir" && mkdir -p "$dir"
    git -C "$REPO_DIR" archive "$rev" | tar -x -C "$dir"
    # The driver is this tree's (an older revision may not have it); it needs only the usage classes' constructors.
    rm -rf "$dir/bench/UsageFlush" && mkdir -p "$dir/bench/UsageFlush"
    cp "$BENCH_DIR/UsageFlush/UsageFlush.csproj" "$BENCH_DIR/UsageFlush/Program.cs" "$dir/bench/UsageFlush/"
    grep -q 'InternalsVisibleTo Include="UsageFlush"' "$dir/Gateway/Gateway.csproj" \
      || sed -i 's|<InternalsVisibleTo Include="Gateway.Tests" />|&<InternalsVisibleTo Include="UsageFlush" />|' "$dir/Gateway/Gateway.csproj"
    dotnet build "$dir/bench/UsageFlush/UsageFlush.csproj" -c Release -nologo -v quiet >"$WORK/compare-build.log" 2>&1 \
      || { cat "$WORK/compare-build.log"; die "build of $compare"; }
  fi
  dll[$rev]="$dir/bench/UsageFlush/bin/Release/net10.0/UsageFlush.dll"
  labels+=("$rev")
fi

read -r redis_port < <(free_ports 1)
start_redis "$redis_port"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
raw="$RAW_DIR/usage-flush-$stamp.jsonl"
[ $smoke = 1 ] && raw="$WORK/usage-flush-smoke.jsonl"
: >"$raw"
run() { # label round
  local label=$1 n
  n=$(printf '%s\n' "${labels[@]}" | grep -nx "$label" | cut -d: -f1)
  dotnet "${dll[$label]}" --redis "127.0.0.1:$redis_port" --prefix "b$n:" --keys "$keys" --flushes "$flushes" \
    --targets "$targets" --day-offset "$2" --label "$label" | tee -a "$raw" \
    | jq -r '"\(.label) flush \(.flush): \(.redis_cpu_us_per_count) us of redis CPU per count, \(.wall_ms) ms"' >&2
}

load_before=$(load_line)
for round in $(seq 1 "$rounds"); do
  # ABBA: a trend over the run (other load, Redis memory growing) falls on both alike.
  order=("${labels[@]}")
  if [ $((round % 2)) = 0 ] && [ ${#labels[@]} = 2 ]; then order=("${labels[1]}" "${labels[0]}"); fi
  for label in "${order[@]}"; do run "$label" "$round"; done
done

summary="$RESULTS_DIR/usage-flush-$stamp.md"
[ $smoke = 1 ] && summary="$WORK/usage-flush-smoke.md"
python3 - "$raw" >"$summary.body" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
labels = list(dict.fromkeys(r["label"] for r in rows))
def phase(r): return "new day (flush 1)" if r["flush"] == 1 else "steady (flush 2+)"
print("| build | flush | rounds | Redis CPU us per count, median | (min, max) | flush wall ms, median |")
print("|---|---|---|---|---|---|")
for label in labels:
    for ph in ("new day (flush 1)", "steady (flush 2+)"):
        sel = [r for r in rows if r["label"] == label and phase(r) == ph]
        if not sel: continue
        cpu = [r["redis_cpu_us_per_count"] for r in sel]
        print(f"| {label} | {ph} | {len(sel)} | **{statistics.median(cpu):.2f}** | ({min(cpu):.2f}, {max(cpu):.2f}) | {statistics.median(r['wall_ms'] for r in sel):.0f} |")
print()
print("Redis commands per count (mean over the rounds; the commands inside the script included):")
print()
for label in labels:
    for ph in ("new day (flush 1)", "steady (flush 2+)"):
        sel = [r for r in rows if r["label"] == label and phase(r) == ph]
        if not sel: continue
        names = sorted({n for r in sel for n in r["commands"]})
        calls = {n: statistics.mean(r["commands"].get(n, {"calls": 0})["calls"] for r in sel) for n in names}
        shown = ", ".join(f"{n} {c:.3g}" for n, c in calls.items() if c >= 0.0005)
        print(f"- {label}, {ph}: {shown}")
EOF
{
  echo "# Usage flush: Redis work per counted (key, target)"
  echo
  echo "- command: \`bench/usage-flush.sh $all_args\`"
  echo "- machine: $(machine_line)"
  echo "- load: before: $load_before; after: $(load_line)"
  echo "- $keys distinct keys x $targets target(s), one request each per flush, $flushes flushes per run, $rounds round(s)$([ -n "$compare" ] && echo ", interleaved ABBA with $compare")"
  echo
  cat "$summary.body"
} >"$summary"
rm -f "$summary.body"
cat "$summary"
[ $smoke = 1 ] || log "summary: ${summary#"$REPO_DIR"/}; raw: ${raw#"$REPO_DIR"/}"
log "finished in $(( $(date +%s) - started )) s"
