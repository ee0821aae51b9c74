# shellcheck shell=bash
# Part of deploy/ha-cluster.sh: the three PostgreSQL nodes under Patroni, and HAProxy before them.
# Sourced by it, never run: it uses the settings ha-cluster.sh defines.

node_dir() { echo "$PG_DIR/node$1"; }
node_config() { echo "$(node_dir "$1")/patroni.yml"; }
node_pg_port() { echo "${NODE_PG_PORTS[$(($1 - 1))]}"; }
node_rest_url() { echo "http://127.0.0.1:${NODE_REST_PORTS[$(($1 - 1))]}"; }

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

render_node_config() { # node number
  local n="$1"
  as_pg mkdir -p "$(node_dir "$n")"
  render_template "$DEPLOY_DIR/ha/patroni.yml" "$(node_config "$n")" \
    TT_NODE_NAME="node$n" TT_RESTAPI_PORT="${NODE_REST_PORTS[$((n - 1))]}" TT_ETCD_HOSTS="$(etcd_hosts)" \
    TT_PG_PORT="$(node_pg_port "$n")" TT_DATA_DIR="$(node_dir "$n")/data" TT_PG_BIN="$PG_BIN" \
    TT_NODE_DIR="$(node_dir "$n")" TT_SOCKET_DIR="$SOCKET_DIR" TT_SUPERUSER_PASSWORD="$SUPERUSER_PASSWORD" \
    TT_REPLICATION_PASSWORD="$REPLICATION_PASSWORD" TT_REWIND_PASSWORD="$REWIND_PASSWORD"
}

start_node() { # node number: Patroni, which starts (or bootstraps, or rejoins) its PostgreSQL
  local n="$1"
  pid_alive "$RUN_DIR/patroni-$n.pid" && return 0
  spawn_as_pg "$RUN_DIR/patroni-$n.pid" "$LOG_DIR/patroni-$n.log" patroni "$(node_config "$n")"
}

# The node's role as its Patroni REST API reports it: primary, replica, or nothing.
node_role() { # node number
  local url
  url="$(node_rest_url "$1")"
  if curl -fsS -o /dev/null --max-time 1 "$url/primary" 2>/dev/null; then echo primary
  elif curl -fsS -o /dev/null --max-time 1 "$url/replica" 2>/dev/null; then echo replica
  fi
}

await_node_role() { # node number, role
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until [[ "$(node_role "$1")" == "$2" ]]; do
    pid_alive "$RUN_DIR/patroni-$1.pid" || { tail -n 30 "$LOG_DIR/patroni-$1.log" >&2; die "patroni node$1 exited"; }
    (( SECONDS < deadline )) || { tail -n 30 "$LOG_DIR/patroni-$1.log" >&2; die "node$1 is not $2 after ${READY_TIMEOUT_S}s"; }
    sleep 0.3
  done
}

# Some node is the synchronous standby (Patroni's /cluster lists it as "sync_standby").
await_sync_standby() {
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until curl -fsS --max-time 1 "$(node_rest_url 1)/cluster" 2>/dev/null | grep -q '"sync_standby"'; do
    (( SECONDS < deadline )) || die "no synchronous standby after ${READY_TIMEOUT_S}s"
    sleep 0.3
  done
}

start_nodes() {
  log "patroni: node1 bootstraps the cluster (PostgreSQL on 127.0.0.1:${NODE_PG_PORTS[0]})"
  local n
  for n in 1 2 3; do render_node_config "$n"; done
  start_node 1
  await_node_role 1 primary
  log "patroni: node2 and node3 clone it and follow (127.0.0.1:${NODE_PG_PORTS[1]}, ${NODE_PG_PORTS[2]})"
  start_node 2
  start_node 3
  await_node_role 2 replica
  await_node_role 3 replica
  await_sync_standby
}

# SIGKILL to the node's Patroni and to its PostgreSQL (postmaster and backends: its process group),
# as when the machine dies. Nothing renews the leader key any more: etcd expires it after ttl.
kill_node() { # node number
  local n="$1" postmaster=""
  if [[ -f "$RUN_DIR/patroni-$n.pid" ]]; then
    kill -KILL -- "-$(cat "$RUN_DIR/patroni-$n.pid")" 2>/dev/null || log "node$n: Patroni was not running"
  fi
  [[ -f "$(node_dir "$n")/data/postmaster.pid" ]] && postmaster="$(head -n 1 "$(node_dir "$n")/data/postmaster.pid")"
  # Patroni starts the postmaster in a session of its own: its group holds every backend.
  if [[ "$postmaster" =~ ^[0-9]+$ ]]; then
    kill -KILL -- "-$postmaster" 2>/dev/null || log "node$n: PostgreSQL was not running"
  fi
  rm -f "$RUN_DIR/patroni-$n.pid"
}

# SIGTERM: Patroni stops its PostgreSQL and releases the leader key (a clean handover).
stop_node() { # node number
  stop_pid_group "$RUN_DIR/patroni-$1.pid" "patroni node$1"
}

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

leader_node() { # the number of the node that is primary, or nothing
  local n
  for n in 1 2 3; do [[ "$(node_role "$n")" == primary ]] && { echo "$n"; return 0; }; done
  return 0
}

patronictl_run() { patronictl -c "$(node_config 1)" "$@"; }

# The application's roles and database, on the primary through its Unix socket. Created once;
# they reach the standbys by WAL. statement_timeout is a role setting: PgBouncer in transaction
# mode cannot carry the API's startup parameter (deploy/ha/pgbouncer.ini).
create_app_roles() {
  local leader
  leader="$(leader_node)"
  [[ -n "$leader" ]] || die "no primary to create the roles on"
  psql_admin "$(node_pg_port "$leader")" <<SQL
create role tasktracker login password '$APP_PASSWORD';
create role tasktracker_reader login password '$READER_PASSWORD';
create role tasktracker_monitor login password '$MONITOR_PASSWORD' in role pg_monitor;
alter role tasktracker set statement_timeout = '15s';
alter role tasktracker_reader set statement_timeout = '15s';
create database tasktracker owner tasktracker;
SQL
}

start_postgres_haproxy() {
  log "haproxy for PostgreSQL: primary on 127.0.0.1:$DB_PRIMARY_PORT, replicas on 127.0.0.1:$DB_REPLICA_PORT"
  local -a settings=(TT_STATE_DIR="$STATE_DIR" TT_DB_PRIMARY_PORT="$DB_PRIMARY_PORT" TT_DB_REPLICA_PORT="$DB_REPLICA_PORT"
    TT_DB_STATS_PORT="$DB_STATS_PORT")
  local n
  for n in 1 2 3; do
    settings+=("TT_NODE${n}_PG_PORT=$(node_pg_port "$n")" "TT_NODE${n}_RESTAPI_PORT=${NODE_REST_PORTS[$((n - 1))]}")
  done
  env "${settings[@]}" haproxy -c -q -f "$DEPLOY_DIR/ha/haproxy-postgres.cfg"
  env "${settings[@]}" setsid haproxy -db -f "$DEPLOY_DIR/ha/haproxy-postgres.cfg" >> "$LOG_DIR/haproxy-postgres.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/haproxy-postgres.pid"
  local deadline=$((SECONDS + READY_TIMEOUT_S)) csv
  while :; do
    csv="$(curl -fsS --max-time 1 "http://127.0.0.1:$DB_STATS_PORT/;csv" 2>/dev/null)" || csv=""
    [[ "$(awk -F, '$1 == "postgres_primary" && $2 ~ /^node/ && $18 == "UP"' <<< "$csv" | wc -l)" == 1 &&
       "$(awk -F, '$1 == "postgres_replicas" && $2 ~ /^node/ && $18 == "UP"' <<< "$csv" | wc -l)" == 2 ]] && break
    pid_alive "$RUN_DIR/haproxy-postgres.pid" || { tail -n 20 "$LOG_DIR/haproxy-postgres.log" >&2; die "haproxy (postgres) exited"; }
    (( SECONDS < deadline )) || die "haproxy (postgres): primary and two replicas not UP after ${READY_TIMEOUT_S}s"
    sleep 0.3
  done
}
