#!/usr/bin/env bash
# TaskTracker scaled out on ONE machine, loopback only: a PostgreSQL 15 primary and one streaming
# replica, three stateless API instances, HAProxy in front. A rehearsal of the multi-host layout
# (docs/SCALING.md) and what `npm run test:cluster` runs against.
#
#   deploy/cluster.sh start          build, start everything, print the URLs (a running cluster
#                                    is left alone; leftovers of a broken one are cleared first)
#   deploy/cluster.sh stop           stop everything; logs and data stay in the state directory
#   deploy/cluster.sh clean          stop, then delete the state directory
#   deploy/cluster.sh status         what runs, on which port
#   deploy/cluster.sh start-api N    (re)start API instance N (1-3), e.g. after killing it
#   deploy/cluster.sh stop-api N     stop API instance N gracefully (SIGTERM)
#
# Settings (environment, with defaults):
#   CLUSTER_STATE_DIR=${TMPDIR:-/tmp}/tasktracker-cluster   data, logs, pids, generated passwords
#   CLUSTER_LB_PORT=18080  CLUSTER_STATS_PORT=18081  CLUSTER_API_PORTS="18091 18092 18093"
#   CLUSTER_PRIMARY_PORT=15432  CLUSTER_REPLICA_PORT=15433
#   CLUSTER_REDIS_URL=redis://127.0.0.1:6379   (shared rate-limit counters; empty: per instance)
#   CLUSTER_RATE_LIMIT_PER_MINUTE=100000       CLUSTER_PG_BIN=/usr/lib/postgresql/15/bin
#   CLUSTER_SKIP_BUILD=1                       start without `npm run build` first
#   CLUSTER_READY_TIMEOUT=40                   seconds each step may take to become ready
#
# Needs: PostgreSQL 15 server binaries (Debian: postgresql-15), haproxy, curl, and `npm install`
# done. PostgreSQL refuses to run as root: as root, its commands run as the `postgres` OS user.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY_DIR="$REPO_DIR/deploy"

STATE_DIR="${CLUSTER_STATE_DIR:-${TMPDIR:-/tmp}/tasktracker-cluster}"
PG_BIN="${CLUSTER_PG_BIN:-/usr/lib/postgresql/15/bin}"
PRIMARY_PORT="${CLUSTER_PRIMARY_PORT:-15432}"
REPLICA_PORT="${CLUSTER_REPLICA_PORT:-15433}"
LB_PORT="${CLUSTER_LB_PORT:-18080}"
STATS_PORT="${CLUSTER_STATS_PORT:-18081}"
read -r -a API_PORTS <<< "${CLUSTER_API_PORTS:-18091 18092 18093}"
REDIS_URL_FOR_APIS="${CLUSTER_REDIS_URL-redis://127.0.0.1:6379}"
RATE_LIMIT="${CLUSTER_RATE_LIMIT_PER_MINUTE:-100000}"
READY_TIMEOUT_S="${CLUSTER_READY_TIMEOUT:-40}"

PG_DIR="$STATE_DIR/pg"                # owned by the PostgreSQL OS user
PRIMARY_DATA="$PG_DIR/primary"
REPLICA_DATA="$PG_DIR/replica"
SOCKET_DIR="$PG_DIR/run"
RUN_DIR="$STATE_DIR/run"              # pid files
LOG_DIR="$STATE_DIR/logs"
ENV_FILE="$STATE_DIR/cluster.env"     # URLs with the generated passwords (mode 600)
NODE_BIN="$REPO_DIR/node_modules/.bin/node"   # Node 24 from npm; the system node is too old
REPLICATION_SLOT="tasktracker_replica1"

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

# -------------------------------------------------------------------------------- PostgreSQL

# postgresql.conf keeps initdb's defaults; ours come from two included files: the role's
# settings from the repository and this host's port and socket directory.
configure_server() { # data dir, role conf from deploy/postgresql, port
  local data="$1" role_conf="$2" port="$3" local_conf
  install_pg_file "$DEPLOY_DIR/postgresql/$role_conf" "$data/cluster.conf"
  install_pg_file "$DEPLOY_DIR/postgresql/pg_hba.conf" "$data/pg_hba.conf"
  local_conf="$(mktemp)"
  printf "port = %s\nunix_socket_directories = '%s'\n" "$port" "$SOCKET_DIR" > "$local_conf"
  install_pg_file "$local_conf" "$data/cluster-local.conf"
  rm -f "$local_conf"
  if ! grep -q "^include 'cluster.conf'" "$data/postgresql.conf"; then
    printf "\ninclude 'cluster.conf'\ninclude 'cluster-local.conf'\n" | as_pg tee -a "$data/postgresql.conf" >/dev/null
  fi
}

start_server() { # data dir, log name
  as_pg "$PG_BIN/pg_ctl" -D "$1" -l "$PG_DIR/$2.log" -w -t 60 start >/dev/null
}

start_primary() {
  log "primary: initdb, start on 127.0.0.1:$PRIMARY_PORT"
  as_pg "$PG_BIN/initdb" -D "$PRIMARY_DATA" --auth-local=peer --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --data-checksums > "$LOG_DIR/initdb.log"
  configure_server "$PRIMARY_DATA" primary.conf "$PRIMARY_PORT"
  start_server "$PRIMARY_DATA" primary

  # One role per purpose, each with only what it needs. The reader gets SELECT on the tables the
  # API reads from replicas once migrations created them (grant_reader below).
  psql_admin "$PRIMARY_PORT" <<SQL
create role tasktracker login password '$APP_PASSWORD';
create role tasktracker_reader login password '$READER_PASSWORD';
create role tasktracker_monitor login password '$MONITOR_PASSWORD' in role pg_monitor;
create role replicator login replication password '$REPLICATION_PASSWORD';
create database tasktracker owner tasktracker;
SQL
}

start_replica() {
  log "replica: pg_basebackup from the primary, start on 127.0.0.1:$REPLICA_PORT"
  # -R writes standby.signal and primary_conninfo; -C -S creates and uses a replication slot, so
  # the primary keeps the WAL the replica still needs. --checkpoint=fast: do not wait for the
  # next scheduled checkpoint.
  as_pg env PGPASSWORD="$REPLICATION_PASSWORD" "$PG_BIN/pg_basebackup" \
    -h 127.0.0.1 -p "$PRIMARY_PORT" -U replicator -D "$REPLICA_DATA" \
    -R -X stream -C -S "$REPLICATION_SLOT" --checkpoint=fast > "$LOG_DIR/basebackup.log" 2>&1
  configure_server "$REPLICA_DATA" replica.conf "$REPLICA_PORT"
  start_server "$REPLICA_DATA" replica

  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until [[ "$(psql_admin "$PRIMARY_PORT" -Atc "select count(*) from pg_stat_replication where state = 'streaming'")" == 1 ]]; do
    (( SECONDS < deadline )) || die "the replica is not streaming after ${READY_TIMEOUT_S}s (see $PG_DIR/replica.log)"
    sleep 0.2
  done
}

migrate() {
  log "migrations on the primary (npm run db:migrate)"
  (cd "$REPO_DIR" && env -i PATH="$PATH" HOME="${HOME:-/root}" DATABASE_URL="$PRIMARY_URL" \
    npm run --silent db:migrate) > "$LOG_DIR/migrate.log" 2>&1 \
    || { cat "$LOG_DIR/migrate.log" >&2; die "migrations failed"; }
}

# Task lists and stats read from the replica as tasktracker_reader: a role that can read the
# tasks table and nothing else, so a query sent to the replica by mistake fails loudly instead of
# reading sessions or password hashes. Granted on the primary, it reaches the replica by WAL.
grant_reader() {
  psql_admin "$PRIMARY_PORT" -d tasktracker <<SQL
grant usage on schema public to tasktracker_reader;
grant select on tasks to tasktracker_reader;
SQL
}

# ------------------------------------------------------------------------------------- API

# Only the variables listed here reach an instance (env -i): nothing leaks from the caller's
# shell, such as a DATABASE_URL pointing elsewhere. setsid: the instance outlives this script
# and a Ctrl-C in its terminal.
spawn_api() { # instance number, 1-based
  local n="$1" port pid_file
  [[ "$n" =~ ^[1-9]$ && "$n" -le "$(api_count)" ]] || die "no API instance $n"
  port="${API_PORTS[$((n - 1))]}"
  pid_file="$RUN_DIR/api-$n.pid"
  if pid_alive "$pid_file"; then
    log "api-$n already running (pid $(cat "$pid_file"))"
    return 0
  fi
  if port_in_use "$port"; then die "127.0.0.1:$port is already in use"; fi
  (
    cd "$REPO_DIR"
    env -i PATH="$PATH" HOME="${HOME:-/root}" \
      NODE_ENV=production HOST=127.0.0.1 PORT="$port" LOG_LEVEL=warn \
      DATABASE_URL="$PRIMARY_URL" DATABASE_REPLICA_URLS="$REPLICA_READER_URL" \
      ${REDIS_URL_FOR_APIS:+REDIS_URL="$REDIS_URL_FOR_APIS"} \
      TRUST_PROXY=true RATE_LIMIT_PER_MINUTE="$RATE_LIMIT" \
      setsid "$NODE_BIN" dist/src/main.js >> "$LOG_DIR/api-$n.log" 2>&1 < /dev/null &
    echo $! > "$pid_file"
  )
}

await_api() { # instance number
  local n="$1" port="${API_PORTS[$(($1 - 1))]}" deadline=$((SECONDS + READY_TIMEOUT_S))
  wait_for_api "$n" "$port" live "$deadline"
  wait_for_api "$n" "$port" ready "$deadline"
  log "api-$n ready on http://127.0.0.1:$port (pid $(cat "$RUN_DIR/api-$n.pid"))"
}

start_api() { spawn_api "$1"; await_api "$1"; }

wait_for_api() { # instance number, port, live|ready, deadline (in $SECONDS)
  until curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$2/health/$3" 2>/dev/null; do
    pid_alive "$RUN_DIR/api-$1.pid" || { tail -n 20 "$LOG_DIR/api-$1.log" >&2; die "api-$1 exited while starting"; }
    (( SECONDS < $4 )) || die "api-$1 not $3 after ${READY_TIMEOUT_S}s (see $LOG_DIR/api-$1.log)"
    sleep 0.2
  done
}

start_apis() {
  local n
  for n in $(seq 1 "$(api_count)"); do spawn_api "$n"; done
  for n in $(seq 1 "$(api_count)"); do await_api "$n"; done
}

# ---------------------------------------------------------------------------------- HAProxy

start_haproxy() {
  log "haproxy on http://127.0.0.1:$LB_PORT (status page http://127.0.0.1:$STATS_PORT/)"
  TT_STATE_DIR="$STATE_DIR" TT_LB_PORT="$LB_PORT" TT_STATS_PORT="$STATS_PORT" \
    TT_API1_PORT="${API_PORTS[0]}" TT_API2_PORT="${API_PORTS[1]}" TT_API3_PORT="${API_PORTS[2]}" \
    haproxy -c -q -f "$DEPLOY_DIR/haproxy.cfg"
  TT_STATE_DIR="$STATE_DIR" TT_LB_PORT="$LB_PORT" TT_STATS_PORT="$STATS_PORT" \
    TT_API1_PORT="${API_PORTS[0]}" TT_API2_PORT="${API_PORTS[1]}" TT_API3_PORT="${API_PORTS[2]}" \
    setsid haproxy -db -f "$DEPLOY_DIR/haproxy.cfg" >> "$LOG_DIR/haproxy.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/haproxy.pid"

  # Ready when every server passed its health checks (the CSV's 18th column is the status).
  local deadline=$((SECONDS + READY_TIMEOUT_S)) up
  while :; do
    up="$(curl -fsS --max-time 1 "http://127.0.0.1:$STATS_PORT/;csv" 2>/dev/null \
      | awk -F, '$1 == "api" && $2 ~ /^api[0-9]$/ && $18 == "UP"' | wc -l)" || up=0
    [[ "$up" == "$(api_count)" ]] && break
    pid_alive "$RUN_DIR/haproxy.pid" || { tail -n 20 "$LOG_DIR/haproxy.log" >&2; die "haproxy exited"; }
    (( SECONDS < deadline )) || die "haproxy: only $up of $(api_count) servers UP after ${READY_TIMEOUT_S}s"
    sleep 0.2
  done
}

# ------------------------------------------------------------------------------ stop/status

# SIGTERM (the API drains in-flight requests; HAProxy stops accepting), SIGKILL after a deadline.
stop_pid_file() { # pid file, name
  local pid_file="$1" name="$2" pid waited=0
  [[ -f "$pid_file" ]] || return 0
  pid="$(cat "$pid_file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && (( waited < 120 )); do sleep 0.1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop within 12 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pid_file"
}

stop_server() { # data dir
  if [[ -f "$1/postmaster.pid" ]]; then
    as_pg "$PG_BIN/pg_ctl" -D "$1" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
}

stop_all() {
  [[ -d "$STATE_DIR" ]] || return 0
  stop_pid_file "$RUN_DIR/haproxy.pid" haproxy
  local n
  for n in $(seq 1 "$(api_count)"); do stop_pid_file "$RUN_DIR/api-$n.pid" "api-$n" & done
  wait
  stop_server "$REPLICA_DATA"
  stop_server "$PRIMARY_DATA"
}

server_running() { [[ -f "$1/postmaster.pid" ]] && as_pg "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

cluster_running() {
  local n
  pid_alive "$RUN_DIR/haproxy.pid" || return 1
  for n in $(seq 1 "$(api_count)"); do pid_alive "$RUN_DIR/api-$n.pid" || return 1; done
  server_running "$PRIMARY_DATA" && server_running "$REPLICA_DATA"
}

cmd_status() {
  local n state
  state() { if "$@"; then echo running; else echo stopped; fi; }
  echo "state dir: $STATE_DIR"
  echo "primary    127.0.0.1:$PRIMARY_PORT  $(state server_running "$PRIMARY_DATA")"
  echo "replica    127.0.0.1:$REPLICA_PORT  $(state server_running "$REPLICA_DATA")"
  for n in $(seq 1 "$(api_count)"); do
    echo "api-$n      127.0.0.1:${API_PORTS[$((n - 1))]}  $(state pid_alive "$RUN_DIR/api-$n.pid")"
  done
  echo "haproxy    127.0.0.1:$LB_PORT  $(state pid_alive "$RUN_DIR/haproxy.pid")  (status: http://127.0.0.1:$STATS_PORT/)"
}

# ---------------------------------------------------------------------------------- secrets

url() { # user, password, port
  echo "postgres://$1:$2@127.0.0.1:$3/tasktracker"
}

write_env_file() {
  APP_PASSWORD="$(random_secret)"
  READER_PASSWORD="$(random_secret)"
  MONITOR_PASSWORD="$(random_secret)"
  REPLICATION_PASSWORD="$(random_secret)"
  local api_urls="" port
  for port in "${API_PORTS[@]}"; do api_urls+="${api_urls:+,}http://127.0.0.1:$port"; done
  (
    umask 077
    cat > "$ENV_FILE" <<EOF
# Written by deploy/cluster.sh start: connection details of this cluster (passwords generated).
APP_PASSWORD=$APP_PASSWORD
READER_PASSWORD=$READER_PASSWORD
MONITOR_PASSWORD=$MONITOR_PASSWORD
REPLICATION_PASSWORD=$REPLICATION_PASSWORD
PRIMARY_URL=$(url tasktracker "$APP_PASSWORD" "$PRIMARY_PORT")
REPLICA_READER_URL=$(url tasktracker_reader "$READER_PASSWORD" "$REPLICA_PORT")
MONITOR_PRIMARY_URL=$(url tasktracker_monitor "$MONITOR_PASSWORD" "$PRIMARY_PORT")
MONITOR_REPLICA_URL=$(url tasktracker_monitor "$MONITOR_PASSWORD" "$REPLICA_PORT")
LB_URL=http://127.0.0.1:$LB_PORT
STATS_URL=http://127.0.0.1:$STATS_PORT
API_URLS=$api_urls
# Instance N's process id is in $RUN_DIR/api-N.pid.
RUN_DIR=$RUN_DIR
EOF
  )
}

load_env_file() {
  [[ -f "$ENV_FILE" ]] || die "no cluster in $STATE_DIR (run: deploy/cluster.sh start)"
  # shellcheck disable=SC1090
  source "$ENV_FILE"
}

# ------------------------------------------------------------------------------------ start

on_start_failure() {
  local status=$?
  trap - EXIT INT TERM
  (( status != 0 )) || return 0
  log "start failed; last log lines:"
  local file
  for file in "$LOG_DIR"/*.log "$PG_DIR"/*.log; do
    [[ -s "$file" ]] || continue
    printf '\n== %s\n' "$file" >&2
    tail -n 15 "$file" >&2
  done
  log "stopping what was started (logs stay in $STATE_DIR)"
  stop_all
  exit "$status"
}

cmd_start() {
  if cluster_running; then
    log "already running"
    cmd_status
    return 0
  fi
  # Leftovers of a crashed or half-started run: stop them and start from empty databases.
  stop_all
  rm -rf "$PG_DIR" "$RUN_DIR" "$LOG_DIR" "$ENV_FILE"

  # Any failure from here on (set -e, die, Ctrl-C) stops what was started.
  trap on_start_failure EXIT
  trap 'exit 130' INT TERM
  check_prerequisites
  mkdir -p "$STATE_DIR" "$RUN_DIR" "$LOG_DIR"
  # The PostgreSQL OS user must reach its directories through the state directory.
  chmod 755 "$STATE_DIR"
  mkdir -p "$PG_DIR" "$SOCKET_DIR"
  chmod 700 "$PG_DIR"
  [[ "$(id -u)" == 0 ]] && chown -R "$PG_OS_USER:" "$PG_DIR"
  write_env_file
  load_env_file

  if [[ "${CLUSTER_SKIP_BUILD:-}" != 1 ]]; then
    log "npm run build"
    (cd "$REPO_DIR" && npm run --silent build) > "$LOG_DIR/build.log" 2>&1 \
      || { cat "$LOG_DIR/build.log" >&2; die "build failed"; }
  fi
  start_primary
  start_replica
  migrate
  grant_reader
  start_apis
  start_haproxy
  trap - EXIT INT TERM

  log "up: API through HAProxy at $LB_URL/api/v1 (logs and pids in $STATE_DIR; stop: $0 stop)"
  cmd_status
}

main() {
  local command="${1:-}"
  case "$command" in
    start) cmd_start ;;
    stop) stop_all; log "stopped (logs and data in $STATE_DIR)" ;;
    clean) stop_all; rm -rf "$STATE_DIR"; log "removed $STATE_DIR" ;;
    status) cmd_status ;;
    start-api) load_env_file; start_api "${2:?instance number}" ;;
    stop-api)
      [[ "${2:-}" =~ ^[1-9]$ ]] || die "usage: $0 stop-api N"
      stop_pid_file "$RUN_DIR/api-$2.pid" "api-$2"
      ;;
    *) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
