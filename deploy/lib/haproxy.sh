# shellcheck shell=bash
# Part of deploy/cluster.sh: HAProxy in front of the instances.
# Sourced by it, never run: it uses the settings cluster.sh defines.

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
