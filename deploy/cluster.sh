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
#   deploy/cluster.sh stop-api N     stop API instance N gracefully (SIGTERM: readiness 503, serves
#                                    SHUTDOWN_DRAIN_MS=5000 more so HAProxy takes it out, then exits)
#   deploy/cluster.sh restart-api N  stop-api N, then start-api N: one step of a rolling restart
#
# Settings (environment, with defaults):
#   CLUSTER_STATE_DIR=${TMPDIR:-/tmp}/tasktracker-cluster   data, logs, pids, generated passwords
#   CLUSTER_LB_PORT=18080  CLUSTER_STATS_PORT=18081  CLUSTER_API_PORTS="18091 18092 18093"
#   CLUSTER_PRIMARY_PORT=15432  CLUSTER_REPLICA_PORT=15433
#   CLUSTER_REDIS_URL=redis://127.0.0.1:6379   (shared rate-limit counters; empty: per instance)
#   CLUSTER_RATE_LIMIT_PER_MINUTE=100000       CLUSTER_PG_BIN=/usr/lib/postgresql/15/bin
#   CLUSTER_REGISTER_LIMIT_PER_HOUR=20         (registrations per client address per hour)
#   CLUSTER_MAX_TASKS_PER_USER=10000           (the task quota; the write-load test raises it)
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
REGISTER_LIMIT="${CLUSTER_REGISTER_LIMIT_PER_HOUR:-20}"
MAX_TASKS="${CLUSTER_MAX_TASKS_PER_USER:-10000}"
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

# The pieces, one file each: functions only (common.sh also settles who runs PostgreSQL).
for part in common postgres api haproxy lifecycle; do
  # shellcheck source=/dev/null
  source "$DEPLOY_DIR/lib/$part.sh"
done

# ------------------------------------------------------------------------------------ start

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
  prepare_state_dir
  write_env_file
  load_env_file
  build_api
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
    start-api | stop-api | restart-api) api_command "$command" "${2:-}" ;;
    *) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
