# shellcheck shell=bash disable=SC2034 # sourced by stack.sh, which reads CMD
# Redis from Debian's redis-server package.
REDIS_PORT="${CDP_LOCAL_REDIS_PORT:-6379}"

redis_ports() { echo "$REDIS_PORT CDP_LOCAL_REDIS_PORT"; }

redis_install() {
  command -v redis-server >/dev/null 2>&1 && return
  echo "stack: installing redis-server from Debian packages..."
  apt_install redis-server
  # The package may start a system redis on 6379; ours must be the one answering there.
  service redis-server stop >/dev/null 2>&1 || true
}

redis_prepare() { :; }

# AOF with fsync every second and no RDB snapshots: durable enough for tests that restart it.
# noeviction because identity data must never silently disappear. set-proc-title no keeps
# the data dir on the command line, where stack.sh looks for it.
redis_command() {
  CMD=(redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes
    --dir "$DATA/redis/" --appendonly yes --appendfsync everysec --save ""
    --maxmemory-policy noeviction --daemonize no --set-proc-title no --logfile "")
}
