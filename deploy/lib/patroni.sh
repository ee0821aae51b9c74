# shellcheck shell=bash
# Part of deploy/ha-cluster.sh: the three PostgreSQL nodes under Patroni.
# Sourced by it, never run: it uses the settings ha-cluster.sh defines.

node_dir() { echo "$PG_DIR/node$1"; }
node_config() { echo "$(node_dir "$1")/patroni.yml"; }
node_pg_port() { echo "${NODE_PG_PORTS[$(($1 - 1))]}"; }
node_rest_url() { echo "http://127.0.0.1:${NODE_REST_PORTS[$(($1 - 1))]}"; }

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
