#!/usr/bin/env bash
# The engine's memory: resident set size (VmRSS, and the peak VmHWM) of `gatehouse --headless`
#   1. idle, after start on an empty data directory (MQTT off, and with its managed mosquitto);
#   2. after EVENTS (default 1,000,000) commands on DOCUMENTS (250,000) products -- the creates,
#      then merge patches spread over them, then one GET by id of each, 16 connections -- and
#   3. steady: sampled once a second for SETTLE (10) seconds after that, the last and the most;
# with the caches the engine was configured with, which bound what it keeps: the read cache
# (--read-cache-mb, default 64) and SQLite's page caches. Not part of the test run.
# Environment: GATEHOUSE_BUILD_DIR (default ./build, Release), EVENTS, DOCUMENTS, SETTLE, READ_CACHE_MB.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
events=${EVENTS:-1000000}
documents=${DOCUMENTS:-250000}
settle=${SETTLE:-10}
cache=${READ_CACHE_MB:-64}
ninja -C "$build" -j"${NINJA_JOBS:-2}" gatehouse bench_live_ws >&2
tool=$build/tests/bench/bench_live_ws

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-memory.XXXXXX")
engine_pid=""
cleanup() {
    set +e
    [ -n "$engine_pid" ] && kill "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$engine_pid/status"; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
# start_engine NAME ARGS... -> starts it, waits until it listens, sets $gw
start_engine() {
    local name=$1
    shift
    "$build/app/gatehouse" --headless --data-dir "$tmp/$name" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
        --durability normal --read-cache-mb "$cache" "$@" 2>"$tmp/$name.log" &
    engine_pid=$!
    for _ in $(seq 200); do grep -q "admin API listening on" "$tmp/$name.log" && break; sleep 0.1; done
    gw=$(sed -n 's/.*gateway listening on http:\/\/\(.*\)$/\1/p' "$tmp/$name.log")
    [ -n "$gw" ] || { echo "the engine did not start:" >&2; cat "$tmp/$name.log" >&2; exit 1; }
}
stop_engine() { kill "$engine_pid"; wait "$engine_pid" || true; engine_pid=""; }

start_engine idle --no-mqtt
sleep 3
idle=$(kb VmRSS)
stop_engine
start_engine idle-mqtt --mqtt-listen 127.0.0.1:0
sleep 3
idle_mqtt=$(kb VmRSS)
stop_engine

start_engine loaded --no-mqtt
sleep 1
load=$("$tool" load "$gw" "$events" "$documents" 16) || echo "warning: not everything was accepted or read: $load" >&2
after=$(kb VmRSS)
last=0; most=0
for _ in $(seq "$settle"); do
    sleep 1
    last=$(kb VmRSS)
    [ "$last" -gt "$most" ] && most=$last
done
peak=$(kb VmHWM)
db=$(du -sk "$tmp/loaded" | cut -f1)

echo "## Engine memory ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); --durability normal, --read-cache-mb $cache)"
echo
echo "| state | RSS (MB) | target |"
echo "|---|---:|---|"
echo "| idle, MQTT off | $(mb "$idle") | < 60 |"
echo "| idle, with its managed mosquitto (a process of its own, not counted) | $(mb "$idle_mqtt") | < 60 |"
echo "| right after $events commands on $documents documents and a read of each | $(mb "$after") | |"
echo "| steady, ${settle} s later: last / most | $(mb "$last") / $(mb "$most") | bounded by the caches |"
echo "| peak (VmHWM) | $(mb "$peak") | |"
echo
echo "Data directory after the load: $(mb "$db") MB. $load"
