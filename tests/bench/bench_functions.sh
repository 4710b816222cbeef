#!/usr/bin/env bash
# Function runtime numbers in one run on one machine (bench_functions), for both isolation
# modes (thread, process): invocations/s of a trivial JS event function next to the built-in
# C++ upsert projection doing the same work on the same log, single calls/s, and the
# cold-start time of one instance.
# Environment: GATEHOUSE_BUILD_DIR (default ./build, Release), EVENTS=200000, RUNS=3, COLD=50,
# CALLS=20000.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
ninja -C "$build" -j"${NINJA_JOBS:-2}" bench_functions >&2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-functions.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "## Functions ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
EVENTS=${EVENTS:-200000} RUNS=${RUNS:-3} COLD=${COLD:-50} CALLS=${CALLS:-20000} "$build/tests/bench/bench_functions" "$tmp"
