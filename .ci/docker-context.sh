#!/usr/bin/env bash
# docker-context.sh OUT: fills OUT with exactly what the Dockerfile's build stage COPYs in, at the paths it copies them
# to (relative to its WORKDIR), leaving out what .dockerignore keeps out of the context (build output, data). CI cannot
# run Docker, so it runs the Dockerfile's restore and publish commands in OUT: a file the image would not get (a new
# Directory.*.props the Dockerfile does not copy) then fails CI as it would fail `docker build`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
mkdir -p "$out"

in_build=0
copies=0
while read -r instruction rest; do
  case "${instruction^^}" in
    FROM)
      [[ " ${rest,,} " == *" as build "* ]] && in_build=1 || in_build=0
      continue ;;
    COPY) ;;
    *) continue ;;
  esac
  [ $in_build -eq 1 ] || continue
  [[ "$rest" == *--from=* ]] && continue
  read -ra parts <<<"$rest"
  dest=${parts[-1]}
  unset 'parts[-1]'
  mkdir -p "$out/$dest"
  for src in "${parts[@]}"; do
    if [ -d "$src" ]; then
      cp -a "$src/." "$out/$dest/"
    else
      cp -a "$src" "$out/$dest/"
    fi
  done
  copies=$((copies + 1))
done < Dockerfile

if [ $copies -eq 0 ]; then
  echo "docker-context: no COPY line found in the Dockerfile's build stage" >&2
  exit 1
fi
# What .dockerignore keeps out of the context.
find "$out" -depth -type d \( -name bin -o -name obj -o -name data -o -name TestResults -o -name BenchmarkDotNet.Artifacts \) -exec rm -rf {} +
