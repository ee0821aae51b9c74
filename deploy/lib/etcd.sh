# shellcheck shell=bash
# Part of deploy/ha-cluster.sh: the three etcd members Patroni keeps its leader key in.
# Sourced by it, never run: it uses the settings ha-cluster.sh defines.

etcd_client_url() { echo "http://127.0.0.1:${ETCD_CLIENT_PORTS[$(($1 - 1))]}"; }
etcd_peer_url() { echo "http://127.0.0.1:${ETCD_PEER_PORTS[$(($1 - 1))]}"; }

etcd_initial_cluster() {
  local n members=""
  for n in 1 2 3; do members+="${members:+,}etcd$n=$(etcd_peer_url "$n")"; done
  echo "$members"
}

# "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3": Patroni's etcd3.hosts.
etcd_hosts() {
  local port hosts=""
  for port in "${ETCD_CLIENT_PORTS[@]}"; do hosts+="${hosts:+,}127.0.0.1:$port"; done
  echo "$hosts"
}

# On real hosts each member is its own machine, with https client and peer URLs
# (--cert-file, --peer-cert-file, --client-cert-auth) and its data on a fast local disk.
# A restarted member keeps its data directory and rejoins the same cluster.
start_etcd() { # member number
  local n="$1" state=new
  pid_alive "$RUN_DIR/etcd-$n.pid" && return 0
  [[ -d "$ETCD_DIR/etcd$n" ]] && state=existing
  mkdir -p "$ETCD_DIR"
  setsid etcd --name "etcd$n" --data-dir "$ETCD_DIR/etcd$n" \
    --listen-client-urls "$(etcd_client_url "$n")" --advertise-client-urls "$(etcd_client_url "$n")" \
    --listen-peer-urls "$(etcd_peer_url "$n")" --initial-advertise-peer-urls "$(etcd_peer_url "$n")" \
    --initial-cluster "$(etcd_initial_cluster)" --initial-cluster-state "$state" \
    --initial-cluster-token "tasktracker-$CLUSTER_ID" \
    --heartbeat-interval 100 --election-timeout 1000 \
    --logger zap --log-level warn >> "$LOG_DIR/etcd-$n.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/etcd-$n.pid"
}

etcd_healthy() { # member number
  ETCDCTL_API=3 etcdctl --endpoints "$(etcd_client_url "$1")" --command-timeout=1s endpoint health >/dev/null 2>&1
}

start_etcd_cluster() {
  log "etcd: three members on 127.0.0.1:${ETCD_CLIENT_PORTS[*]}"
  local n deadline=$((SECONDS + READY_TIMEOUT_S))
  for n in 1 2 3; do start_etcd "$n"; done
  for n in 1 2 3; do
    until etcd_healthy "$n"; do
      pid_alive "$RUN_DIR/etcd-$n.pid" || { tail -n 20 "$LOG_DIR/etcd-$n.log" >&2; die "etcd$n exited"; }
      (( SECONDS < deadline )) || die "etcd$n not healthy after ${READY_TIMEOUT_S}s"
      sleep 0.2
    done
  done
}

kill_etcd() { # member number
  local pid_file="$RUN_DIR/etcd-$1.pid"
  if [[ -f "$pid_file" ]]; then
    kill -KILL "$(cat "$pid_file")" 2>/dev/null || log "etcd$1 was not running"
  fi
  rm -f "$pid_file"
}
