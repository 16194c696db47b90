#!/bin/sh
# Where replay time goes: a perf profile of `picket replay --threads 1` (the
# default rules and PI) on a generated combined log, as self time by
# function and as CPU share by picket stage (scripts/perf-stages.py).
# Needs `perf` (Debian: apt-get install linux-perf), python3, and
# kernel.perf_event_paranoid <= 1 (or root).
#
#   scripts/profile-replay.sh            # 50MiB
#   PICKET_PROFILE_SIZE=200MiB scripts/profile-replay.sh
set -eu
cd "$(dirname "$0")/.."

size="${PICKET_PROFILE_SIZE:-50MiB}"
dir=target/bench-data
mkdir -p "$dir"
# The release profile keeps line-table debug info (debug = 1), so symbols
# and inlined frames resolve.
cargo build --release --bin picket
log="$dir/profile-seed42-$size.log"
[ -f "$log" ] || ./target/release/picket generate --seed 42 --size "$size" --out "$log"
cat "$log" >/dev/null # warm the page cache

# DWARF call graphs, so that each sample can be charged to the picket stage
# that made it; about 30 MB of perf data per 50 MiB of log.
perf record -F 2000 --call-graph dwarf,16384 -o "$dir/perf.data" -- \
    ./target/release/picket replay -q --threads 1 --alerts /dev/null "$log"

echo "== self time by function, top 25 =="
perf report -i "$dir/perf.data" --no-children --sort symbol --percent-limit 0.5 \
    --stdio -g none 2>/dev/null | grep '%' | head -25 | cut -c1-150
echo "== by stage (innermost picket module on the stack) =="
perf script -i "$dir/perf.data" -F comm,pid,tid,ip,sym --no-inline 2>/dev/null |
    python3 scripts/perf-stages.py
echo "perf data: $dir/perf.data; flame graph: perf script -i $dir/perf.data | inferno-collapse-perf | inferno-flamegraph > flame.svg" >&2
