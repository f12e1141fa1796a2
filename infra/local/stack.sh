#!/usr/bin/env bash
# Local stack without Docker: stack.sh <up|down|status> [kafka|schema-registry|redis|clickhouse ...]
# Exit codes: 2 usage, 3 a port is taken by another process, 4 a service did not come up,
# 5 a service is already running on other ports than asked.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CDP_HOME="${CDP_HOME:-$ROOT/.cdp}"
mkdir -p "$CDP_HOME"
CDP_HOME="$(cd "$CDP_HOME" && pwd)"
TOOLS="$CDP_HOME/tools"
DATA="$CDP_HOME/data"
LOGS="$CDP_HOME/logs"
RUN="$CDP_HOME/run"
START_TIMEOUT="${CDP_STACK_START_TIMEOUT:-90}"
STOP_TIMEOUT="${CDP_STACK_STOP_TIMEOUT:-30}"
ALL_SERVICES=(kafka schema-registry redis clickhouse)

die() { # die CODE MESSAGE
  echo "$2" >&2
  exit "$1"
}

apt_updated=""
apt_install() {
  [ "$(id -u)" = 0 ] || die 1 "stack: need root to apt-get install $* (or install them yourself)"
  if [ -z "$apt_updated" ]; then
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Sets JAVA to a Java >= 17 binary, installing Debian's OpenJDK 17 when there is none.
need_java() {
  local candidate major
  for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)"; do
    if [ -z "$candidate" ] || [ ! -x "$candidate" ]; then continue; fi
    major="$("$candidate" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p')"
    if [ "${major:-0}" -ge 17 ]; then
      JAVA="$candidate"
      return
    fi
  done
  echo "stack: installing openjdk-17-jre-headless from Debian packages..."
  apt_install openjdk-17-jre-headless
  JAVA=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
}

# Runs a command silently, showing its output only when it fails (Maven prints noise even with -q).
quietly() {
  local out status=0
  out="$(mktemp)"
  "$@" >"$out" 2>&1 || status=$?
  [ "$status" = 0 ] || cat "$out" >&2
  rm -f "$out"
  return "$status"
}

need_mvn() {
  command -v mvn >/dev/null 2>&1 && return
  echo "stack: installing maven from Debian packages..."
  apt_install maven
}

# /proc/net/tcp* rather than ss or lsof, which minimal images lack.
port_listening() {
  local hex
  hex="$(printf '%04X' "$1")"
  awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

port_owner() {
  local hex inodes inode fd pid
  hex="$(printf '%04X' "$1")"
  inodes="$(awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { print $10 }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null)"
  for inode in $inodes; do
    for fd in /proc/[0-9]*/fd/*; do
      if [ "$(readlink "$fd" 2>/dev/null)" = "socket:[$inode]" ]; then
        pid="${fd#/proc/}"
        pid="${pid%%/*}"
        echo "pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-80 | sed 's/ *$//')"
        return
      fi
    done
  done
  echo "owner unknown"
}

port_accepts() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

fn() { echo "${1//-/_}_$2"; } # fn schema-registry install -> schema_registry_install

# Prints the pid from the service's pid file when that process is alive and still ours.
# Every server gets its data dir on the command line; checking for it guards against pid
# reuse, another CDP_HOME's server, and zombies (whose cmdline is empty).
running_pid() {
  local pidfile="$RUN/$1.pid" pid
  [ -s "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DATA/$1/" || return 1
  echo "$pid"
}

main_port() { "$(fn "$1" ports)" | head -n1 | cut -d' ' -f1; }

# "PORT VAR" lines -> "port 6379 (CDP_LOCAL_REDIS_PORT), ..."
describe_ports() { awk '{ printf "%sport %s (%s)", (NR > 1 ? ", " : ""), $1, $2 }'; }

# A running server keeps the ports it was started with: when the ones asked for now differ, saying
# "already running" would leave clients pointed at a port nobody serves.
check_running_ports() {
  local svc="$1" pid="$2" wanted portsfile="$RUN/$1.ports" port
  wanted="$("$(fn "$svc" ports)")"
  if [ -s "$portsfile" ]; then
    [ "$(cat "$portsfile")" = "$wanted" ] && return
    die 5 "stack: $svc is already running (pid $pid) on $(describe_ports <"$portsfile"), not on $(describe_ports <<<"$wanted") as asked; either point clients back at the running one, or move it: stack.sh down $svc, then up again with the new ports (data is kept)"
  fi
  # Started before ports were recorded: all we can tell is whether it answers on the asked port.
  port="$(main_port "$svc")"
  port_accepts "$port" && return
  die 5 "stack: $svc is already running (pid $pid) but not on port $port as asked; either point clients back at its old port, or move it: stack.sh down $svc, then up again with the new ports (data is kept)"
}

start_service() {
  local svc="$1" pid port var log="$LOGS/$1.log" pidfile="$RUN/$1.pid" deadline
  "$(fn "$svc" install)"
  if pid="$(running_pid "$svc")"; then
    check_running_ports "$svc" "$pid"
    echo "stack: $svc already running (pid $pid)"
    return
  fi
  rm -f "$pidfile"
  while read -r port var; do
    [[ "$port" =~ ^[0-9]+$ ]] || die 2 "stack: $var must be a port number, got '$port'"
    if port_listening "$port"; then
      die 3 "stack: $svc cannot start: port $port is taken by another process ($(port_owner "$port")); free it or set $var to another port"
    fi
  done < <("$(fn "$svc" ports)")
  mkdir -p "$DATA/$svc" "$LOGS" "$RUN"
  "$(fn "$svc" prepare)"
  "$(fn "$svc" command)" # sets CMD
  echo "=== stack: starting $svc at $(date -u +%FT%TZ)" >>"$log"
  "$(fn "$svc" ports)" >"$RUN/$svc.ports"
  # The wrapper writes its own pid before exec, so the pid file names the server itself
  # whether or not setsid had to fork.
  # shellcheck disable=SC2016
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "${CMD[@]}" >>"$log" 2>&1 </dev/null &
  port="$(main_port "$svc")"
  deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if pid="$(running_pid "$svc")" && port_accepts "$port"; then
      echo "stack: $svc started (pid $pid)"
      return
    fi
    if { [ -s "$pidfile" ] && ! running_pid "$svc" >/dev/null; } || [ "$SECONDS" -ge "$deadline" ]; then
      break
    fi
    sleep 0.5
  done
  # Do not leave a half-started server holding the ports.
  if pid="$(running_pid "$svc")"; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$pidfile" "$RUN/$svc.ports"
  {
    echo "stack: $svc did not come up; see $log"
    tail -n 15 "$log" | sed 's/^/  | /'
  } >&2
  exit 4
}

stop_service() {
  local svc="$1" pid deadline
  if ! pid="$(running_pid "$svc")"; then
    rm -f "$RUN/$svc.pid" "$RUN/$svc.ports"
    echo "stack: $svc not running"
    return
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while running_pid "$svc" >/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
  if running_pid "$svc" >/dev/null; then
    echo "stack: $svc ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    while running_pid "$svc" >/dev/null; do sleep 0.2; done
  fi
  rm -f "$RUN/$svc.pid" "$RUN/$svc.ports"
  echo "stack: $svc stopped"
}

status_service() {
  local pid
  if pid="$(running_pid "$1")"; then
    # The port it was started with, which may differ from the one configured now.
    echo "$1 up pid $pid port $(if [ -s "$RUN/$1.ports" ]; then head -n1 "$RUN/$1.ports" | cut -d' ' -f1; else main_port "$1"; fi)"
  else
    echo "$1 down"
  fi
}

# shellcheck source=kafka.sh
. "$HERE/kafka.sh"
# shellcheck source=schema-registry.sh
. "$HERE/schema-registry.sh"
# shellcheck source=redis.sh
. "$HERE/redis.sh"
# shellcheck source=clickhouse.sh
. "$HERE/clickhouse.sh"

usage="usage: stack.sh <up|down|status> [${ALL_SERVICES[*]}]"
[ $# -ge 1 ] || die 2 "$usage"
action="$1"
shift
services=("$@")
[ ${#services[@]} -gt 0 ] || services=("${ALL_SERVICES[@]}")
for svc in "${services[@]}"; do
  [[ " ${ALL_SERVICES[*]} " == *" $svc "* ]] || die 2 "stack: unknown service '$svc'; $usage"
done

case "$action" in
  up)
    for svc in "${services[@]}"; do start_service "$svc"; done
    ;;
  down)
    for ((i = ${#services[@]} - 1; i >= 0; i--)); do stop_service "${services[i]}"; done
    ;;
  status)
    for svc in "${services[@]}"; do status_service "$svc"; done
    ;;
  *) die 2 "$usage" ;;
esac
