# shellcheck shell=bash
# Part of deploy/cluster.sh (stop, status, the generated connection details) and of
# deploy/ha-cluster.sh (the start steps both share: state directory, build, failure report).
# Sourced by them, never run: it uses the settings they define.

# SIGTERM (the API drains: SHUTDOWN_DRAIN_MS 5 s, then at most 10 s for requests in flight;
# HAProxy stops accepting), SIGKILL after a deadline past both.
stop_pid_file() { # pid file, name
  local pid_file="$1" name="$2" pid waited=0
  [[ -f "$pid_file" ]] || return 0
  pid="$(cat "$pid_file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && (( waited < 200 )); do sleep 0.1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop within 20 s: SIGKILL"
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

# The EXIT trap of `start`: on failure, the last lines of every log, then whatever stops the
# script's cluster (STOP_EVERYTHING: stop_all here, ha_stop_all in deploy/ha-cluster.sh).
on_start_failure() {
  local status=$?
  trap - EXIT INT TERM
  (( status != 0 )) || return 0
  log "start failed; last log lines:"
  local file
  for file in "$LOG_DIR"/*.log "$PG_DIR"/*.log "$PG_DIR"/*/*.log; do
    [[ -s "$file" ]] || continue
    printf '\n== %s\n' "$file" >&2
    tail -n 15 "$file" >&2
  done
  log "stopping what was started (logs stay in $STATE_DIR)"
  "${STOP_EVERYTHING:-stop_all}"
  exit "$status"
}

# A fresh state directory for `start`. The PostgreSQL OS user must reach its directories (PG_DIR:
# data, sockets, its configs) through the state directory, and nobody else may enter them.
prepare_state_dir() {
  mkdir -p "$STATE_DIR" "$RUN_DIR" "$LOG_DIR"
  chmod 755 "$STATE_DIR"
  mkdir -p "$PG_DIR" "$SOCKET_DIR"
  chmod 700 "$PG_DIR"
  if [[ "$(id -u)" == 0 ]]; then chown -R "$PG_OS_USER:" "$PG_DIR"; fi
}

# `npm run build` into dist/, which the instances run, unless CLUSTER_SKIP_BUILD=1.
build_api() {
  [[ "${CLUSTER_SKIP_BUILD:-}" == 1 ]] && return 0
  log "npm run build"
  (cd "$REPO_DIR" && npm run --silent build) > "$LOG_DIR/build.log" 2>&1 \
    || { cat "$LOG_DIR/build.log" >&2; die "build failed"; }
}
