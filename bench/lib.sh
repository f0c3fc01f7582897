# Shared by the bench scripts (sourced, not run). Starts everything on loopback, on free ports, and stops
# every process it started when the script exits (trap on EXIT), whatever the exit path.
# shellcheck shell=bash

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
GATEWAY_DLL="$REPO_DIR/Gateway/bin/Release/net10.0/Gateway.dll"
BARE_DLL="$BENCH_DIR/BareYarp/bin/Release/net10.0/BareYarp.dll"
RESULTS_DIR="$BENCH_DIR/results"
RAW_DIR="$RESULTS_DIR/raw"
mkdir -p "$RAW_DIR"

WORK="$(mktemp -d /tmp/gw-bench.XXXXXX)"
BENCH_PIDS=()

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    # A gateway flushes usage and drains connections on SIGTERM; give it 10 s before SIGKILL.
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ -n "${BENCH_KEEP_WORK:-}" ]; then
    echo "work directory kept: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# Prints N free loopback TCP ports, one a line (all bound at once, so they are distinct).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
for s in socks:
    print(s.getsockname()[1])
for s in socks:
    s.close()
EOF
}

require_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || missing+=(nginx)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v jq >/dev/null || missing+=(jq)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || die "could not install ${missing[*]}"
  fi
}

# Release builds of the gateway (and of bare YARP when asked); skipped with BENCH_NO_BUILD=1.
build_release() {
  [ -n "${BENCH_NO_BUILD:-}" ] && return 0
  local project
  for project in "$@"; do
    log "dotnet build -c Release $project"
    dotnet build "$project" -c Release -nologo -v quiet >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; die "build of $project"; }
  done
}

wait_http() { # url [seconds]
  local url=$1 deadline=$(( $(date +%s) + ${2:-30} ))
  until curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

start_redis() { # port
  local port=$1
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
    --logfile "$WORK/redis-$port.log" >/dev/null 2>&1 &
  BENCH_PIDS+=($!)
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "redis-server on $port did not start"
}

# nginx in the foreground (daemon off) answering {"ok":true} to anything; the fast upstream.
start_nginx() { # port
  local port=$1 dir="$WORK/nginx"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:$port;
    default_type application/json;
    location / { return 200 '{"ok":true}'; }
  }
}
EOF
  nginx -c "$dir/nginx.conf" -p "$dir" >"$dir/stdout.log" 2>&1 &
  BENCH_PIDS+=($!)
  wait_http "http://127.0.0.1:$port/" 10 || { cat "$dir/error.log" "$dir/stdout.log" >&2; die "nginx did not start"; }
}

start_bare() { # port upstream_port [extra bare YARP arguments]
  local port=$1 upstream=$2
  shift 2
  ( cd "$WORK" && exec env \
      ReverseProxy__Clusters__serverless__Destinations__primary__Address="http://127.0.0.1:$upstream/" \
      ReverseProxy__Clusters__graphql__Destinations__primary__Address="http://127.0.0.1:$upstream/" \
      Logging__LogLevel__Default=Warning \
      dotnet "$BARE_DLL" --config="$REPO_DIR/appsettings.json" --urls="http://127.0.0.1:$port" "$@" \
      >"$WORK/bare-$port.log" 2>&1 ) &
  BENCH_PIDS+=($!)
  # Any proxied path answers once it is up (nginx answers everything).
  wait_http "http://127.0.0.1:$port/graphql" 30 || { cat "$WORK/bare-$port.log" >&2; die "bare YARP did not start"; }
}

ADMIN_TOKEN="adm_bench_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# Starts one gateway; its pid is the last of BENCH_PIDS. Extra settings as NAME=VALUE arguments.
start_gateway() { # proxy_port admin_port redis_port upstream_port [NAME=VALUE ...]
  local proxy=$1 admin=$2 redis=$3 upstream=$4
  shift 4
  mkdir -p "$WORK/gw-$proxy"
  ( cd "$WORK/gw-$proxy" && exec env \
      Redis__Configuration="127.0.0.1:$redis" \
      Admin__Token="$ADMIN_TOKEN" \
      Kestrel__Endpoints__Proxy__Url="http://127.0.0.1:$proxy" \
      Kestrel__Endpoints__Admin__Url="http://127.0.0.1:$admin" \
      ReverseProxy__Clusters__serverless__Destinations__primary__Address="http://127.0.0.1:$upstream/" \
      ReverseProxy__Clusters__graphql__Destinations__primary__Address="http://127.0.0.1:$upstream/" \
      Logging__LogLevel__Default=Warning \
      "$@" \
      dotnet "$GATEWAY_DLL" >"$WORK/gateway-$proxy.log" 2>&1 ) &
  BENCH_PIDS+=($!)
  wait_http "http://127.0.0.1:$admin/readyz" 60 || { cat "$WORK/gateway-$proxy.log" >&2; die "gateway on $proxy did not become ready"; }
}

# The dotnet process behind a pid started by start_gateway (the subshell execs, so it is the same pid).
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# Creates a key through the admin API; prints "id key".
create_key() { # admin_port json
  local answer
  answer=$(curl -fsS -X POST "http://127.0.0.1:$1/admin/keys" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -d "$2") || die "create key: $2"
  jq -r '.id + " " + .key' <<<"$answer"
}

# Status code of one request: expect_status code curl-args...
expect_status() {
  local want=$1 got
  shift
  got=$(curl -s -o "$WORK/last-body" -w '%{http_code}' --max-time 5 "$@")
  [ "$got" = "$want" ] || { cat "$WORK/last-body" >&2; echo >&2; die "expected $want, got $got: $*"; }
}

machine_line() {
  printf '%s, %s cores, %s GiB, %s; .NET %s; nginx %s; redis %s; wrk %s' \
    "$(. /etc/os-release && echo "$PRETTY_NAME")" "$(nproc)" \
    "$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" \
    "$(dotnet --list-runtimes | awk '/NETCore.App/ {v=$2} END {print v}')" \
    "$(nginx -v 2>&1 | sed 's|.*/||')" \
    "$(redis-server --version | awk '{print $3}' | cut -d= -f2)" \
    "$(dpkg-query -W -f='${Version}' wrk 2>/dev/null)"
}

# The machine is shared: say how busy it was while measuring.
load_line() { awk '{print "load average " $1 " " $2 " " $3}' /proc/loadavg; }
