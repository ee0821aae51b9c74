# shellcheck shell=bash
# Part of deploy/ha-cluster.sh: PgBouncer, the API instances' one way to the database.
# Sourced by it, never run: it uses the settings ha-cluster.sh defines.

start_pgbouncer() {
  log "pgbouncer (transaction mode) on 127.0.0.1:$PGBOUNCER_PORT"
  local dir="$PG_DIR/pgbouncer" userlist
  as_pg mkdir -p "$dir"
  render_template "$DEPLOY_DIR/ha/pgbouncer.ini" "$dir/pgbouncer.ini" \
    TT_DB_PRIMARY_PORT="$DB_PRIMARY_PORT" TT_DB_REPLICA_PORT="$DB_REPLICA_PORT" \
    TT_PGBOUNCER_PORT="$PGBOUNCER_PORT" TT_PGBOUNCER_DIR="$dir"
  # The passwords PgBouncer checks clients against and logs in to the servers with.
  userlist="$(mktemp)"
  printf '"tasktracker" "%s"\n"tasktracker_reader" "%s"\n' "$APP_PASSWORD" "$READER_PASSWORD" > "$userlist"
  install_pg_file "$userlist" "$dir/userlist.txt"
  rm -f "$userlist"
  # PgBouncer refuses to run as root.
  spawn_as_pg "$RUN_DIR/pgbouncer.pid" "$LOG_DIR/pgbouncer.out" pgbouncer "$dir/pgbouncer.ini"
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until port_in_use "$PGBOUNCER_PORT"; do
    pid_alive "$RUN_DIR/pgbouncer.pid" || { tail -n 20 "$dir/pgbouncer.log" >&2; die "pgbouncer exited"; }
    (( SECONDS < deadline )) || die "pgbouncer not listening after ${READY_TIMEOUT_S}s"
    sleep 0.2
  done
}
