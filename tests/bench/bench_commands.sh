#!/usr/bin/env bash
# Command throughput of the engine against the one-commit-per-command SQLite baseline.
#
#   tests/bench/bench_commands.sh
#
# 1. builds bench_sqlite_baseline (and gatehouse if missing) in $GATEHOUSE_BUILD_DIR (default ./build);
# 2. for --durability full, then normal: starts `gatehouse --headless` in a fresh data directory on
#    free loopback ports, waits for /health, warms up, then $RUNS times: runs the SQLite baseline
#    (WAL, synchronous=FULL, one insert per transaction, in the same file system) and right after
#    it wrk with post_products.lua, and checks that the log grew by exactly the accepted commands
#    (no lost commands); then stops the engine with SIGTERM. Baseline and engine runs alternate
#    because this disk's fsync latency drifts a lot when other jobs use it;
# 3. runs the baseline with synchronous=NORMAL $RUNS times as a reference for the normal mode;
# 4. prints a Markdown table with the medians, the ratios and the targets, and the CPU each
#    accepted command cost (engine threads and wrk).
#
# Environment (all optional):
#   GATEHOUSE_BUILD_DIR  build directory (default ./build; Release expected)
#   BENCH_TMPDIR         where the temporary data directories go (default $TMPDIR or /tmp)
#   RUNS=3  WRK_THREADS=2  WRK_CONNECTIONS=64  WRK_DURATION=10s  WARMUP_DURATION=3s
#   BASELINE_SECONDS=5   NINJA_JOBS=1  MODES="full normal"
# Exit status: 0 when everything ran and no command was lost (targets missed do not fail it),
# 1 on a lost command or a non-2xx answer, 2 when the benchmark could not run.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
LUA_SCRIPT="$SCRIPT_DIR/post_products.lua"

RUNS=${RUNS:-3}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
WRK_DURATION=${WRK_DURATION:-10s}
WARMUP_DURATION=${WARMUP_DURATION:-3s}
BASELINE_SECONDS=${BASELINE_SECONDS:-5}
NINJA_JOBS=${NINJA_JOBS:-1}
MODES=${MODES:-full normal}
TARGET_RATE=15000
TARGET_RATIO=3

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

# ---------------------------------------------------------------------------------------------
# Build directory and binaries

BUILD_DIR=${GATEHOUSE_BUILD_DIR:-build}
if [[ ! -d $BUILD_DIR && -z ${GATEHOUSE_BUILD_DIR:-} && -d $SOURCE_DIR/build ]]; then
    BUILD_DIR=$SOURCE_DIR/build
fi
[[ -f $BUILD_DIR/build.ninja ]] || die "no configured Ninja build in '$BUILD_DIR' (set GATEHOUSE_BUILD_DIR; configure with: cmake -S $SOURCE_DIR -B $BUILD_DIR -G Ninja -DCMAKE_BUILD_TYPE=Release)"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
[[ $BUILD_TYPE == Release ]] || log "warning: $BUILD_DIR is a '${BUILD_TYPE:-unknown}' build; numbers are only meaningful for Release"

GATEHOUSE=$BUILD_DIR/app/gatehouse
BASELINE=$BUILD_DIR/tests/bench/bench_sqlite_baseline
if [[ ! -x $GATEHOUSE ]]; then
    log "building gatehouse in $BUILD_DIR (-j$NINJA_JOBS)"
    ninja -C "$BUILD_DIR" -j"$NINJA_JOBS" gatehouse >&2 || die "building gatehouse failed"
fi
log "building bench_sqlite_baseline in $BUILD_DIR (-j$NINJA_JOBS)"
ninja -C "$BUILD_DIR" -j"$NINJA_JOBS" bench_sqlite_baseline >&2 \
    || die "building bench_sqlite_baseline failed (is GATEHOUSE_TESTS on in $BUILD_DIR?)"

# ---------------------------------------------------------------------------------------------
# Tools

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null 2>&1; then
    log "wrk not found; installing it with apt-get"
    as_root apt-get install -y wrk >&2 \
        || { as_root apt-get update >&2 && as_root apt-get install -y wrk >&2; } \
        || die "wrk is required (apt-get install wrk)"
fi
for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

# ---------------------------------------------------------------------------------------------
# Temporary directory, engine process, cleanup

TMP_BASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
WORK=$(mktemp -d "$TMP_BASE/gatehouse-bench.XXXXXX")
ENGINE_PID=""
WRK_PID=""

stop_engine() {
    [[ -n $ENGINE_PID ]] || return 0
    local pid=$ENGINE_PID rc=0
    ENGINE_PID=""
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 300); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "engine $pid did not stop within 30 s of SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || rc=$?
    return "$rc"
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n $WRK_PID ]] && kill -0 "$WRK_PID" 2>/dev/null; then
        kill -TERM "$WRK_PID" 2>/dev/null || true
        wait "$WRK_PID" 2>/dev/null || true
    fi
    stop_engine || true
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# GET on the admin port; prints the body, fails unless 200.
admin_get() {
    curl -fsS --max-time 5 "http://127.0.0.1:$ADMIN_PORT$1"
}

# Fails the benchmark with the engine's exit status and log when it is gone.
require_engine() {
    [[ -n $ENGINE_PID ]] && kill -0 "$ENGINE_PID" 2>/dev/null && return 0
    local rc=0
    [[ -n $ENGINE_PID ]] && { wait "$ENGINE_PID" 2>/dev/null || rc=$?; }
    ENGINE_PID=""
    log "the engine is gone (exit status $rc$( ((rc > 128)) && echo ", signal $((rc - 128))")) during: $1; its log:"
    tail -n 30 "$ENGINE_LOG" | sed 's/^/    /' >&2
    die "the engine stopped unexpectedly"
}

head_position() {
    local body
    body=$(admin_get /health) || return 1
    python3 -c 'import json, sys; print(json.loads(sys.argv[1])["position"])' "$body"
}

# The head position once the engine has stopped appending (requests in flight when wrk stopped
# are still committed after it exits).
settled_position() {
    local previous=-1 current stable=0
    for _ in $(seq 1 100); do
        current=$(head_position) || return 1
        if [[ $current == "$previous" ]]; then
            stable=$((stable + 1))
            [[ $stable -ge 3 ]] && break
        else
            stable=0
        fi
        previous=$current
        sleep 0.2
    done
    echo "$current"
}

# Starts the engine with the given durability in a fresh data directory; sets ENGINE_PID,
# GATEWAY_PORT, ADMIN_PORT, ENGINE_LOG.
start_engine() {
    local durability=$1 attempt
    for attempt in 1 2 3; do
        GATEWAY_PORT=$(free_port)
        ADMIN_PORT=$(free_port)
        [[ $GATEWAY_PORT != "$ADMIN_PORT" ]] || continue
        local data="$WORK/data-$durability-$attempt"
        ENGINE_LOG="$WORK/engine-$durability-$attempt.log"
        "$GATEHOUSE" --headless --no-mqtt --data-dir "$data" \
            --listen "127.0.0.1:$GATEWAY_PORT" --admin-listen "127.0.0.1:$ADMIN_PORT" \
            --durability "$durability" >"$ENGINE_LOG" 2>&1 &
        ENGINE_PID=$!
        for _ in $(seq 1 300); do
            if ! kill -0 "$ENGINE_PID" 2>/dev/null; then
                break
            fi
            if grep -q "gateway listening on http://127.0.0.1:$GATEWAY_PORT" "$ENGINE_LOG" \
                && curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$ADMIN_PORT/health" 2>/dev/null; then
                log "engine $ENGINE_PID ready (--durability $durability, gateway 127.0.0.1:$GATEWAY_PORT, admin 127.0.0.1:$ADMIN_PORT, data $data)"
                return 0
            fi
            sleep 0.1
        done
        log "engine did not become ready (attempt $attempt); its log:"
        sed 's/^/    /' "$ENGINE_LOG" >&2 || true
        stop_engine || true
    done
    die "cannot start the engine"
}

# Runs wrk (not in a subshell, so the EXIT trap can stop it); keeps its output in $2 and its
# WRK_RESULT line, as key=value words, in $2.result.
run_wrk() {
    local duration=$1 out=$2
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$duration" --timeout 10s -s "$LUA_SCRIPT" \
        "http://127.0.0.1:$GATEWAY_PORT" >"$out" 2>&1 &
    WRK_PID=$!
    local rc=0
    wait "$WRK_PID" || rc=$?
    WRK_PID=""
    if [[ $rc -ne 0 ]] || ! grep -q '^WRK_RESULT ' "$out"; then
        log "wrk failed (exit $rc):"
        sed 's/^/    /' "$out" >&2
        die "wrk failed"
    fi
    sed -n 's/^WRK_RESULT //p' "$out" >"$out.result"
}

# CPU seconds used so far by the engine's threads, grouped by thread name:
# "net=S writer=S other=S" (net: the gatehouse-net threads; writer: gatehouse-store-writer).
engine_cpu() {
    python3 - "$ENGINE_PID" <<'PY'
import os, sys
pid, hz = sys.argv[1], os.sysconf("SC_CLK_TCK")
cpu = {"net": 0, "writer": 0, "other": 0}
for tid in os.listdir(f"/proc/{pid}/task"):
    try:
        stat = open(f"/proc/{pid}/task/{tid}/stat").read()
    except OSError:
        continue
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])      # utime + stime
    key = "net" if name.startswith("gatehouse-net") else "writer" if name.startswith("gatehouse-store") else "other"
    cpu[key] += ticks
print(" ".join(f"{k}={v / hz:.2f}" for k, v in cpu.items()))
PY
}

# CPU seconds (user + system) of this shell's waited-for children in a `times` output file.
# `times` itself must run in this shell (not in a $(...) subshell, which has its own children).
children_cpu() {
    python3 -c 'import re, sys
line = open(sys.argv[1]).read().splitlines()[-1]
print("%.2f" % sum(int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", line)))' "$1"
}

field() {   # field NAME "k=v k=v ..."
    local word
    for word in $2; do
        [[ ${word%%=*} == "$1" ]] && { echo "${word#*=}"; return 0; }
    done
    echo ""
}

# Checks that /events really ends at the head: the event at `head` exists, none after it.
check_log_end() {
    local head=$1
    curl -fsS --max-time 10 "http://127.0.0.1:$GATEWAY_PORT/events?from=$head&limit=2" | python3 -c '
import json, sys
head = int(sys.argv[1])
events = json.load(sys.stdin)
positions = [int(e["position"]) for e in events]
sys.exit(0 if positions == ([head] if head > 0 else []) else 1)' "$head"
}

# One baseline run of BASELINE_SECONDS; prints its inserts/s.
run_baseline() {
    local sync=$1 out="$WORK/baseline-$1.txt"
    "$BASELINE" "$WORK/baseline" --seconds "$BASELINE_SECONDS" --runs 1 --synchronous "$sync" >>"$out" \
        || die "bench_sqlite_baseline failed"
    sed -n 's/^BASELINE .*median_inserts_per_sec=\([0-9.]*\).*/\1/p' "$out" | tail -n 1
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
CHECK_FAILED=0

bench_mode() {
    local mode=$1 run before after delta r
    start_engine "$mode"
    log "[$mode] warm-up: wrk $WARMUP_DURATION"
    run_wrk "$WARMUP_DURATION" "$WORK/wrk-$mode-warmup.txt"
    require_engine "the warm-up"
    for run in $(seq 1 "$RUNS"); do
        local base
        base=$(run_baseline FULL)
        log "[$mode] run $run/$RUNS: SQLite baseline (WAL, synchronous=FULL, 1 insert/txn): $base inserts/s"
        require_engine "the baseline run"
        before=$(settled_position) || require_engine "GET /health"
        log "[$mode] run $run/$RUNS: wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION -s post_products.lua (log at $before)"
        local cpu_before wrk_before cpu_after wrk_after
        cpu_before=$(engine_cpu)
        times >"$WORK/times-before.txt"
        run_wrk "$WRK_DURATION" "$WORK/wrk-$mode-$run.txt"
        times >"$WORK/times-after.txt"
        wrk_before=$(children_cpu "$WORK/times-before.txt")
        wrk_after=$(children_cpu "$WORK/times-after.txt")
        r=$(cat "$WORK/wrk-$mode-$run.txt.result")
        require_engine "wrk run $run"
        after=$(settled_position) || require_engine "GET /health"
        cpu_after=$(engine_cpu)
        delta=$((after - before))
        local s202 unanswered non2xx serr distinct dups minp maxp dur ok=1 why=""
        s202=$(field status_202 "$r"); unanswered=$(field unanswered "$r"); non2xx=$(field non_2xx "$r")
        serr=$(field status_errors "$r"); distinct=$(field positions "$r"); dups=$(field duplicate_positions "$r")
        minp=$(field min_position "$r"); maxp=$(field max_position "$r"); dur=$(field duration_us "$r")
        # No lost commands: every 202 names its own position inside this run's part of the log,
        # the log grew by the 202s plus at most the requests still unanswered at wrk's cut-off
        # (written, then committed after wrk stopped listening), and /events ends at the head.
        if [[ $distinct -ne $s202 || $dups -ne 0 ]]; then ok=0; why+=" 202s=$s202 but distinct positions=$distinct (repeats $dups);"; fi
        if [[ $s202 -gt 0 && ($minp -le $before || $maxp -gt $after) ]]; then ok=0; why+=" positions $minp..$maxp outside ($before, $after];"; fi
        if [[ $delta -lt $s202 ]]; then ok=0; why+=" log grew by $delta < $s202 accepted;"; fi
        if [[ $delta -gt $((s202 + unanswered)) ]]; then ok=0; why+=" log grew by $delta > $s202 accepted + $unanswered unanswered;"; fi
        if ! check_log_end "$after"; then ok=0; why+=" GET /events?from=$after does not end at $after;"; fi
        if [[ $non2xx -ne 0 || $serr -ne 0 ]]; then CHECK_FAILED=1; fi
        if [[ $ok -eq 1 ]]; then
            printf 'check [%s run %d]: OK: %d 202s = %d distinct positions in (%d, %d]; log grew by %d = %d accepted + %d of %d unanswered at the cut-off%s\n' \
                "$mode" "$run" "$s202" "$distinct" "$before" "$after" "$delta" "$s202" "$((delta - s202))" "$unanswered" \
                "$([[ $delta -eq $((s202 + unanswered)) ]] && echo ' (exact: every command sent is in the log)')"
        else
            CHECK_FAILED=1
            printf 'check [%s run %d]: LOST COMMANDS:%s\n' "$mode" "$run" "$why"
        fi
        printf '%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$run" "$s202" "$dur" \
            "$(field p50_us "$r")" "$(field p99_us "$r")" "$non2xx" "$(field timeouts "$r")" \
            "$(( $(field connect_errors "$r") + $(field read_errors "$r") + $(field write_errors "$r") ))" \
            "$delta" "$cpu_before" "$cpu_after" "$(python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.2f}")' "$wrk_before" "$wrk_after")" \
            "$(cut -d' ' -f1 /proc/loadavg)" "$base" >>"$RESULTS"
    done
    local rc=0
    stop_engine || rc=$?
    if [[ $rc -ne 0 ]]; then
        log "[$mode] engine exited with status $rc after SIGTERM; its log:"
        tail -n 20 "$ENGINE_LOG" | sed 's/^/    /' >&2
        CHECK_FAILED=1
    else
        log "[$mode] engine stopped cleanly"
    fi
}

# ---------------------------------------------------------------------------------------------
# Run

printf '## Gatehouse command throughput\n\n'
printf -- '- machine: %s CPUs (%s), load average before: %s\n' "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf -- '- binary: %s (%s); data in %s (%s)\n' "$GATEHOUSE" "${BUILD_TYPE:-unknown}" "$WORK" \
    "$(df -PT "$WORK" | awk 'NR == 2 { print $2 " on " $1 }')"
printf -- '- wrk -t%s -c%s -d%s, %s runs per mode after a %s warm-up, each right after a %s s SQLite baseline run\n\n' \
    "$WRK_THREADS" "$WRK_CONNECTIONS" "$WRK_DURATION" "$RUNS" "$WARMUP_DURATION" "$BASELINE_SECONDS"

for mode in $MODES; do
    bench_mode "$mode"
done

log "SQLite reference: WAL, synchronous=NORMAL, one insert per transaction, $RUNS x ${BASELINE_SECONDS}s"
for _ in $(seq 1 "$RUNS"); do
    run_baseline NORMAL >/dev/null
done
BASE_NORMAL=$(sed -n 's/^BASELINE .*median_inserts_per_sec=\([0-9.]*\).*/\1/p' "$WORK/baseline-NORMAL.txt" | tr '\n' ' ')
grep -h '^run' "$WORK"/baseline-*.txt | sed 's/^/    /' >&2

printf '\n'
python3 - "$RESULTS" "$BASE_NORMAL" "$TARGET_RATE" "$TARGET_RATIO" "$WRK_CONNECTIONS" <<'EOF'
import os, statistics, sys

path = sys.argv[1]
base_normal_runs = [float(x) for x in sys.argv[2].split()]
target_rate, target_ratio, connections = float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
cores = os.cpu_count() or 2

def cpu(text):
    return {k: float(v) for k, v in (w.split("=") for w in text.split())}

runs = {}
for line in open(path):
    (mode, run, s202, dur, p50, p99, non2xx, timeouts, sockerr, delta, c0, c1, wrk_cpu, load,
     base) = line.rstrip("\n").split("\t")
    c0, c1 = cpu(c0), cpu(c1)
    runs.setdefault(mode, []).append(dict(
        rate=int(s202) / (int(dur) / 1e6), p50=int(p50) / 1000, p99=int(p99) / 1000,
        non2xx=int(non2xx), timeouts=int(timeouts), sockerr=int(sockerr), events=int(delta),
        cpu={k: c1[k] - c0[k] for k in c0}, wrk=float(wrk_cpu), load=float(load),
        seconds=int(dur) / 1e6, base=float(base)))

def fmt(n):
    return f"{n:,.0f}"

def median_run(rs):
    rs = sorted(rs, key=lambda r: r["rate"])
    return rs[len(rs) // 2]   # the upper middle one when the count is even

print("| mode | commands/s (median) | runs | p50 | p99 | non-2xx | baseline inserts/s (median; runs) | ratio | target |")
print("|---|---:|---|---:|---:|---:|---|---:|---|")
all_base = []
for mode, label in (("full", "durable (`--durability full`)"), ("normal", "`--durability normal`")):
    rs = runs.get(mode)
    if not rs:
        continue
    rate = statistics.median(r["rate"] for r in rs)
    med = median_run(rs)
    base = statistics.median(r["base"] for r in rs)
    all_base += [r["base"] for r in rs]
    ratio = rate / base if base else float("nan")
    non2xx = sum(r["non2xx"] for r in rs)
    other = sum(r["timeouts"] + r["sockerr"] for r in rs)
    errs = f"{non2xx}" + (f" (+{other} socket errors/timeouts)" if other else "")
    if mode == "full":
        target = (f"≥ {fmt(target_rate)}/s at {connections} connections: {'met' if rate >= target_rate else 'MISSED'}; "
                  f"≥ {target_ratio:g}x baseline: {'met' if ratio >= target_ratio else 'MISSED'}")
    else:
        target = "none (reference)"
        if base_normal_runs:
            bn = statistics.median(base_normal_runs)
            target += f"; vs SQLite synchronous=NORMAL 1 insert/txn ({fmt(bn)}/s): {rate / bn:.2f}x"
    print(f"| {label} | {fmt(rate)} | {', '.join(fmt(r['rate']) for r in rs)} | {med['p50']:.1f} ms | {med['p99']:.1f} ms "
          f"| {errs} | {fmt(base)}; {', '.join(fmt(r['base']) for r in rs)} | {ratio:.2f}x | {target} |")
if all_base:
    print(f"| SQLite baseline: WAL, synchronous=FULL, 1 insert/txn | | | | | | {fmt(statistics.median(all_base))} "
          f"(all {len(all_base)} runs) | 1.00x | |")
print()
print("Each baseline run ran right before the engine run it is compared with; ratio = median commands/s over "
      "the median of those baseline runs. p50/p99: of the median run (wrk). non-2xx: all runs together.")
print()
print("CPU per accepted command, all runs of a mode together (engine threads from /proc, wrk from the shell's child times):")
print()
print(f"| mode | engine µs/command | gatehouse-net | gatehouse-store-writer | other threads | wrk µs/command "
      f"| CPU-bound ceiling on {cores} cores | engine cores busy | 1-min load after each run |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
for mode in ("full", "normal"):
    rs = runs.get(mode)
    if not rs:
        continue
    events = sum(r["events"] for r in rs) or 1
    secs = sum(r["seconds"] for r in rs) or 1
    per = {k: sum(r["cpu"][k] for r in rs) / events * 1e6 for k in ("net", "writer", "other")}
    engine = sum(per.values())
    wrk_us = sum(r["wrk"] for r in rs) / events * 1e6
    ceiling = cores / ((engine + wrk_us) / 1e6) if engine + wrk_us else float("nan")
    busy = sum(sum(r["cpu"].values()) for r in rs) / secs
    print(f"| {mode} | {engine:.0f} | {per['net']:.0f} | {per['writer']:.0f} | {per['other']:.0f} | {wrk_us:.0f} "
          f"| {fmt(ceiling)}/s | {busy:.2f} | {', '.join('%.1f' % r['load'] for r in rs)} |")
print()
print(f"Ceiling = {cores} cores / (engine + wrk CPU per command): the rate if nothing else ran and nothing waited "
      f"(the writer also waits for fsync). A load average above {cores} means other processes took CPU from the benchmark.")
EOF

if [[ $CHECK_FAILED -ne 0 ]]; then
    log "FAILED: lost commands, non-2xx answers or an unclean engine exit (see above)"
    exit 1
fi
