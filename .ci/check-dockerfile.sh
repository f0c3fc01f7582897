#!/usr/bin/env bash
# CI cannot run Docker here, so .ci/run runs the Dockerfile's own restore and publish commands instead. This check
# keeps the two in step: it fails when the Dockerfile's `RUN dotnet restore` or `RUN dotnet publish` line differs
# in any character from the command .ci/run runs (dockerfile_restore= and dockerfile_publish= there).
set -euo pipefail
cd "$(dirname "$0")/.."

# The command of the one `RUN dotnet <verb> ...` line of the Dockerfile, without RUN.
from_dockerfile() {
  local lines
  lines=$(grep -E "^RUN[[:space:]]+dotnet[[:space:]]+$1([[:space:]]|$)" Dockerfile | sed -E 's/^RUN[[:space:]]+//; s/[[:space:]]+$//')
  if [ "$(grep -c . <<<"$lines")" -ne 1 ]; then
    echo "check-dockerfile: expected exactly one 'RUN dotnet $1' line in Dockerfile, found:" >&2
    echo "${lines:-(none)}" >&2
    return 1
  fi
  echo "$lines"
}

# The single-quoted value of NAME='...' in .ci/run.
from_ci() {
  local value
  value=$(sed -nE "s/^$1='([^']*)'[[:space:]]*$/\\1/p" .ci/run)
  if [ "$(grep -c . <<<"$value")" -ne 1 ]; then
    echo "check-dockerfile: expected exactly one $1='...' line in .ci/run" >&2
    return 1
  fi
  echo "$value"
}

status=0
for verb in restore publish; do
  docker_cmd=$(from_dockerfile "$verb")
  ci_cmd=$(from_ci "dockerfile_$verb")
  if [ "$docker_cmd" != "$ci_cmd" ]; then
    echo "check-dockerfile: the Dockerfile and .ci/run run different $verb commands:" >&2
    echo "  Dockerfile: $docker_cmd" >&2
    echo "  .ci/run:    $ci_cmd" >&2
    status=1
  fi
done

# .ci/run runs that publish command with only its output folder, /app, replaced by a temporary one.
if [[ "$docker_cmd" != *" -o /app "* ]] || ! grep -qF '${dockerfile_publish/ -o \/app / -o $publish_dir }' .ci/run; then
  echo "check-dockerfile: .ci/run runs the publish command with '-o /app' replaced; the Dockerfile's must publish to /app" >&2
  status=1
fi
[ $status -eq 0 ] && echo "check-dockerfile: the Dockerfile's restore and publish commands match .ci/run"
exit $status
