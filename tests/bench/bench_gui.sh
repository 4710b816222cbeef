#!/usr/bin/env bash
# The console under an event flood: GUI event-loop stall p99 and memory with the main window
# open (offscreen, Events page) against the same engine, load and client without a window,
# alternating RUNS times. Release build in build-bench (GATEHOUSE_BENCH_BUILD_DIR).
#   tests/bench/bench_gui.sh            RUNS=3 SECONDS_PER_RUN=30 RATE=10000
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${GATEHOUSE_BENCH_BUILD_DIR:-$root/build-bench}
runs=${RUNS:-3}
secs=${SECONDS_PER_RUN:-30}
rate=${RATE:-10000}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_gui -j "${GATEHOUSE_JOBS:-2}" >/dev/null
out=$(mktemp)
for i in $(seq "$runs"); do
    for mode in baseline window; do
        QT_LOGGING_RULES='*.info=false' "$build/tests/bench/bench_gui" --mode "$mode" --seconds "$secs" --rate "$rate" | tee -a "$out"
    done
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
def med(mode, key):
    return statistics.median(r[key] for r in rows if r['mode'] == mode)
for mode in ('baseline', 'window'):
    print(f"{mode:8s}: events/s {med(mode,'events_per_s'):8.0f}  stall p50 {med(mode,'stall_p50_ms'):6.2f} ms  "
          f"p99 {med(mode,'stall_p99_ms'):6.2f} ms  max {med(mode,'stall_max_ms'):7.2f} ms  "
          f"RSS start {med(mode,'rss_start_mib'):6.1f} MiB  peak {med(mode,'rss_peak_mib'):6.1f}  end {med(mode,'rss_end_mib'):6.1f}")
print(f"window/baseline stall p99 ratio: {med('window','stall_p99_ms') / max(med('baseline','stall_p99_ms'), 0.01):.2f}"
      f"  (target: window p99 < 50 ms)")
PY
rm -f "$out"

# Second table: the console while a simulation of `SIM_RATE` requests/s runs in the same process
# (the Simulation page open and polling, against the same scenario without a window).
sim_rate=${SIM_RATE:-20000}
cmake --build "$build" --target bench_gui_simulation -j "${GATEHOUSE_JOBS:-2}" >/dev/null
sim_out=$(mktemp)
for i in $(seq "$runs"); do
    for mode in baseline window; do
        QT_LOGGING_RULES='*.info=false' "$build/tests/bench/bench_gui_simulation" --mode "$mode" --seconds "$secs" --rate "$sim_rate" | tee -a "$sim_out"
    done
done
python3 - "$sim_out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
def med(mode, key):
    return statistics.median(r[key] for r in rows if r['mode'] == mode)
for mode in ('baseline', 'window'):
    print(f"{mode:8s}: scenario {rows[0]['rate_target']}/s, achieved {med(mode,'achieved_rate'):8.0f}/s  dropped {med(mode,'dropped'):8.0f}  "
          f"stall p50 {med(mode,'stall_p50_ms'):6.2f} ms  p99 {med(mode,'stall_p99_ms'):6.2f} ms  max {med(mode,'stall_max_ms'):7.2f} ms")
print("target: window stall p99 < 50 ms while the scenario runs")
PY
rm -f "$sim_out"
