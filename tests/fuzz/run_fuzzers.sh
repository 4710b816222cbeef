#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (built with the fuzz preset) on their seed corpora.
#   tests/fuzz/run_fuzzers.sh [-d SECONDS] [-j JOBS] [-b BUILD_DIR] [-o RESULTS_DIR] [TARGET...]
# -d: seconds per target (default 60); -j: parallel fuzzing processes per target (default 1,
# libFuzzer's -fork); -b: the fuzz build (default build-fuzz); -o: where the generated corpus
# and any crash, leak or timeout inputs go (default BUILD_DIR/fuzz-results, outside git).
# TARGET: http_request json_document list_query admin_config websocket_frame cloudevent
# (default: all). Targets run one after the other. Exits non-zero if any target found
# something; each finding is RESULTS_DIR/<target>/crashes/<kind>-<hash>, to be replayed with
#   BUILD_DIR/tests/fuzz/fuzz_<target> RESULTS_DIR/<target>/crashes/<file>
# and turned into a regression test (see tests/fuzz/README.md).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=60
jobs=1
build=$root/build-fuzz
results=
while getopts "d:j:b:o:h" opt; do
    case $opt in
    d) seconds=$OPTARG ;;
    j) jobs=$OPTARG ;;
    b) build=$(cd "$OPTARG" && pwd) ;;
    o) results=$OPTARG ;;
    *) sed -n '2,13p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
results=${results:-$build/fuzz-results}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for src in "$root"/tests/fuzz/fuzz_*.cpp; do
        name=$(basename "$src" .cpp)
        targets+=("${name#fuzz_}")
    done
fi

supp=$root/tests/sanitizers
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1:strict_init_order=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$supp/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp}

# Inputs longer than this teach little; the HTTP stream needs room for pipelined requests.
max_len() {
    case $1 in
    http_request) echo 8192 ;;
    *) echo 4096 ;;
    esac
}

failed=()
summary=()
for target in "${targets[@]}"; do
    binary=$build/tests/fuzz/fuzz_$target
    seeds=$root/tests/fuzz/corpus/$target
    if [ ! -x "$binary" ] || [ ! -d "$seeds" ]; then
        echo "run_fuzzers: no $binary or no $seeds (build with: cmake --preset fuzz && cmake --build --preset fuzz)" >&2
        exit 2
    fi
    out=$results/$target
    mkdir -p "$out/corpus" "$out/crashes"
    args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$target")"
          -artifact_prefix="$out/crashes/" -print_final_stats=1)
    [ -f "$root/tests/fuzz/$target.dict" ] && args+=(-dict="$root/tests/fuzz/$target.dict")
    [ "$jobs" -gt 1 ] && args+=(-fork="$jobs")
    echo "run_fuzzers: $target for ${seconds}s, $jobs job(s)" >&2
    log=$out/fuzz.log
    # New inputs go to the first directory; the seeds are only read.
    if "$binary" "${args[@]}" "$out/corpus" "$seeds" >"$log" 2>&1; then
        status=ok
    else
        status=FOUND
        failed+=("$target")
        grep -E "ERROR|FUZZ INVARIANT|runtime error|SUMMARY|Test unit written" "$log" | head -20 >&2 || true
    fi
    execs=$(awk '/stat::number_of_executed_units:/ {s += $2} END {print s + 0}' "$log")
    rate=$(awk '/stat::average_exec_per_sec:/ {s += $2} END {print s + 0}' "$log")
    corpus=$(find "$out/corpus" -type f | wc -l)
    summary+=("$(printf '%-16s %-6s %10s execs %7s/s  corpus %5s (+%s seeds)' "$target" "$status" "$execs" "$rate" "$corpus" "$(find "$seeds" -type f | wc -l)")")
done

printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "run_fuzzers: findings in ${failed[*]} (inputs under $results/<target>/crashes, logs in fuzz.log)" >&2
    exit 1
fi
