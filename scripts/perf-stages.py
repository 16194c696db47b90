#!/usr/bin/env python3
"""Groups a `perf record --call-graph dwarf` profile of picket by stage.

Reads `perf script -F comm,pid,tid,ip,sym --no-inline` output on stdin. Each
sample goes to the innermost picket module on its stack (parse, PI, rules,
correlation, ...), so time spent in a library call (memchr, hashing,
BTreeMap) counts for the stage that made it; samples whose innermost frame
is the allocator (malloc, free, realloc and their internals) are also
counted in the `malloc/free` column of that stage. The main thread (pid ==
tid) is replay's collector; the others are the reader and the workers. Used by
scripts/profile-replay.sh; see docs/PERFORMANCE.md.
"""

import re
import sys
from collections import Counter

# Checked in order on each frame, innermost first.
STAGES = [
    ("correlation (collector + observe)", re.compile(r"picket::detect::correlation::")),
    ("PI detectors", re.compile(r"picket::detect::pi::")),
    ("Sigma rules", re.compile(r"picket::detect::rule::")),
    ("enrich", re.compile(r"picket::enrich::")),
    ("parse (combined, url, timestamp)", re.compile(r"picket::parse::")),
    ("alert output (sink, suppress)", re.compile(r"picket::(sink|alert)::")),
    ("read + frame (source, chunking)", re.compile(r"picket::(source|frame)::")),
    ("pipeline glue (worker, collector)", re.compile(r"picket::(pipeline|detect)::")),
]
ALLOC = re.compile(
    r"^(malloc|free|cfree|realloc|calloc|_int_malloc|_int_free|_int_realloc|"
    r"malloc_consolidate|unlink_chunk.*|__libc_(malloc|free|realloc)|"
    r"__GI___libc_(malloc|free|realloc)|tcache_.*|sysmalloc|alloc::raw_vec::.*)"
)


def samples(lines):
    """Yields (is_main_thread, frames innermost first) per sample."""
    main_thread, stack = False, []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if stack:
                yield main_thread, stack
            stack = []
        elif line.startswith(("\t", " ")):
            parts = line.strip().split(None, 1)
            stack.append(parts[1] if len(parts) > 1 else "?")
        else:
            # The header: `comm pid/tid`.
            ids = re.search(r"(\d+)/(\d+)", line)
            main_thread = bool(ids) and ids.group(1) == ids.group(2)
    if stack:
        yield main_thread, stack


def main():
    total = main = 0
    by_stage = Counter()
    alloc_by_stage = Counter()
    for on_main, stack in samples(sys.stdin):
        total += 1
        main += on_main
        stage = "other (startup, kernel, std)"
        for frame in stack:
            hit = next((name for name, rx in STAGES if rx.search(frame)), None)
            if hit:
                stage = hit
                break
        by_stage[stage] += 1
        if ALLOC.match(stack[0]):
            alloc_by_stage[stage] += 1
    if total == 0:
        sys.exit("no samples on stdin")
    print(
        f"{total} samples; main thread (collector) {100 * main / total:.1f}%, "
        f"other threads (reader, workers) {100 * (total - main) / total:.1f}%"
    )
    print("| stage | share of CPU samples | of which in malloc/free |")
    print("|---|---:|---:|")
    for stage, n in by_stage.most_common():
        print(f"| {stage} | {100 * n / total:.1f}% | {100 * alloc_by_stage[stage] / total:.1f}% |")
    print(f"| all stages | 100% | {100 * sum(alloc_by_stage.values()) / total:.1f}% |")


if __name__ == "__main__":
    main()
