#!/usr/bin/env bash
# Who pays for the snapshots in a group of three workers: the figure behind
# "one worker saves the group's snapshots" in docs/scaling.md. Run from the
# repository root:
#
#   tools/worker-snapshots/three.sh 10000
#
# It builds exhaust and nats-server, starts a server, produces a day of the
# given number of people (1,000 by default), starts three aggregators with
# their defaults (they join as slots 0, 1 and 2), waits until each has
# applied the whole stream, prints how many snapshots each serialised and
# the seconds it spent serialising them (its applier waits meanwhile), and
# stops everything. Set EXHAUST_BIN to an exhaust binary to measure that
# build instead (another commit's, say).
set -euo pipefail
persons=${1:-1000}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
port=14555
nats=nats://127.0.0.1:$port
bin=${EXHAUST_BIN:-}
if [ -z "$bin" ]; then
  go build -o "$dir/exhaust" ./cmd/exhaust
  bin=$dir/exhaust
fi
go build -o "$dir/nats-server" github.com/nats-io/nats-server/v2
"$dir/nats-server" -js -sd "$dir/store" -a 127.0.0.1 -p "$port" >"$dir/nats.log" 2>&1 &
sleep 1
"$bin" produce --nats "$nats" --persons "$persons" --days 1 --fast >"$dir/produce.log" 2>&1

# metric prints one of the aggregator's unlabelled or labelled series as an
# integer or a decimal (0 while it does not answer).
metric() {
  curl -s "http://127.0.0.1:$1/metrics" 2>/dev/null | awk -v name="$2" '$1 == name { print $2; found = 1 } END { if (!found) print 0 }'
}

ports=(14591 14592 14593)
pids=()
for p in "${ports[@]}"; do
  "$bin" aggregate --nats "$nats" --http "127.0.0.1:$p" >"$dir/aggregate-$p.log" 2>&1 &
  pids+=($!)
  sleep 0.3 # slots in the order started
done
for p in "${ports[@]}"; do # caught up: something applied, nothing pending
  until [ "$(metric "$p" exhaust_applied_stream_sequence | awk '{ printf "%d", $1 }')" -gt 0 ] &&
    [ "$(metric "$p" exhaust_consumer_pending_messages | awk '{ printf "%d", $1 }')" = 0 ]; do
    sleep 0.5
  done
done
for p in "${ports[@]}"; do
  printf 'worker on :%s (%s): applied %d, snapshots %d, %.3f s serialising them\n' "$p" \
    "$(grep -o 'as exhaust-aggregator[-0-9]*' "$dir/aggregate-$p.log" | cut -d' ' -f2)" \
    "$(metric "$p" exhaust_applied_stream_sequence)" \
    "$(metric "$p" 'exhaust_snapshot_seconds_count{phase="encode"}')" \
    "$(metric "$p" 'exhaust_snapshot_seconds_sum{phase="encode"}')"
done
kill -TERM "${pids[@]}"
wait "${pids[@]}" || true
