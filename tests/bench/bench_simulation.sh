#!/usr/bin/env bash
# The built-in load generator (`gatehouse simulate --target`) against wrk, in one run on one
# machine, each side measured right after the other on the same engine and route (RUNS times,
# interleaved, medians):
#   1. GET /api/products/{id}: 64 VUs as fast as they go (constant-vus) vs wrk -t2 -c64;
#   2. durable POST /api/products (a new document each): the same;
#   3. constant-arrival-rate 5,000/s for 30 s: achieved vs intended rate, dropped iterations;
#   4. CPU per request of the generator process next to wrk's (user + system time / requests).
# The engine runs as its own process (--durability full), so neither client shares its threads.
# Environment: GATEHOUSE_BUILD_DIR (default ./build, Release), RUNS=3, BENCH_SECONDS=10,
# ARRIVAL_SECONDS=30, ARRIVAL_RATE=5000.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
runs=${RUNS:-3}
seconds=${BENCH_SECONDS:-10}
arrival_seconds=${ARRIVAL_SECONDS:-30}
arrival_rate=${ARRIVAL_RATE:-5000}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
command -v wrk >/dev/null || as_root apt-get install -y wrk >&2
[ -x /usr/bin/time ] || as_root apt-get install -y time >&2
ninja -C "$build" -j"${NINJA_JOBS:-2}" gatehouse >&2
gatehouse=$build/app/gatehouse

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-simulation.XXXXXX")
engine_pid=""
cleanup() {
    if [ -n "$engine_pid" ]; then kill "$engine_pid" 2>/dev/null || true; wait "$engine_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

"$gatehouse" --headless --data-dir "$tmp/data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --admin-key bench --no-mqtt 2>"$tmp/engine.log" &
engine_pid=$!
for _ in $(seq 100); do grep -q "admin API listening" "$tmp/engine.log" && break; sleep 0.1; done
gw=$(sed -n 's/.*gateway listening on http:\/\/\(.*\)$/\1/p' "$tmp/engine.log")
curl -s -o /dev/null -XPOST "http://$gw/api/products" -H 'content-type: application/json' -d '{"id":"bench-1","name":"Widget","price":9.5,"sku":"ABC-123"}'
curl -s -o /dev/null -H 'X-Min-Position: 1' "http://$gw/api/products/bench-1"

scenario() {   # name executor-json operation-json -> file
    cat > "$tmp/$1.json" <<JSON
{"seed": 1, "duration": "$4", "target": "http://$gw",
 "workloads": [{"name": "w", $2, "operations": [$3]}]}
JSON
    echo "$tmp/$1.json"
}
closed="\"executor\": \"constant-vus\", \"vus\": 64"
get_scenario=$(scenario get "$closed" '{"op": "request", "name": "get", "method": "GET", "path": "/api/products/bench-1"}' "${seconds}s")
# The same request wrk's post_products.lua sends: POST /api/products with {"name","price","sku"},
# the engine choosing the id. (A `create` operation sends a seeded id of its own; the engine then
# checks the id is free, which costs it more per command: measured apart below.)
post_scenario=$(scenario post "$closed" '{"op": "request", "name": "post", "method": "POST", "path": "/api/products", "headers": {"content-type": "application/json"}, "body": {"name": "Widget 1", "price": 9.5, "sku": "ABC-123"}}' "${seconds}s")
create_scenario=$(scenario create "$closed" '{"op": "create", "collection": "products", "schema": {"type": "object", "required": ["name", "price", "sku"], "additionalProperties": false, "properties": {"id": {"type": "string"}, "name": {"type": "string", "minLength": 8, "maxLength": 16}, "price": {"type": "number", "minimum": 1, "maximum": 100000}, "sku": {"const": "ABC-123"}}}}' "${seconds}s")
arrival_scenario=$(scenario arrival "\"executor\": \"constant-arrival-rate\", \"rate\": $arrival_rate, \"time_unit\": \"1s\", \"pre_allocated_vus\": 200, \"max_vus\": 1000" \
    '{"op": "request", "name": "get", "method": "GET", "path": "/api/products/bench-1"}' "${arrival_seconds}s")

cpu_of() {   # command... -> runs it, prints "<user+sys seconds>" on fd 3
    /usr/bin/time -f "%U %S" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/stderr" || true
    awk '{printf "%.3f", $1 + $2}' "$tmp/time" >&3
}
generator() {   # scenario-file -> "rate cpu_us_per_request"
    local cpu
    cpu=$(cpu_of "$gatehouse" simulate "$1" --report "$tmp/report.json" 3>&1)
    python3 - "$tmp/report.json" "$cpu" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); cpu = float(sys.argv[2])
ops = r["operations"]; requests = sum(o["requests"] for o in ops.values())
rate = sum(o["achieved_rate"] for o in ops.values())
print(f"{rate:.0f} {cpu * 1e6 / max(requests, 1):.1f}")
PY
}
wrk_run() {   # url [script] -> "rate cpu_us_per_request"
    local cpu args=(-t2 -c64 -d"${seconds}s")
    [ $# -gt 1 ] && args+=(-s "$2")
    /usr/bin/time -f "%U %S" -o "$tmp/time" wrk "${args[@]}" "$1" >"$tmp/wrk.out" 2>&1
    local requests rate
    requests=$(awk '/requests in/ {print $1}' "$tmp/wrk.out")
    rate=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$tmp/wrk.out")
    cpu=$(awk '{printf "%.3f", $1 + $2}' "$tmp/time")
    awk -v r="$rate" -v c="$cpu" -v n="$requests" 'BEGIN {printf "%s %.1f\n", r, c * 1e6 / (n > 0 ? n : 1)}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -a gget gcpu_get wget wcpu_get gpost gcpu_post wpost wcpu_post gcreate
for _ in $(seq "$runs"); do
    read -r r c < <(generator "$get_scenario"); gget+=("$r"); gcpu_get+=("$c")
    read -r r c < <(wrk_run "http://$gw/api/products/bench-1"); wget+=("$r"); wcpu_get+=("$c")
    read -r r c < <(generator "$post_scenario"); gpost+=("$r"); gcpu_post+=("$c")
    read -r r c < <(wrk_run "http://$gw" "$here/post_products.lua"); wpost+=("$r"); wcpu_post+=("$c")
    read -r r c < <(generator "$create_scenario"); gcreate+=("$r")
done
"$gatehouse" simulate "$arrival_scenario" --report "$tmp/arrival.json" >/dev/null 2>&1 || true
arrival=$(python3 - "$tmp/arrival.json" "$arrival_rate" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); op = r["operations"]["w/get"]; intended = float(sys.argv[2])
print(f"{op['achieved_rate']:.1f} {op['intended_rate']:.1f} {op['dropped']} {100.0 * (op['achieved_rate'] - intended) / intended:+.2f}% "
      f"{op['latency_ms']['p50']:.2f} {op['latency_ms']['p99']:.2f}")
PY
)
m() { printf '%s\n' "$@" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "## Load generator ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); ${seconds}s each, median of $runs, interleaved)"
echo
echo "| measurement | generator | wrk -t2 -c64 | ratio | runs (generator / wrk) |"
echo "|---|---:|---:|---:|---|"
echo "| GET /api/products/{id}, requests/s (64 VUs) | $(m "${gget[@]}") | $(m "${wget[@]}") | $(ratio "$(m "${gget[@]}")" "$(m "${wget[@]}")")x | ${gget[*]} / ${wget[*]} |"
echo "| durable POST /api/products, requests/s (64 VUs) | $(m "${gpost[@]}") | $(m "${wpost[@]}") | $(ratio "$(m "${gpost[@]}")" "$(m "${wpost[@]}")")x | ${gpost[*]} / ${wpost[*]} |"
echo "| create with seeded client ids, commands/s (64 VUs; no wrk equivalent) | $(m "${gcreate[@]}") | | | ${gcreate[*]} |"
echo "| CPU per GET, µs (client process, user+system) | $(m "${gcpu_get[@]}") | $(m "${wcpu_get[@]}") | $(ratio "$(m "${gcpu_get[@]}")" "$(m "${wcpu_get[@]}")")x | ${gcpu_get[*]} / ${wcpu_get[*]} |"
echo "| CPU per POST, µs | $(m "${gcpu_post[@]}") | $(m "${wcpu_post[@]}") | $(ratio "$(m "${gcpu_post[@]}")" "$(m "${wcpu_post[@]}")")x | ${gcpu_post[*]} / ${wcpu_post[*]} |"
echo
read -r achieved intended dropped deviation p50 p99 <<<"$arrival"
echo "constant-arrival-rate $arrival_rate/s for ${arrival_seconds}s (GET by id): achieved $achieved/s (intended $intended/s, $deviation), dropped $dropped, p50 $p50 ms, p99 $p99 ms"
