# shellcheck shell=bash
# Part of deploy/cluster.sh: PostgreSQL: the primary, the streaming replica, migrations and the reader role.
# Sourced by it, never run: it uses the settings cluster.sh defines.

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

migrate() { # URL of the primary (default: PRIMARY_URL)
  log "migrations on the primary (npm run db:migrate)"
  (cd "$REPO_DIR" && env -i PATH="$PATH" HOME="${HOME:-/root}" DATABASE_URL="${1:-$PRIMARY_URL}" \
    npm run --silent db:migrate) > "$LOG_DIR/migrate.log" 2>&1 \
    || { cat "$LOG_DIR/migrate.log" >&2; die "migrations failed"; }
}

# Task lists and stats read from the replica as tasktracker_reader: a role that can read the
# tasks table and the public columns of users (the people on a task: id, username, name) and
# nothing else, so a query sent to the replica by mistake fails loudly instead of reading
# sessions or password hashes. Granted on the primary, it reaches the replica by WAL.
grant_reader() { # port of the primary (default: PRIMARY_PORT)
  psql_admin "${1:-$PRIMARY_PORT}" -d tasktracker <<SQL
grant usage on schema public to tasktracker_reader;
grant select on tasks to tasktracker_reader;
grant select (id, username, name) on users to tasktracker_reader;
SQL
}
