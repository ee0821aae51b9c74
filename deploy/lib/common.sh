# shellcheck shell=bash
# Part of deploy/cluster.sh and deploy/ha-cluster.sh: shared helpers: logging, running as the
# PostgreSQL OS user, pids, config templates, checks.
# Sourced by them, never run: it uses the settings they define.

log() { printf '[cluster %3ss] %s\n' "$SECONDS" "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ "$(id -u)" == 0 ]]; then
  PG_OS_USER=postgres
  # From /: the checkout may sit in a directory the postgres user cannot enter.
  as_pg() { (cd / && runuser -u "$PG_OS_USER" -- "$@"); }
else
  PG_OS_USER="$(id -un)"
  as_pg() { "$@"; }
fi

# psql as the server's superuser through the Unix socket (peer authentication, no password).
psql_admin() { # port, then psql arguments
  local port="$1"; shift
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$port" -d postgres "$@"
}

# A file from the repository into a data directory, owned by the PostgreSQL OS user.
install_pg_file() { # source, destination
  install -m 600 "$1" "$2"
  [[ "$(id -u)" == 0 ]] && chown "$PG_OS_USER:" "$2"
  return 0
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

random_secret() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# A killed process is a zombie until its parent (init, for these) reaps it: that counts as dead.
pid_alive() {
  [[ -f "$1" ]] || return 1
  local pid
  pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]
}

api_count() { echo "${#API_PORTS[@]}"; }

# ---------------------------------------------------------------------------------- checks

check_prerequisites() {
  [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_basebackup" ]] || die "PostgreSQL 15 binaries not found in $PG_BIN (Debian: apt-get install postgresql-15)"
  command -v haproxy >/dev/null || die "haproxy not found (Debian: apt-get install haproxy)"
  command -v curl >/dev/null || die "curl not found"
  [[ -x "$NODE_BIN" ]] || die "$NODE_BIN missing: run npm install first"
  [[ "$(api_count)" == 3 ]] || die "CLUSTER_API_PORTS must name 3 ports (deploy/haproxy.cfg has 3 servers)"
  if [[ "$(id -u)" == 0 ]]; then
    id "$PG_OS_USER" >/dev/null 2>&1 || die "OS user $PG_OS_USER missing (PostgreSQL will not run as root)"
  fi
  local port
  for port in "$PRIMARY_PORT" "$REPLICA_PORT" "$LB_PORT" "$STATS_PORT" "${API_PORTS[@]}"; do
    [[ "$port" =~ ^[0-9]+$ ]] || die "not a port: $port"
    if port_in_use "$port"; then die "127.0.0.1:$port is already in use (set CLUSTER_*_PORT)"; fi
  done
  if [[ -n "$REDIS_URL_FOR_APIS" ]]; then
    local redis_host_port="${REDIS_URL_FOR_APIS#redis://}"
    redis_host_port="${redis_host_port%%/*}"
    (exec 3<>"/dev/tcp/${redis_host_port%:*}/${redis_host_port##*:}") 2>/dev/null \
      || die "Redis not reachable at $REDIS_URL_FOR_APIS (set CLUSTER_REDIS_URL, or empty for per-instance counters)"
  fi
}

# A ${TT_...} template from the repository, rendered with the given values into a file only the
# PostgreSQL OS user reads (it may hold passwords). Every placeholder must have a value.
render_template() { # template, destination, NAME=value...
  local template="$1" destination="$2" rendered name
  shift 2
  rendered="$(mktemp)"
  for name in $(grep -o '\${TT_[A-Z0-9_]*}' "$template" | sort -u | tr -d '${}'); do
    printf '%s\n' "$@" | grep -q "^$name=" || die "render_template: no value for $name in $template"
  done
  env "$@" envsubst "$(printf '${%s} ' "${@%%=*}")" < "$template" > "$rendered"
  install_pg_file "$rendered" "$destination"
  rm -f "$rendered"
}

# setsid: its own process group, which stop/kill address as a whole (runuser, Patroni, pgbouncer).
spawn_as_pg() { # pid file, log file, command...
  local pid_file="$1" log_file="$2"
  shift 2
  if [[ "$(id -u)" == 0 ]]; then
    (cd / && exec setsid runuser -u "$PG_OS_USER" -- "$@" >> "$log_file" 2>&1 < /dev/null) &
  else
    (cd / && exec setsid "$@" >> "$log_file" 2>&1 < /dev/null) &
  fi
  echo $! > "$pid_file"
}

# SIGTERM to a process group started by spawn_as_pg (Patroni stops its PostgreSQL first, releasing
# the leader key), SIGKILL after 30 s.
stop_pid_group() { # pid file, name
  local pid_file="$1" pid waited=0
  [[ -f "$pid_file" ]] || return 0
  pid="$(cat "$pid_file")"
  kill -TERM -- "-$pid" 2>/dev/null || true
  while kill -0 -- "-$pid" 2>/dev/null && (( waited < 300 )); do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 -- "-$pid" 2>/dev/null; then
    log "$2 did not stop within 30 s: SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
}
