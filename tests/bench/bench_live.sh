#!/usr/bin/env bash
# Live protocols in one run on one machine, against one engine with its managed mosquitto:
#   1. MQTT outbox: EVENTS (default 50,000) creates are first loaded through HTTP into a fresh
#      data directory with MQTT off; then one Paho QoS 1 subscriber on gatehouse/events/#
#      subscribes to a mosquitto configured like the managed one, and an engine is started on
#      that data directory with --mqtt-url: its outbox publishes the whole log, and the
#      subscriber counts events/s from the first to the last received (the outbox's own pace,
#      not the HTTP ingest's). Baseline on the same broker: a Paho QoS 1 publisher (64 in
#      flight) sending EVENTS messages of the same payload size and topic length to a test
#      topic while the same subscriber counts them. RUNS times, medians, ratio (>= 0.7x).
#   2. Fan-out: WS_SUBSCRIBERS (1,000) WebSocket subscribers from "live" on /ws, commands at
#      WS_RATE (500)/s for WS_SECONDS (10) s; latency = frame read - 202 read (same process);
#      then the same with as many SSE streams on /events/stream. The subscribers are plain sockets
#      on epoll, WS_THREADS (default 2) threads; WS_CLIENTS="epoll qt" also runs them as QWebSocket /
#      QTcpSocket on Qt event loops (the earlier client, default 4 threads), one right after the other.
#   3. MQTT command ingest: MQTT 5 creates on gatehouse/commands/products/create with response
#      topic + correlation data, CMD_INFLIGHT (64) in flight, CMD_SECONDS (10) s; RUNS times for
#      each client of CMD_CLIENTS (default "paho lean": Paho's C++ client, bench_live_mqtt, and
#      the engine's own single-threaded client, bench_mqtt_commands), interleaved; the CPU time
#      of the engine, the broker and the client per reply; then one command in flight for 5 s
#      (the round trip alone).
# Environment: GATEHOUSE_BUILD_DIR (default ./build, Release), RUNS=3, EVENTS, WS_*, CMD_*, NINJA_JOBS,
#              PARTS (default "outbox ws commands": which of the three to run), LIVE_BATCH_MS (the
#              engine's --live-batch-ms; default: the engine's own), GATEHOUSE_ENGINE (the executable
#              of the fan-out and command parts, e.g. one built from an earlier commit, to compare),
#              LATENCY_BY_SECOND (the fan-out's latencies by slice of the run, on stderr),
#              WARMUP_SECONDS (the fan-out's commands before the measured ones, not timed; default 0).
set -euo pipefail
export LC_NUMERIC=C   # bash's `time` and awk agree on the decimal point
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
runs=${RUNS:-3}
events=${EVENTS:-50000}
parts=${PARTS:-outbox ws commands}
ws_subs=${WS_SUBSCRIBERS:-1000}; ws_rate=${WS_RATE:-500}; ws_seconds=${WS_SECONDS:-10}
ws_clients=${WS_CLIENTS:-epoll}
cmd_seconds=${CMD_SECONDS:-10}; cmd_inflight=${CMD_INFLIGHT:-64}
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || { echo "mosquitto is required (apt-get install mosquitto)" >&2; exit 2; }
ninja -C "$build" -j"${NINJA_JOBS:-2}" gatehouse bench_live_mqtt bench_live_ws bench_mqtt_commands >&2
mq=$build/tests/bench/bench_live_mqtt
lean=$build/tests/bench/bench_mqtt_commands
ws=$build/tests/bench/bench_live_ws

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-live.XXXXXX")
engine_pid=""; broker_pid=""; sub_pid=""; ob_broker_pid=""
# Under set -e a failing command in the EXIT trap would end the trap (and the script, with
# status 1) before everything is stopped: the trap stops everything with errexit off.
cleanup() {
    set +e
    [ -n "$ob_broker_pid" ] && kill "$ob_broker_pid" 2>/dev/null && wait "$ob_broker_pid" 2>/dev/null
    [ -n "$sub_pid" ] && kill "$sub_pid" 2>/dev/null && wait "$sub_pid" 2>/dev/null
    [ -n "$engine_pid" ] && kill "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null
    # The engine stops its mosquitto on exit; make sure of it (only the child it reported).
    if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2>/dev/null; then
        sleep 1; kill "$broker_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mqtt_port=$(free_port)
# SSE streams stay HTTP connections: room for the subscribers and the senders.
"${GATEHOUSE_ENGINE:-$build/app/gatehouse}" --headless --data-dir "$tmp/data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --mqtt-listen "127.0.0.1:$mqtt_port" --max-connections $((ws_subs + 256)) ${LIVE_BATCH_MS:+--live-batch-ms "$LIVE_BATCH_MS"} \
    2>"$tmp/engine.log" &
engine_pid=$!
for _ in $(seq 200); do grep -q "gatehouse.mqtt: connected to" "$tmp/engine.log" && break; sleep 0.1; done
grep -q "gatehouse.mqtt: connected to" "$tmp/engine.log" || { echo "engine did not connect to its broker:" >&2; cat "$tmp/engine.log" >&2; exit 1; }
gw=$(sed -n 's/.*gateway listening on http:\/\/\(.*\)$/\1/p' "$tmp/engine.log")
broker_pid=$(sed -n 's/.*mosquitto \([0-9]*\) listening on.*/\1/p' "$tmp/engine.log" | tail -1)
broker=$(sed -n 's/.*MQTT broker \(mqtt:\/\/[^ ]*\) (managed.*/\1/p' "$tmp/engine.log")
[[ $broker == mqtt://127.0.0.1:* ]] || { echo "unexpected broker address '$broker'" >&2; exit 1; }
url="tcp://${broker#mqtt://}"
curl -s -o /dev/null -XPOST "http://$gw/api/products" -H 'content-type: application/json' -d '{"name":"warm-up","price":1.5}'
sleep 0.5

# start_sub FILTER COUNT [BROKER_URL] -> runs the counting subscriber in the background, returns when subscribed
start_sub() {
    : >"$tmp/sub.out"
    "$mq" sub "${3:-$url}" "$1" "$2" 20 >"$tmp/sub.out" 2>"$tmp/sub.err" &
    sub_pid=$!
    for _ in $(seq 100); do grep -q READY "$tmp/sub.out" && return 0; sleep 0.05; done
    echo "subscriber did not get ready: $(cat "$tmp/sub.err")" >&2; exit 1
}
# finish_sub -> waits for the subscriber, leaves its result line in $sub
finish_sub() {
    wait "$sub_pid" || echo "warning: subscriber did not receive everything: $(cat "$tmp/sub.out" "$tmp/sub.err")" >&2
    sub_pid=""; sub=$(grep MQTT_SUB "$tmp/sub.out" || true)
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $2"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo "## Live protocols ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); mosquitto $(mosquitto -h 2>/dev/null | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1), managed by the engine)"
echo
if [[ $parts == *outbox* ]]; then
# The outbox part runs against its own broker (the managed broker's settings), so the
# subscriber can be listening before the engine that publishes starts.
ob_port=$(free_port)
cat >"$tmp/outbox-broker.conf" <<CONF
listener $ob_port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 100000
set_tcp_nodelay true
max_inflight_messages 1000
CONF
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
"$mosquitto_bin" -c "$tmp/outbox-broker.conf" 2>"$tmp/outbox-broker.log" &
ob_broker_pid=$!
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$ob_port) 2>/dev/null && break; sleep 0.05; done
ob_url="tcp://127.0.0.1:$ob_port"

outbox=(); raw=(); http=(); received=(); raw_received=()
for run in $(seq "$runs"); do
    data="$tmp/outbox-$run"
    # 1. Load the log with MQTT off.
    "$build/app/gatehouse" --headless --data-dir "$data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --no-mqtt \
        --durability normal 2>"$tmp/load.log" &
    load_pid=$!
    for _ in $(seq 100); do grep -q "gateway listening on" "$tmp/load.log" && break; sleep 0.05; done
    load_gw=$(sed -n 's/.*gateway listening on http:\/\/\(.*\)$/\1/p' "$tmp/load.log")
    load=$("$ws" post "$load_gw" "$events" 16) || echo "warning: not every create was accepted: $load" >&2
    kill "$load_pid"; wait "$load_pid" || true
    # 2. Subscribe, then start an engine whose outbox publishes the whole log.
    start_sub 'gatehouse/events/#' "$events" "$ob_url"
    "$build/app/gatehouse" --headless --data-dir "$data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
        --mqtt-url "$ob_url" 2>"$tmp/outbox.log" &
    outbox_pid=$!
    finish_sub
    kill "$outbox_pid"; wait "$outbox_pid" || true
    outbox+=("$(field rate "$sub")"); received+=("$(field count "$sub")"); http+=("$(field rate "$load")")
    payload=$(field avg_payload "$sub"); topic=$(field avg_topic "$sub")
    # Baseline: same payload size, a test topic of the same length (prefix + '/' + 36 characters).
    prefix="bench/raw/$(head -c $((topic > 47 ? topic - 47 : 1)) /dev/zero | tr '\0' 'p')"
    start_sub 'bench/raw/#' "$events" "$ob_url"
    "$mq" pub "$ob_url" "$prefix" "$events" "${payload%.*}" 64 >/dev/null
    finish_sub
    raw+=("$(field rate "$sub")"); raw_received+=("$(field count "$sub")")
done
kill "$ob_broker_pid" 2>/dev/null || true; wait "$ob_broker_pid" 2>/dev/null || true; ob_broker_pid=""
o=$(printf '%s\n' "${outbox[@]}" | median); r=$(printf '%s\n' "${raw[@]}" | median); h=$(printf '%s\n' "${http[@]}" | median)

echo "### MQTT: events to one QoS 1 subscriber ($events per run, median of $runs; payload ${payload%.*} B, topic $topic B)"
echo
echo "| path | messages/s | runs | received per run | ratio | target |"
echo "|---|---:|---|---|---:|---|"
echo "| raw broker: Paho QoS 1 publisher (64 in flight) -> mosquitto -> subscriber | $r | ${raw[*]} | ${raw_received[*]} | 1.00 | |"
echo "| outbox: preloaded log -> outbox -> mosquitto -> subscriber | $o | ${outbox[*]} | ${received[*]} | $(ratio "$o" "$r") of raw | >= 0.7x |"
echo "| (HTTP ingest rate of the preload, 16 connections, MQTT off) | $h | ${http[*]} | | | |"
echo

fi

if [[ $parts == *ws* ]]; then
for protocol in ws sse; do
for client in $ws_clients; do
    echo "### Fan-out ($protocol, $client subscribers)"
    echo
    before=$(awk '{print $14 + $15}' "/proc/$engine_pid/stat")
    threads=${WS_THREADS:-$([ "$client" = qt ] && echo 4 || echo 2)}
    out=$("$ws" fanout "$gw" "$ws_subs" "$ws_rate" "$ws_seconds" "$threads" "$protocol" "$client") || out+=$'\n(fan-out reported a problem, see the table)'
    after=$(awk '{print $14 + $15}' "/proc/$engine_pid/stat")
    echo "$out"
    # The engine's own CPU time (its threads, not its broker's) for the whole run, per frame.
    delivered=$(sed -n 's/^| all events delivered, warm-up included[^|]*| \([0-9]*\) .*/\1/p' <<<"$out")
    awk -v b="$before" -v a="$after" -v hz="$(getconf CLK_TCK)" -v n="${delivered:-0}" 'BEGIN {
        s = (a - b) / hz; printf "\nEngine CPU over the run: %.1f s, %.2f us per delivered event\n", s, (n > 0 ? s * 1e6 / n : 0) }'
    echo
done
done

fi

if [[ $parts == *commands* ]]; then
cmd_clients=${CMD_CLIENTS:-paho lean}
hz=$(getconf CLK_TCK)
# utime + stime of the processes given, in clock ticks (fields 14 and 15 of /proc/PID/stat,
# counted after the ")" that ends the process name, which may hold spaces).
cpu_ticks() {
    local p v t=0
    for p in "$@"; do
        v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') && [ -n "$v" ] && t=$((t + v))
    done
    echo "$t"
}
declare -A cmd_rate cmd_p50 cmd_p99 cmd_cpu
cmd_lines=()
for _ in $(seq "$runs"); do
    for client in $cmd_clients; do
        if [ "$client" = lean ]; then tool=$lean; else tool=$mq; fi
        broker_ticks=$(cpu_ticks $broker_pid); engine_ticks=$(cpu_ticks $engine_pid)
        mode=(); [ "$client" = lean ] || mode=(commands)
        out=$( { TIMEFORMAT="CLIENT_CPU %U %S"; time "$tool" "${mode[@]}" "$url" gatehouse "$cmd_seconds" "$cmd_inflight"; } 2>&1) \
            || echo "warning: $client: $out" >&2
        broker_ticks=$(( $(cpu_ticks $broker_pid) - broker_ticks )); engine_ticks=$(( $(cpu_ticks $engine_pid) - engine_ticks ))
        line=$(grep '^MQTT_CMD' <<<"$out" || true)
        cmd_lines+=("$client: $line")
        replies=$(field replies "$line")
        cmd_rate[$client]+="$(field rate "$line") "; cmd_p50[$client]+="$(field p50_ms "$line") "; cmd_p99[$client]+="$(field p99_ms "$line") "
        cmd_cpu[$client]+="$(awk -v e="$engine_ticks" -v b="$broker_ticks" -v hz="$hz" -v n="${replies:-0}" \
            '/^CLIENT_CPU/ {c = $2 + $3} END {if (n > 0) printf "%.0f/%.0f/%.0f", e / hz * 1e6 / n, b / hz * 1e6 / n, c * 1e6 / n}' <<<"$out") "
    done
done
echo "### MQTT command ingest (MQTT 5, response topic + correlation data, $cmd_inflight in flight, ${cmd_seconds} s, median of $runs)"
echo
echo "| client | replies/s (median) | runs | p50 ms | p99 ms | CPU per reply, engine / broker / client (µs), runs |"
echo "|---|---:|---|---:|---:|---|"
for client in $cmd_clients; do
    echo "| $client | $(printf '%s\n' ${cmd_rate[$client]} | median) | ${cmd_rate[$client]}| $(printf '%s\n' ${cmd_p50[$client]} | median) | $(printf '%s\n' ${cmd_p99[$client]} | median) | ${cmd_cpu[$client]}|"
done
echo
printf '%s\n' "${cmd_lines[@]}" | sed 's/^/    /'
# One command at a time: the round trip itself (client -> broker -> engine -> disk -> broker ->
# client), where a packet held back by Nagle's algorithm shows as a delayed acknowledgement.
one=$("$mq" commands "$url" gatehouse 5 1) || echo "warning: $one" >&2
echo
echo "One command in flight, 5 s: $(field rate "$one") replies/s, p50 $(field p50_ms "$one") ms, p99 $(field p99_ms "$one") ms"
fi
grep -i "warn\|error\|lost" "$tmp/engine.log" | grep -v "^gatehouse.mqtt.broker: .*New\|Client .* closed" | head -5 | sed 's/^/engine: /' >&2 || true
