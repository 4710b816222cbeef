#!/usr/bin/env bash
# Read-side numbers in one run on one machine:
#   1. projection rebuild of EVENTS (default 1,000,000) events vs a raw scan of the log (bench_rebuild);
#   2. consistency lag, 202 -> visible through GET, at RATE (default 5,000) commands/s (bench_consistency);
#   3. GET /api/products/{id} requests/s with wrk at 64 connections, next to GET /health on the
#      admin listener (the same HTTP server with no query work: the floor), RUNS times each, medians;
#   4. list queries (sorted, filtered on an indexed and on an unindexed field) with wrk at 64
#      connections, RUNS times, median (list_products.lua).
# Environment: GATEHOUSE_BUILD_DIR (default ./build, Release), EVENTS, RATE, RUNS=3, WRK_DURATION=10s,
# PARTS (default "rebuild lag get list": which sections to run).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
runs=${RUNS:-3}
duration=${WRK_DURATION:-10s}
parts=${PARTS:-rebuild lag get list}
has() { [[ " $parts " == *" $1 "* ]]; }
ninja -C "$build" -j"${NINJA_JOBS:-2}" gatehouse bench_rebuild bench_consistency >&2
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-readside.XXXXXX")
engine_pid=""
cleanup() { set +e; [ -n "$engine_pid" ] && kill "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

echo "## Read side ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
if has rebuild; then
    echo "### Rebuild"
    EVENTS=${EVENTS:-1000000} RUNS=$runs "$build/tests/bench/bench_rebuild" "$tmp" 2>/dev/null
    echo
fi

"$build/app/gatehouse" --headless --data-dir "$tmp/data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 2>"$tmp/engine.log" &
engine_pid=$!
for _ in $(seq 100); do grep -q "admin API listening" "$tmp/engine.log" && break; sleep 0.1; done
gw=$(sed -n 's/.*gateway listening on http:\/\/\(.*\)$/\1/p' "$tmp/engine.log")
adm=$(sed -n 's/.*admin API listening on http:\/\/\(.*\)$/\1/p' "$tmp/engine.log")

if has lag; then
    echo "### Consistency lag"
    RATE=${RATE:-5000} LAG_SECONDS=${LAG_SECONDS:-10} "$build/tests/bench/bench_consistency" "$gw" || true
    echo
fi

products=${PRODUCTS:-1000}
for i in $(seq 0 $((products - 1))); do
    printf '{"id":"bench-%d","name":"Widget %d","price":%d.5,"sku":"ABC-123"}\n' "$i" "$i" "$i"
done | while read -r body; do curl -s -o /dev/null -XPOST "http://$gw/api/products" -H 'content-type: application/json' -d "$body"; done
head=$(curl -s "http://$adm/health" | sed 's/.*"position":\([0-9]*\).*/\1/')
curl -s -o /dev/null -H "X-Min-Position: $head" "http://$gw/api/products/bench-0"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed "s/.*$1=\([0-9.]*\).*/\1/" <<<"$2"; }
if has get; then
    get_rps=(); health_rps=(); p99=()
    for _ in $(seq "$runs"); do
        out=$(PRODUCTS=$products wrk -t2 -c64 -d"$duration" -s "$here/get_product.lua" "http://$gw/" | grep WRK_RESULT)
        get_rps+=("$(field rps "$out")"); p99+=("$(field p99_ms "$out")")
        [[ $out == *"non2xx=0"* ]] || echo "warning: non-2xx answers: $out" >&2
        out=$(wrk -t2 -c64 -d"$duration" -s "$here/get_product.lua" "http://$adm/health" | grep WRK_RESULT || true)
        health_rps+=("$(field rps "$out")")
    done
    g=$(printf '%s\n' "${get_rps[@]}" | median); h=$(printf '%s\n' "${health_rps[@]}" | median)
    echo "### GET by id (wrk -t2 -c64 -d$duration, median of $runs)"
    echo
    echo "| endpoint | requests/s | runs |"
    echo "|---|---:|---|"
    echo "| GET /api/products/{id} (gateway, read store) | $g | ${get_rps[*]} (p99 ms: ${p99[*]}) |"
    echo "| GET /health (admin listener, no query: the floor) | $h | ${health_rps[*]} |"
    echo "| ratio | $(awk -v a="$g" -v b="$h" 'BEGIN {printf "%.2f", a / b}') | target GET >= 40,000/s |"
    echo
fi
if has list; then
    list_rps=(); p99=()
    for _ in $(seq "$runs"); do
        out=$(PRODUCTS=$products wrk -t2 -c64 -d"$duration" -s "$here/list_products.lua" "http://$gw/" | grep WRK_RESULT)
        list_rps+=("$(field rps "$out")"); p99+=("$(field p99_ms "$out")")
        [[ $out == *"non2xx=0"* ]] || echo "warning: non-2xx answers: $out" >&2
    done
    echo "### List queries (wrk -t2 -c64 -d$duration, median of $runs)"
    echo
    echo "| endpoint | requests/s | runs |"
    echo "|---|---:|---|"
    echo "| GET /api/products?... (sorted, filtered; 20 items a page) | $(printf '%s\n' "${list_rps[@]}" | median) | ${list_rps[*]} (p99 ms: ${p99[*]}) |"
fi
