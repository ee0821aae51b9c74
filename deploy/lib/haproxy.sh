# shellcheck shell=bash
# Part of deploy/cluster.sh and deploy/ha-cluster.sh: HAProxy in front of the instances, and (HA
# layout only) in front of the PostgreSQL nodes.
# Sourced by them, never run: it uses the settings they define.

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
