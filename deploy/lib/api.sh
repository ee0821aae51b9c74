# shellcheck shell=bash
# Part of deploy/cluster.sh and deploy/ha-cluster.sh: the API instances.
# Sourced by them, never run: it uses the settings they define.

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
      DATABASE_URL="$PRIMARY_URL" DATABASE_REPLICA_URLS="$REPLICA_READER_URL" ${LISTEN_URL:+DATABASE_LISTEN_URL="$LISTEN_URL"} \
      ${REDIS_URL_FOR_APIS:+REDIS_URL="$REDIS_URL_FOR_APIS"} \
      TRUST_PROXY=127.0.0.1 RATE_LIMIT_PER_MINUTE="$RATE_LIMIT" REGISTER_LIMIT_PER_HOUR="$REGISTER_LIMIT" MAX_TASKS_PER_USER="$MAX_TASKS" \
      setsid "$NODE_BIN" $(production_node_flags) dist/src/main.js >> "$LOG_DIR/api-$n.log" 2>&1 < /dev/null &
    echo $! > "$pid_file"
  )
}

# The V8 flags of `npm run start:prod` (heap limits, docs/PERFORMANCE.md "Memory"), from package.json.
production_node_flags() {
  "$NODE_BIN" -p "require('$REPO_DIR/package.json').scripts['start:prod'].split(/\\s+/).filter((w) => w.startsWith('--')).join(' ')"
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

# The start-api, stop-api and restart-api commands of deploy/cluster.sh and deploy/ha-cluster.sh.
api_command() { # command, instance number
  [[ "${2:-}" =~ ^[1-9]$ ]] || die "usage: $0 $1 N"
  case "$1" in
    start-api) load_env_file; start_api "$2" ;;
    stop-api) stop_pid_file "$RUN_DIR/api-$2.pid" "api-$2" ;;
    restart-api)
      load_env_file
      stop_pid_file "$RUN_DIR/api-$2.pid" "api-$2"
      start_api "$2"
      ;;
  esac
}
