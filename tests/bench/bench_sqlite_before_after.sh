#!/usr/bin/env bash
# The SQLite numbers of README (durable commands, rebuild, GET by id) for two builds of the
# engine, interleaved, so a change of the storage layer can be held to "within 5%":
#
#   tests/bench/bench_sqlite_before_after.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR
#
# Each of ROUNDS rounds runs every part once per build, in the order before, after on odd
# rounds and after, before on even ones (so a drift of the machine's load during the run
# weighs on both alike):
#   commands  bench_commands.sh, --durability full, one wrk run (and the SQLite baseline that
#             script runs right before it, with the build's own bench_sqlite_baseline);
#   rebuild   bench_rebuild, one run, on one log of EVENTS events written once (LOG) and
#             shared by both builds;
#   get       bench_readside.sh's GET by id: one wrk run against a fresh engine, with
#             GET /health on the same server as the floor.
# Prints per-run numbers, medians and after/before ratios as Markdown, and the load average
# before each run. Both builds must be configured Release builds of the same tree layout;
# the scripts build what is missing (gatehouse, the bench executables) in each.
#
# Environment (all optional): ROUNDS=5, PARTS="commands rebuild get", EVENTS=1000000,
# WRK_DURATION=10s, BENCH_TMPDIR (default $TMPDIR or /tmp).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ $# -eq 2 ]] || { echo "usage: $0 BEFORE_BUILD_DIR AFTER_BUILD_DIR" >&2; exit 2; }
declare -A build=([before]=$(cd "$1" && pwd) [after]=$(cd "$2" && pwd))
rounds=${ROUNDS:-5}
parts=${PARTS:-commands rebuild get}
events=${EVENTS:-1000000}
has() { [[ " $parts " == *" $1 "* ]]; }
for b in before after; do
    [[ -f ${build[$b]}/build.ninja ]] || { echo "no configured build in ${build[$b]}" >&2; exit 2; }
done

tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/gatehouse-before-after.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
results=$tmp/results.tsv   # part  build  round  value  floor  load
: >"$results"
load() { cut -d' ' -f1 /proc/loadavg; }
num() { tr -d ',' <<<"$1"; }

run_commands() {   # build round
    local out=$tmp/commands-$1-$2.txt l
    l=$(load)
    GATEHOUSE_BUILD_DIR=${build[$1]} MODES=full RUNS=1 WRK_DURATION=${WRK_DURATION:-10s} \
        "$here/bench_commands.sh" >"$out" 2>"$out.log" || { echo "bench_commands.sh failed ($1, round $2):" >&2; tail "$out.log" >&2; exit 1; }
    local row rate base
    row=$(grep '^| durable' "$out")
    rate=$(num "$(cut -d'|' -f3 <<<"$row" | xargs)")
    base=$(num "$(cut -d'|' -f8 <<<"$row" | cut -d';' -f1 | xargs)")
    printf 'commands\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$rate" "$base" "$l" >>"$results"
    echo "round $2 $1: durable commands $rate/s (SQLite baseline $base inserts/s; load $l)" >&2
}

run_rebuild() {
    local out=$tmp/rebuild-$1-$2.txt l
    l=$(load)
    mkdir -p "$tmp/rebuild"
    EVENTS=$events RUNS=1 LOG=$tmp/log/events.db "${build[$1]}/tests/bench/bench_rebuild" "$tmp/rebuild" >"$out" 2>"$out.log" \
        || { echo "bench_rebuild failed ($1, round $2):" >&2; tail "$out.log" >&2; exit 1; }
    local rate scan
    rate=$(sed -n 's/^| upsert projection rebuild[^|]*| \([0-9]*\) |$/\1/p' "$out")
    scan=$(sed -n 's/^| raw scan[^|]*| \([0-9]*\) |$/\1/p' "$out")
    printf 'rebuild\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$rate" "$scan" "$l" >>"$results"
    echo "round $2 $1: rebuild $rate events/s (raw scan $scan; load $l)" >&2
}

run_get() {
    local out=$tmp/get-$1-$2.txt l
    l=$(load)
    GATEHOUSE_BUILD_DIR=${build[$1]} PARTS=get RUNS=1 WRK_DURATION=${WRK_DURATION:-10s} NINJA_JOBS=1 \
        "$here/bench_readside.sh" >"$out" 2>"$out.log" || { echo "bench_readside.sh failed ($1, round $2):" >&2; tail "$out.log" >&2; exit 1; }
    local rate health
    rate=$(grep '^| GET /api/products' "$out" | cut -d'|' -f3 | xargs)
    health=$(grep '^| GET /health' "$out" | cut -d'|' -f3 | xargs)
    printf 'get\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$rate" "$health" "$l" >>"$results"
    echo "round $2 $1: GET by id $rate/s (GET /health $health/s; load $l)" >&2
}

if has rebuild; then
    mkdir -p "$tmp/log"
    echo "writing the shared log of $events events (before build)" >&2
    EVENTS=$events RUNS=1 LOG=$tmp/log/events.db "${build[before]}/tests/bench/bench_rebuild" "$tmp" >/dev/null 2>"$tmp/log/generate.log" \
        || { cat "$tmp/log/generate.log" >&2; exit 1; }
fi

for round in $(seq 1 "$rounds"); do
    if ((round % 2)); then order="before after"; else order="after before"; fi
    for part in commands rebuild get; do
        has "$part" || continue
        for b in $order; do "run_$part" "$b" "$round"; done
    done
done

echo "## SQLite before/after ($(nproc) CPUs; $rounds interleaved rounds)"
echo
echo "- before: ${build[before]}"
echo "- after: ${build[after]}"
echo
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
names = {"commands": ("durable commands/s (`--durability full`)", "SQLite baseline inserts/s"),
         "rebuild": ("rebuild events/s", "raw scan events/s"),
         "get": ("GET /api/products/{id} requests/s", "GET /health requests/s")}
print("| measurement | before (median) | after (median) | after / before | before runs | after runs | load at each run (before; after) |")
print("|---|---:|---:|---:|---|---|---|")
for part in ("commands", "rebuild", "get"):
    for col, label in ((3, names[part][0]), (4, names[part][1])):
        runs = {b: [float(r[col]) for r in rows if r[0] == part and r[1] == b and r[col]] for b in ("before", "after")}
        loads = {b: [r[5] for r in rows if r[0] == part and r[1] == b] for b in ("before", "after")}
        if not runs["before"] or not runs["after"]:
            continue
        mb, ma = statistics.median(runs["before"]), statistics.median(runs["after"])
        fmt = lambda xs: ", ".join(f"{x:,.0f}" for x in xs)
        print(f"| {label} | {mb:,.0f} | {ma:,.0f} | {ma / mb:.3f} | {fmt(runs['before'])} | {fmt(runs['after'])} "
              f"| {' '.join(loads['before'])}; {' '.join(loads['after'])} |")
PY
