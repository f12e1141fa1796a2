#!/usr/bin/env bash
# Starts a collector against the running stack, measures it in three shapes, and stops it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
port="${CDP_COLLECTOR_PORT:-8088}"
ops_port="${CDP_BENCH_OPS_PORT:-9191}"
log="${CDP_HOME:-$root/.cdp}/logs/bench-collector.log"
mkdir -p "$(dirname "$log")"

CDP_OPS_PORT="$ops_port" CDP_LOG_LEVEL=warn bin/cdp run collector >"$log" 2>&1 &
collector=$!
trap 'kill -TERM $collector 2>/dev/null; wait $collector 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$ops_port/healthz" >/dev/null 2>&1 && break
  kill -0 "$collector" 2>/dev/null || { echo "bench: collector exited; see $log" >&2; exit 1; }
  sleep 0.5
done
# The ops port can answer before the collector's own port, and its first Kafka send waits for
# metadata: measure only once one event has been acknowledged.
for _ in $(seq 1 60); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -u bench-write-key: -H 'content-type: application/json' \
    -d '{"type":"track","userId":"bench-warm-up","event":"Warm Up"}' "http://127.0.0.1:$port/v1/track" || true)
  [ "$code" = 200 ] && break
  kill -0 "$collector" 2>/dev/null || { echo "bench: collector exited; see $log" >&2; exit 1; }
  sleep 0.5
done
[ "$code" = 200 ] || { echo "bench: the collector never acknowledged a warm-up event (last status $code); see $log" >&2; exit 1; }

# Tenant `bench` keeps load-test events out of the demo tenant.
run() { node dist/bench/collector-bench.js --url "http://127.0.0.1:$port" --write-key bench-write-key "$@"; }
echo "bench: single events to /v1/track"
run --batch-size 1 --concurrency 32 --requests "${CDP_BENCH_REQUESTS:-3000}"
echo "bench: batches of 20 to /v1/batch"
run --batch-size 20 --concurrency 16 --requests "${CDP_BENCH_REQUESTS:-1000}"
echo "bench: batches of 100 to /v1/batch"
run --batch-size 100 --concurrency 8 --requests "${CDP_BENCH_REQUESTS:-300}"
