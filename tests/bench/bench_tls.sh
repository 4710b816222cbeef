#!/usr/bin/env bash
# What TLS costs on the gateway, in one run on one machine (wrk -t2 -c64, RUNS interleaved
# rounds, medians): GET /api/products/{id} from an engine serving plain HTTP and from one
# serving HTTPS (a P-256 certificate made here), each
#   1. on kept-alive connections (the handshake paid once per connection);
#   2. with a new connection per request (Connection: close: a full handshake each time).
# Both engines run at once on the same document; the rounds alternate between them.
# Environment: GATEHOUSE_BUILD_DIR (default ./build, Release), RUNS=3, WRK_DURATION=8s.
# Exit status: 0 when every run answered (targets are not asserted), 2 when it could not run.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
runs=${RUNS:-3}
duration=${WRK_DURATION:-8s}
for tool in wrk curl openssl python3; do
    command -v "$tool" >/dev/null || { echo "bench_tls: $tool is required" >&2; exit 2; }
done
ninja -C "$build" -j"${NINJA_JOBS:-2}" gatehouse >&2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-tls.XXXXXX")
pids=()
cleanup() {
    set +e
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=bench \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null

declare -A gateway   # engine name -> its gateway's URL
start() {   # start NAME [options]
    local name=$1
    shift
    "$build/app/gatehouse" --headless --no-mqtt --durability normal --data-dir "$tmp/$name" --listen 127.0.0.1:0 \
        --admin-listen 127.0.0.1:0 "$@" >/dev/null 2>"$tmp/$name.log" &
    pids+=($!)
    for _ in $(seq 200); do grep -q "admin API listening" "$tmp/$name.log" && break; sleep 0.1; done
    gateway[$name]=$(sed -n 's/.*gateway listening on \(https\{0,1\}:\/\/[0-9.:]*\).*/\1/p' "$tmp/$name.log")
}
start plain
start tls --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
plain=${gateway[plain]}
tls=${gateway[tls]}
[[ -n $plain && -n $tls ]] || { cat "$tmp"/*.log >&2; exit 2; }
for url in "$plain" "$tls"; do
    curl -sk -o /dev/null -XPOST "$url/api/products" -H 'content-type: application/json' \
        -d '{"id":"bench-1","name":"Widget","price":9.5,"sku":"ABC-123"}'
    curl -skf -o /dev/null -H 'X-Min-Position: 1' "$url/api/products/bench-1" || { echo "bench_tls: $url does not serve" >&2; exit 2; }
done

rate() {   # rate URL [wrk options]: requests/s of one wrk run
    local url=$1
    shift
    local out
    out=$(wrk -t2 -c64 -d"$duration" "$@" "$url/api/products/bench-1")
    if grep -q "Non-2xx" <<<"$out"; then echo "bench_tls: non-2xx answers from $url" >&2; exit 2; fi
    awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out"
}
declare -A results
for round in $(seq 1 "$runs"); do
    for kind in plain tls; do
        url=$plain
        [[ $kind == tls ]] && url=$tls
        results[$kind-keepalive]+="$(rate "$url") "
        results[$kind-close]+="$(rate "$url" -H 'Connection: close') "
    done
    echo "bench_tls: round $round/$runs done" >&2
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }

pk=$(median <<<"${results[plain-keepalive]}"); tk=$(median <<<"${results[tls-keepalive]}")
pc=$(median <<<"${results[plain-close]}"); tc=$(median <<<"${results[tls-close]}")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); wrk -t2 -c64 -d$duration, medians of $runs interleaved rounds"
echo
echo "| GET by id | plain HTTP | HTTPS | HTTPS / HTTP |"
echo "|---|---:|---:|---:|"
echo "| kept-alive connections | $pk/s | $tk/s | $(ratio "$tk" "$pk") |"
echo "| a new connection per request | $pc/s | $tc/s | $(ratio "$tc" "$pc") |"
echo
echo "runs: plain keep-alive ${results[plain-keepalive]}; https keep-alive ${results[tls-keepalive]}; plain close ${results[plain-close]}; https close ${results[tls-close]}"
