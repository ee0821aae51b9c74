#!/usr/bin/env bash
# TaskTracker with a highly available database tier on ONE machine, loopback only: three etcd
# members, three PostgreSQL 15 nodes under Patroni (synchronous replication, pg_rewind), HAProxy
# routing to the primary and to the replicas by asking Patroni, PgBouncer in transaction mode,
# three API instances and HAProxy in front of them. A rehearsal of the multi-host layout
# (docs/SCALING.md, "High availability") and what `npm run test:failover` runs against.
#
#   deploy/ha-cluster.sh start            build, start everything, print what runs where (a running
#                                         cluster is left alone; leftovers are cleared first)
#   deploy/ha-cluster.sh stop             stop everything; logs and data stay in the state directory
#   deploy/ha-cluster.sh clean            stop, then delete the state directory
#   deploy/ha-cluster.sh status           what runs, and `patronictl list`
#   deploy/ha-cluster.sh leader           the number of the node that is primary now
#   deploy/ha-cluster.sh kill-node N      SIGKILL node N's Patroni and PostgreSQL (a dead machine)
#   deploy/ha-cluster.sh start-node N     start node N's Patroni again: a former primary rewinds
#                                         and rejoins as a replica by itself
#   deploy/ha-cluster.sh switchover [N]   planned handover to node N (default: the sync standby)
#   deploy/ha-cluster.sh kill-etcd N      SIGKILL etcd member N;  start-etcd N starts it again
#   deploy/ha-cluster.sh start-api N | stop-api N | restart-api N    as in deploy/cluster.sh
#
# Settings (environment, with defaults):
#   CLUSTER_STATE_DIR=${TMPDIR:-/tmp}/tasktracker-ha      data, logs, pids, generated passwords
#   CLUSTER_ETCD_CLIENT_PORTS="12379 12381 12383"   CLUSTER_ETCD_PEER_PORTS="12380 12382 12384"
#   CLUSTER_NODE_PG_PORTS="15441 15442 15443"       CLUSTER_NODE_REST_PORTS="18008 18009 18010"
#   CLUSTER_DB_PRIMARY_PORT=15500  CLUSTER_DB_REPLICA_PORT=15501  CLUSTER_DB_STATS_PORT=15502
#   CLUSTER_PGBOUNCER_PORT=16432
#   CLUSTER_LB_PORT=18080  CLUSTER_STATS_PORT=18081  CLUSTER_API_PORTS="18091 18092 18093"
#   CLUSTER_REDIS_URL, CLUSTER_RATE_LIMIT_PER_MINUTE, CLUSTER_REGISTER_LIMIT_PER_HOUR,
#   CLUSTER_MAX_TASKS_PER_USER, CLUSTER_PG_BIN, CLUSTER_SKIP_BUILD, CLUSTER_READY_TIMEOUT:
#                                                   as in deploy/cluster.sh
#
# Needs: PostgreSQL 15 server binaries, patroni, etcd-server (+ etcd-client), pgbouncer, haproxy
# (all Debian packages), curl, envsubst (gettext-base), and `npm install` done. PostgreSQL and
# PgBouncer refuse to run as root: as root, they run as the `postgres` OS user.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY_DIR="$REPO_DIR/deploy"

STATE_DIR="${CLUSTER_STATE_DIR:-${TMPDIR:-/tmp}/tasktracker-ha}"
PG_BIN="${CLUSTER_PG_BIN:-/usr/lib/postgresql/15/bin}"
read -r -a ETCD_CLIENT_PORTS <<< "${CLUSTER_ETCD_CLIENT_PORTS:-12379 12381 12383}"
read -r -a ETCD_PEER_PORTS <<< "${CLUSTER_ETCD_PEER_PORTS:-12380 12382 12384}"
read -r -a NODE_PG_PORTS <<< "${CLUSTER_NODE_PG_PORTS:-15441 15442 15443}"
read -r -a NODE_REST_PORTS <<< "${CLUSTER_NODE_REST_PORTS:-18008 18009 18010}"
DB_PRIMARY_PORT="${CLUSTER_DB_PRIMARY_PORT:-15500}"
DB_REPLICA_PORT="${CLUSTER_DB_REPLICA_PORT:-15501}"
DB_STATS_PORT="${CLUSTER_DB_STATS_PORT:-15502}"
PGBOUNCER_PORT="${CLUSTER_PGBOUNCER_PORT:-16432}"
LB_PORT="${CLUSTER_LB_PORT:-18080}"
STATS_PORT="${CLUSTER_STATS_PORT:-18081}"
read -r -a API_PORTS <<< "${CLUSTER_API_PORTS:-18091 18092 18093}"
REDIS_URL_FOR_APIS="${CLUSTER_REDIS_URL-redis://127.0.0.1:6379}"
RATE_LIMIT="${CLUSTER_RATE_LIMIT_PER_MINUTE:-100000}"
REGISTER_LIMIT="${CLUSTER_REGISTER_LIMIT_PER_HOUR:-20}"
MAX_TASKS="${CLUSTER_MAX_TASKS_PER_USER:-10000}"
READY_TIMEOUT_S="${CLUSTER_READY_TIMEOUT:-60}"

PG_DIR="$STATE_DIR/pg"                # owned by the PostgreSQL OS user: nodes, PgBouncer
SOCKET_DIR="$PG_DIR/run"
ETCD_DIR="$STATE_DIR/etcd"
RUN_DIR="$STATE_DIR/run"
LOG_DIR="$STATE_DIR/logs"
ENV_FILE="$STATE_DIR/cluster.env"
NODE_BIN="$REPO_DIR/node_modules/.bin/node"
STOP_EVERYTHING=ha_stop_all           # what a failed start stops (lib/lifecycle.sh)

for part in common postgres api haproxy lifecycle etcd patroni pgbouncer; do
  # shellcheck source=/dev/null
  source "$DEPLOY_DIR/lib/$part.sh"
done

check_ha_prerequisites() {
  [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_rewind" ]] || die "PostgreSQL 15 binaries not found in $PG_BIN (Debian: postgresql-15)"
  local tool
  for tool in patroni patronictl etcd etcdctl pgbouncer haproxy curl envsubst; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install patroni etcd-server etcd-client pgbouncer haproxy curl gettext-base)"
  done
  [[ -x "$NODE_BIN" ]] || die "$NODE_BIN missing: run npm install first"
  [[ "$(api_count)" == 3 && "${#NODE_PG_PORTS[@]}" == 3 && "${#ETCD_CLIENT_PORTS[@]}" == 3 ]] \
    || die "three API, node and etcd ports each"
  if [[ "$(id -u)" == 0 ]]; then
    id "$PG_OS_USER" >/dev/null 2>&1 || die "OS user $PG_OS_USER missing (PostgreSQL will not run as root)"
  fi
  local port
  for port in "${ETCD_CLIENT_PORTS[@]}" "${ETCD_PEER_PORTS[@]}" "${NODE_PG_PORTS[@]}" "${NODE_REST_PORTS[@]}" \
    "$DB_PRIMARY_PORT" "$DB_REPLICA_PORT" "$DB_STATS_PORT" "$PGBOUNCER_PORT" "$LB_PORT" "$STATS_PORT" "${API_PORTS[@]}"; do
    [[ "$port" =~ ^[0-9]+$ ]] || die "not a port: $port"
    if port_in_use "$port"; then die "127.0.0.1:$port is already in use (set CLUSTER_*_PORT)"; fi
  done
}

ha_write_env_file() {
  local app reader monitor api_urls="" port
  app="$(random_secret)"; reader="$(random_secret)"; monitor="$(random_secret)"
  for port in "${API_PORTS[@]}"; do api_urls+="${api_urls:+,}http://127.0.0.1:$port"; done
  (
    umask 077
    cat > "$ENV_FILE" <<ENV
# Written by deploy/ha-cluster.sh start: connection details of this cluster (passwords generated).
CLUSTER_ID=$(random_secret)
APP_PASSWORD=$app
READER_PASSWORD=$reader
MONITOR_PASSWORD=$monitor
SUPERUSER_PASSWORD=$(random_secret)
REPLICATION_PASSWORD=$(random_secret)
REWIND_PASSWORD=$(random_secret)
# What the API instances use: PgBouncer for queries, HAProxy's primary port for the LISTEN.
PRIMARY_URL=postgres://tasktracker:$app@127.0.0.1:$PGBOUNCER_PORT/tasktracker
REPLICA_READER_URL=postgres://tasktracker_reader:$reader@127.0.0.1:$PGBOUNCER_PORT/tasktracker_replica
LISTEN_URL=postgres://tasktracker:$app@127.0.0.1:$DB_PRIMARY_PORT/tasktracker
# HAProxy's ports straight to the primary and to a replica (migrations, checks).
DIRECT_PRIMARY_URL=postgres://tasktracker:$app@127.0.0.1:$DB_PRIMARY_PORT/tasktracker
DIRECT_REPLICA_URL=postgres://tasktracker_reader:$reader@127.0.0.1:$DB_REPLICA_PORT/tasktracker
MONITOR_PRIMARY_URL=postgres://tasktracker_monitor:$monitor@127.0.0.1:$DB_PRIMARY_PORT/tasktracker
NODE_URLS=$(for port in "${NODE_PG_PORTS[@]}"; do printf '%s' "postgres://tasktracker_monitor:$monitor@127.0.0.1:$port/tasktracker,"; done | sed 's/,$//')
NODE_REST_URLS=$(for port in "${NODE_REST_PORTS[@]}"; do printf '%s' "http://127.0.0.1:$port,"; done | sed 's/,$//')
DB_STATS_URL=http://127.0.0.1:$DB_STATS_PORT
LB_URL=http://127.0.0.1:$LB_PORT
STATS_URL=http://127.0.0.1:$STATS_PORT
API_URLS=$api_urls
RUN_DIR=$RUN_DIR
ENV
  )
}

ha_stop_all() {
  [[ -d "$STATE_DIR" ]] || return 0
  stop_pid_file "$RUN_DIR/haproxy.pid" haproxy
  local n leader
  for n in $(seq 1 "$(api_count)"); do stop_pid_file "$RUN_DIR/api-$n.pid" "api-$n" & done
  wait
  stop_pid_group "$RUN_DIR/pgbouncer.pid" pgbouncer
  stop_pid_file "$RUN_DIR/haproxy-postgres.pid" "haproxy (postgres)"
  # Standbys first, so that none is promoted while the primary shuts down.
  leader="$(leader_node)"
  for n in 1 2 3; do [[ "$n" == "$leader" ]] || stop_node "$n" & done
  wait
  [[ -n "$leader" ]] && stop_node "$leader"
  for n in 1 2 3; do
    if [[ -f "$(node_dir "$n")/data/postmaster.pid" ]]; then
      as_pg "$PG_BIN/pg_ctl" -D "$(node_dir "$n")/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
  done
  for n in 1 2 3; do stop_pid_file "$RUN_DIR/etcd-$n.pid" "etcd$n"; done
}

ha_status() {
  local n state
  state() { if "$@"; then echo running; else echo stopped; fi; }
  echo "state dir: $STATE_DIR"
  for n in 1 2 3; do echo "etcd$n      127.0.0.1:${ETCD_CLIENT_PORTS[$((n - 1))]}  $(state pid_alive "$RUN_DIR/etcd-$n.pid")"; done
  for n in 1 2 3; do
    echo "node$n      127.0.0.1:$(node_pg_port "$n")  $(state pid_alive "$RUN_DIR/patroni-$n.pid")  $(node_role "$n")"
  done
  echo "haproxy-pg 127.0.0.1:$DB_PRIMARY_PORT (primary) :$DB_REPLICA_PORT (replicas)  $(state pid_alive "$RUN_DIR/haproxy-postgres.pid")"
  echo "pgbouncer  127.0.0.1:$PGBOUNCER_PORT  $(state pid_alive "$RUN_DIR/pgbouncer.pid")"
  for n in $(seq 1 "$(api_count)"); do
    echo "api-$n      127.0.0.1:${API_PORTS[$((n - 1))]}  $(state pid_alive "$RUN_DIR/api-$n.pid")"
  done
  echo "haproxy    127.0.0.1:$LB_PORT  $(state pid_alive "$RUN_DIR/haproxy.pid")  (status: http://127.0.0.1:$STATS_PORT/)"
}

ha_running() {
  local n
  for n in 1 2 3; do pid_alive "$RUN_DIR/etcd-$n.pid" && pid_alive "$RUN_DIR/patroni-$n.pid" || return 1; done
  for n in $(seq 1 "$(api_count)"); do pid_alive "$RUN_DIR/api-$n.pid" || return 1; done
  pid_alive "$RUN_DIR/pgbouncer.pid" && pid_alive "$RUN_DIR/haproxy-postgres.pid" && pid_alive "$RUN_DIR/haproxy.pid"
}

cmd_start() {
  if [[ -f "$ENV_FILE" ]] && ha_running; then
    log "already running"
    ha_status
    return 0
  fi
  ha_stop_all
  rm -rf "$PG_DIR" "$ETCD_DIR" "$RUN_DIR" "$LOG_DIR" "$ENV_FILE"

  trap on_start_failure EXIT
  trap 'exit 130' INT TERM
  check_ha_prerequisites
  prepare_state_dir
  ha_write_env_file
  load_env_file
  build_api
  start_etcd_cluster
  start_nodes
  create_app_roles
  start_postgres_haproxy
  migrate "$DIRECT_PRIMARY_URL"
  grant_reader "$(node_pg_port "$(leader_node)")"
  start_pgbouncer
  start_apis
  start_haproxy
  trap - EXIT INT TERM

  log "up: API through HAProxy at $LB_URL/api/v1 (logs and pids in $STATE_DIR; stop: $0 stop)"
  ha_status
}

node_number() { [[ "${1:-}" =~ ^[1-3]$ ]] || die "usage: $0 $2 N (1-3)"; echo "$1"; }

main() {
  local command="${1:-}"
  case "$command" in
    start) cmd_start ;;
    stop) ha_stop_all; log "stopped (logs and data in $STATE_DIR)" ;;
    clean) ha_stop_all; rm -rf "$STATE_DIR"; log "removed $STATE_DIR" ;;
    status) ha_status; load_env_file; patronictl_run list 2>/dev/null || true ;;
    leader) leader_node ;;
    kill-node) kill_node "$(node_number "${2:-}" kill-node)" ;;
    start-node) load_env_file; start_node "$(node_number "${2:-}" start-node)" ;;
    stop-node) stop_node "$(node_number "${2:-}" stop-node)" ;;
    switchover)
      load_env_file
      local leader candidate=()
      leader="$(leader_node)"
      [[ -n "$leader" ]] || die "no primary to switch over from"
      [[ -n "${2:-}" ]] && candidate=(--candidate "node$(node_number "$2" switchover)")
      patronictl_run switchover --leader "node$leader" "${candidate[@]}" --force
      ;;
    kill-etcd) kill_etcd "$(node_number "${2:-}" kill-etcd)" ;;
    start-etcd) load_env_file; start_etcd "$(node_number "${2:-}" start-etcd)" ;;
    start-api | stop-api | restart-api) api_command "$command" "${2:-}" ;;
    *) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
