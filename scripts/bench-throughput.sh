#!/bin/sh
# The issue 8 throughput harness on a fresh machine: checks for the tools the
# comparison rows need, runs `cargo bench --bench throughput`, and keeps the
# report (with its markdown tables for docs/PERFORMANCE.md) under
# target/bench-data/.
#
#   scripts/bench-throughput.sh                       # 1 GiB, every row
#   PICKET_BENCH_SIZE=200MiB scripts/bench-throughput.sh
#   PICKET_BENCH_ROWS=replay,rg PICKET_BENCH_RUNS=3 scripts/bench-throughput.sh
#
# PICKET_BENCH_ROWS groups: replay, rg, goaccess, inproc, gz (default: all).
# Rows whose tool is missing print a SKIPPED line instead of failing.
set -eu
cd "$(dirname "$0")/.."

: "${PICKET_BENCH_SIZE:=1GiB}"
export PICKET_BENCH_SIZE

for tool in rg goaccess gzip; do
    command -v "$tool" >/dev/null 2>&1 ||
        echo "note: $tool not found; its rows will be SKIPPED (Debian/Ubuntu: apt-get install ripgrep goaccess gzip)" >&2
done

mkdir -p target/bench-data
out="target/bench-data/throughput-$(date -u +%Y%m%dT%H%M%SZ).txt"
echo "uptime before: $(uptime)" >&2
# Progress goes to stderr; the tables and verdicts go to stdout and the file.
cargo bench --bench throughput | tee "$out"
echo "report kept in $out" >&2
