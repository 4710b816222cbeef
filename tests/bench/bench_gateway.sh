#!/usr/bin/env bash
# The gateway against nginx, in one run on one machine, with the same number of workers on
# each side (nginx worker_processes WORKERS, the gateway on WORKERS network threads;
# wrk -t2 -c64, RUNS times interleaved, medians):
#   1. GET /api/products/{id} through the gateway, no plugins (and again on an engine whose
#      network threads run Qt's own poll() dispatcher instead of epoll); then both again while
#      IDLE (4,000) other connections stay open and silent, as keep-alive clients and quiet
#      live subscribers do;
#   2. the same route with key-auth + limit-count (a limit far above the load);
#   3. nginx returning the same JSON body from a file (open_file_cache: the limit), and
#      from memory (`return 200`, nginx's fastest answer);
#   4. nginx as a reverse proxy in front of the engine (the two-hop layout a separate gateway gives);
# plus route matching with 10 vs 10,000 routes (bench_routing). For each layout the CPU time the
# server under test and wrk used is stated per request, from /proc (wrk shares the cores).
# Environment: GATEHOUSE_BUILD_DIR (default ./build, Release), RUNS=3, WRK_DURATION=10s,
# WORKERS=2, IDLE=4000.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
runs=${RUNS:-3}
duration=${WRK_DURATION:-10s}
workers=${WORKERS:-2}
idle=${IDLE:-4000}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
command -v wrk >/dev/null || as_root apt-get install -y wrk >&2
command -v nginx >/dev/null || as_root apt-get install -y nginx-light >&2
ninja -C "$build" -j"${NINJA_JOBS:-2}" gatehouse bench_routing >&2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-gateway.XXXXXX")
engine_pid=""
qt_pid=""
cleanup() {
    set +e   # everything is stopped, whatever one of them answers
    [ -n "$engine_pid" ] && kill "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null
    [ -n "$qt_pid" ] && kill "$qt_pid" 2>/dev/null && wait "$qt_pid" 2>/dev/null
    [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_engine NAME [ENV=VALUE...]: an engine on free ports; sets engine_pid, gw and adm.
start_engine() {
    local name=$1
    shift
    env "$@" "$build/app/gatehouse" --headless --data-dir "$tmp/$name" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
        --admin-key bench --no-mqtt --network-threads "$workers" --max-connections $((idle + 1024)) 2>"$tmp/$name.log" &
    engine_pid=$!
    for _ in $(seq 100); do grep -q "admin API listening" "$tmp/$name.log" && break; sleep 0.1; done
    gw=$(sed -n 's/.*gateway listening on http:\/\/\(.*\)$/\1/p' "$tmp/$name.log")
    adm=$(sed -n 's/.*admin API listening on http:\/\/\(.*\)$/\1/p' "$tmp/$name.log")
    K="X-API-KEY: bench"
    curl -s -o /dev/null -XPOST "http://$gw/api/products" -H 'content-type: application/json' -d '{"id":"bench-1","name":"Widget","price":9.5,"sku":"ABC-123"}'
    body=$(curl -s -H 'X-Min-Position: 1' "http://$gw/api/products/bench-1")
    # A second route to the same document, with the two plugins.
    curl -s -o /dev/null -XPUT "http://$adm/admin/consumers/bench" -H "$K" -d '{"plugins":{"key-auth":{"key":"bench-key"}}}'
    curl -s -o /dev/null -XPUT "http://$adm/admin/routes/guarded" -H "$K" \
      -d '{"uri":"/guarded/:id","methods":["GET"],"upstream":{"type":"query","collection":"products"},"plugins":{"key-auth":{},"limit-count":{"count":100000000,"time_window":60,"key_type":"var","key":"consumer_name"}}}'
}
# The same engine with Qt's own poll() event dispatcher on its network threads, for comparison.
start_engine qtloop GATEHOUSE_EVENT_DISPATCHER=qt
qt_pid=$engine_pid qt_gw=$gw
start_engine data

mkdir -p "$tmp/www/api/products"; printf '%s' "$body" > "$tmp/www/api/products/bench-1"
# nginx's workers run as an unprivileged user when it is started as root: they must be able to
# read the file (mktemp makes the directory private), or every request is a 403 page.
chmod 755 "$tmp" "$tmp/www" "$tmp/www/api" "$tmp/www/api/products"; chmod 644 "$tmp/www/api/products/bench-1"
static_port=$(free_port); memory_port=$(free_port); proxy_port=$(free_port)
nginx_body=$(printf '%s' "$body" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/\\\\'/g")   # a single-quoted nginx string
cat > "$tmp/nginx.conf" <<CONF
worker_processes $workers;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    upstream engine { server $gw; keepalive 64; }
    # The file as nginx serves it fastest here: its descriptor cached (open_file_cache: no
    # open/stat/close per request), sendfile off (for 100 bytes, one writev beats a write plus
    # a sendfile; measured both ways) ...
    server { listen 127.0.0.1:$static_port; root $tmp/www; default_type application/json;
             open_file_cache max=64; }
    # ... and nginx at its fastest: the body from memory, nothing to open or stat per request.
    server { listen 127.0.0.1:$memory_port; default_type application/json;
             location = /api/products/bench-1 { return 200 '$nginx_body'; } }
    server { listen 127.0.0.1:$proxy_port;
             location / { proxy_pass http://engine; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp"
sleep 0.5
for port in "$static_port" "$memory_port"; do
    [ "$(curl -s "http://127.0.0.1:$port/api/products/bench-1")" = "$body" ] \
        || { echo "nginx on $port does not answer the gateway's body" >&2; exit 1; }
done

ticks() {   # CPU time (utime + stime, in clock ticks) of the processes given
    local p t=0
    for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
    echo "$t"
}
nginx_pids() { pgrep -P "$(cat "$tmp/nginx.pid")" | tr '\n' ' '; }   # this nginx's workers only
hz=$(getconf CLK_TCK)
# run URL "PIDS" [HEADER] -> "requests/s server-us-per-request wrk-us-per-request"
run() {
    local url=$1 pids=$2 out before after wrk_cpu
    shift 2
    before=$(ticks $pids)
    local TIMEFORMAT="WRK_CPU %U %S"   # bash's own `time`: wrk's user and system seconds
    out=$( { time wrk -t2 -c64 -d"$duration" ${1:+-H "$1"} "$url"; } 2>&1)
    after=$(ticks $pids)
    if grep -q "Non-2xx" <<<"$out"; then   # a baseline answering errors measures nothing
        echo "error: non-2xx answers from $url:" >&2
        curl -sS -i ${1:+-H "$1"} "$url" | head -n 5 >&2
        exit 1
    fi
    wrk_cpu=$(awk '/^WRK_CPU/ {print $2 + $3}' <<<"$out")
    awk -v b="$before" -v a="$after" -v hz="$hz" -v w="$wrk_cpu" '/Requests\/sec/ {rps = $2}
        /^ +[0-9]+ requests in/ {n = $1}
        END {printf "%.0f %.1f %.1f", rps, (a - b) / hz * 1e6 / n, w * 1e6 / n}' <<<"$out"
}
# run_with_idle HOST:PORT ...: run's arguments, while $idle silent connections to HOST:PORT stay open.
run_with_idle() {
    local target=$1
    shift
    python3 -c '
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
held = [socket.create_connection((host, port)) for _ in range(n)]
print("open", flush=True)
time.sleep(3600)' "${target%:*}" "${target#*:}" "$idle" >"$tmp/idle.out" &
    local holder=$!
    for _ in $(seq 300); do grep -q open "$tmp/idle.out" && break; sleep 0.1; done
    grep -q open "$tmp/idle.out" || { echo "could not open $idle idle connections" >&2; exit 1; }
    run "$@"
    kill "$holder"
    wait "$holder" 2>/dev/null || true
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -a plain qtloop plain_idle qtloop_idle guarded static memory proxied
ngx=$(nginx_pids)
for _ in $(seq "$runs"); do   # interleaved so machine noise hits every layout alike
    plain+=("$(run "http://$gw/api/products/bench-1" "$engine_pid")")
    qtloop+=("$(run "http://$qt_gw/api/products/bench-1" "$qt_pid")")
    plain_idle+=("$(run_with_idle "$gw" "http://$gw/api/products/bench-1" "$engine_pid")")
    qtloop_idle+=("$(run_with_idle "$qt_gw" "http://$qt_gw/api/products/bench-1" "$qt_pid")")
    guarded+=("$(run "http://$gw/guarded/bench-1" "$engine_pid" "apikey: bench-key")")
    static+=("$(run "http://127.0.0.1:$static_port/api/products/bench-1" "$ngx")")
    memory+=("$(run "http://127.0.0.1:$memory_port/api/products/bench-1" "$ngx")")
    proxied+=("$(run "http://127.0.0.1:$proxy_port/api/products/bench-1" "$ngx $engine_pid")")
done
col() { local i=$1; shift; printf '%s\n' "$@" | awk -v i="$i" '{print $i}'; }
med() { col "$@" | median; }
runs_of() { col 1 "$@" | paste -sd/ | sed 's|/| / |g'; }
p=$(med 1 "${plain[@]}"); g=$(med 1 "${guarded[@]}"); s=$(med 1 "${static[@]}"); x=$(med 1 "${proxied[@]}")
m=$(med 1 "${memory[@]}"); q=$(med 1 "${qtloop[@]}")
pi=$(med 1 "${plain_idle[@]}"); qi=$(med 1 "${qtloop_idle[@]}")
cpu() { echo "$(med 2 "$@") / $(med 3 "$@")"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "## Gateway ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $workers workers each; wrk -t2 -c64 -d$duration, median of $runs)"
echo
echo "| layout | requests/s | runs | ratio | CPU per request: server / wrk (us) | target |"
echo "|---|---:|---|---:|---:|---|"
echo "| nginx, $workers workers, the same JSON from a file (open_file_cache): the limit | $s | $(runs_of "${static[@]}") | 1.00 | $(cpu "${static[@]}") | |"
echo "| nginx, the same JSON from memory (return 200) | $m | $(runs_of "${memory[@]}") | $(ratio "$m" "$s") | $(cpu "${memory[@]}") | |"
echo "| gateway, $workers network threads, GET /api/products/{id}, no plugins | $p | $(runs_of "${plain[@]}") | $(ratio "$p" "$s") of nginx ($(ratio "$p" "$m") of from memory) | $(cpu "${plain[@]}") | >= 1.0x nginx |"
echo "| the same, Qt's poll() dispatcher on the network threads (GATEHOUSE_EVENT_DISPATCHER=qt) | $q | $(runs_of "${qtloop[@]}") | $(ratio "$q" "$s") of nginx; epoll / this = $(ratio "$p" "$q") | $(cpu "${qtloop[@]}") | |"
echo "| gateway (epoll), $idle idle connections open besides | $pi | $(runs_of "${plain_idle[@]}") | $(ratio "$pi" "$s") of nginx; $(ratio "$pi" "$p") of without them | $(cpu "${plain_idle[@]}") | |"
echo "| the same on Qt's poll() dispatcher, $idle idle connections open besides | $qi | $(runs_of "${qtloop_idle[@]}") | epoll / this = $(ratio "$pi" "$qi"); $(ratio "$qi" "$q") of without them | $(cpu "${qtloop_idle[@]}") | |"
echo "| gateway, with key-auth + limit-count | $g | $(runs_of "${guarded[@]}") | $(ratio "$g" "$s") of nginx | $(cpu "${guarded[@]}") | >= 0.9x nginx |"
echo "| nginx reverse proxy in front of the engine | $x | $(runs_of "${proxied[@]}") | gateway / this = $(ratio "$p" "$x") | $(cpu "${proxied[@]}") | >= 1.5x |"
echo
"$build/tests/bench/bench_routing"
