# shellcheck shell=bash
# Part of deploy/cluster.sh: shared helpers: logging, running as the PostgreSQL OS user, pids, checks.
# Sourced by it, never run: it uses the settings cluster.sh defines.

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
