#!/usr/bin/env bash
# How long a worker added to a caught-up group takes to catch up itself,
# against an aggregator that replays the stream from the start: the figure
# behind "a new worker loads the group's freshest snapshot" in
# docs/scaling.md. Run from the repository root:
#
#   tools/worker-join/join.sh setup 10000      # a server, a day of 10,000 people, a first worker caught up
#   farm-bench -n 3 --timeout 1800 --vs 'tools/worker-join/join.sh alone' -- tools/worker-join/join.sh worker
#   tools/worker-join/join.sh teardown
#
# worker: an aggregator started alike (it joins the group as slot 1);
# alone: one with a consumer and snapshot of its own, new each run (it
# replays the stream). Each starts, waits until it has applied the whole
# stream, then stops (SIGTERM, which saves a final snapshot) and exits.
set -euo pipefail
dir=${WORKER_JOIN_DIR:-${TMPDIR:-/tmp}/exhaust-worker-join}
port=14333
nats=nats://127.0.0.1:$port

# applied prints the aggregator's exhaust_applied_stream_sequence (0 while
# it does not answer).
applied() {
  # awk prints it as an integer: Prometheus writes 1402855 as 1.402855e+06.
  curl -s "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '$1 == "exhaust_applied_stream_sequence" { printf "%d\n", $2; found = 1 } END { if (!found) print 0 }'
}

# run_until_caught_up starts exhaust aggregate with the given flags on http
# port $1, waits until it has applied the whole stream, and stops it.
run_until_caught_up() {
  local http=$1; shift
  "$dir/exhaust" aggregate --nats "$nats" --http "127.0.0.1:$http" "$@" >"$dir/agg-$http.log" 2>&1 &
  local pid=$! total
  total=$(cat "$dir/total")
  until [ "$(applied "$http")" -ge "$total" ]; do
    kill -0 "$pid" || { cat "$dir/agg-$http.log" >&2; exit 1; }
    sleep 0.1
  done
  kill -TERM "$pid"
  wait "$pid"
}

case ${1:-} in
setup)
  persons=${2:-10000}
  mkdir -p "$dir"
  go build -o "$dir/exhaust" ./cmd/exhaust
  go build -o "$dir/nats-server" github.com/nats-io/nats-server/v2
  "$dir/nats-server" -js -sd "$dir/store" -a 127.0.0.1 -p "$port" >"$dir/nats.log" 2>&1 &
  echo $! >"$dir/nats.pid"
  sleep 1
  "$dir/exhaust" produce --nats "$nats" --persons "$persons" --days 1 --fast >"$dir/produce.log" 2>&1
  # The first worker (slot 0) stays up, saving a snapshot every 5 s.
  "$dir/exhaust" aggregate --nats "$nats" --http 127.0.0.1:14390 --snapshot-interval 5s >"$dir/first.log" 2>&1 &
  echo $! >"$dir/first.pid"
  sleep 2
  last=-1
  while :; do # caught up: nothing pending, and the sequence stops moving
    cur=$(applied 14390)
    pending=$(curl -s http://127.0.0.1:14390/metrics | awk '$1 == "exhaust_consumer_pending_messages" { printf "%d\n", $2 }')
    [ "$cur" -gt 0 ] && [ "$cur" = "$last" ] && [ "${pending:-1}" = 0 ] && break
    last=$cur
    sleep 5
  done
  echo "$cur" >"$dir/total"
  sleep 12 # a snapshot covering it
  echo "stream of $cur events; the first worker is caught up (slot 0)"
  ;;
worker) run_until_caught_up 14391 ;;
alone) run_until_caught_up 14392 --consumer "alone-$$" ;;
teardown)
  kill "$(cat "$dir/first.pid")" "$(cat "$dir/nats.pid")" 2>/dev/null || true
  sleep 3
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 setup [persons] | worker | alone | teardown" >&2
  exit 2
  ;;
esac
