#!/usr/bin/env bash
# The live-channel benchmark of BENCHMARKS.md: starts a fresh release server on a
# fresh database, runs cyberdrill-loadgen against it, prints the JSON report and
# stops the server. Loopback only; bounded in count and time.
#
#   benches/live-load.sh CONNECTIONS INJECTS RATE [DATABASE_URL]
#   benches/live-load.sh 10000 30 1          # one inject per second to 10 000 (SQLite)
#   benches/live-load.sh 10000 600 10        # ten per second for 60 s
#   benches/live-load.sh 10000 30 1 postgres://postgres@127.0.0.1:5432/cdbench
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:?connections} injects=${2:?injects} rate=${3:?rate}
work=$(mktemp -d /tmp/cyberdrill-bench.XXXXXX)
db=${4:-"sqlite://$work/bench.db?mode=rwc"}
port=${BENCH_PORT:-18080}
target=${CARGO_TARGET_DIR:-target}

cargo build --release --quiet --bin cyberdrill --bin cyberdrill-loadgen
ulimit -n 20000
"$target/release/cyberdrill" serve --demo --addr "127.0.0.1:$port" \
  --database-url "$db" --max-sockets-per-user 20000 >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
"$target/release/cyberdrill-loadgen" --url "http://127.0.0.1:$port" --username btc \
  --password demo-cyberdrill-2026 --connections "$connections" --injects "$injects" \
  --rate "$rate" --server-pid "$server" --json
