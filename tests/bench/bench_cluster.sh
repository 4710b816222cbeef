#!/usr/bin/env bash
# Engines on PostgreSQL, end to end over HTTP, in one run on one server of its own (fsync,
# synchronous_commit and full_page_writes on):
#
#   1. baseline: pgbench, CONNECTIONS connections each inserting one event-sized row per
#      transaction into a plain table, as fast as the server commits them;
#   2. durable commands/s through one engine (wrk, post_products.lua, CONNECTIONS connections);
#   3. the same through two engines on one database (CONNECTIONS/2 connections each, at once);
#      every run checks that each 202 names its own position and the log grew by the 202s;
#   4. take-over: with the two engines up, the owner of the upsert projection is killed with
#      SIGKILL and the time until the other reports it running is measured (from the kill),
#      TAKEOVERS times (the killed engine is started again as the standby in between);
#   5. rebuild from PostgreSQL: the upsert projection rebuilt from the log the runs wrote,
#      events/s.
# Baseline and engine runs alternate, RUNS times; medians and ratios are printed as Markdown.
#
#   tests/bench/bench_cluster.sh
#
# Environment (all optional): GATEHOUSE_BUILD_DIR (default ./build), BENCH_TMPDIR (default
# $TMPDIR or /tmp; must be a real disk for fsync to mean anything), RUNS=3, CONNECTIONS=64,
# DURATION=8s, TAKEOVERS=5, NINJA_JOBS=1.
# Exit status: 0 when everything ran and no command was lost (targets missed do not fail it),
# 1 on a lost command, 2 when the benchmark could not run.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
LUA_SCRIPT="$SCRIPT_DIR/post_products.lua"
FIXTURE="$SOURCE_DIR/tests/support/postgres-fixture.sh"

RUNS=${RUNS:-3}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-8s}
TAKEOVERS=${TAKEOVERS:-5}
NINJA_JOBS=${NINJA_JOBS:-1}
ADMIN_KEY=bench-cluster-admin-key

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

BUILD_DIR=${GATEHOUSE_BUILD_DIR:-build}
if [[ ! -d $BUILD_DIR && -z ${GATEHOUSE_BUILD_DIR:-} && -d $SOURCE_DIR/build ]]; then
    BUILD_DIR=$SOURCE_DIR/build
fi
[[ -f $BUILD_DIR/build.ninja ]] || die "no configured Ninja build in '$BUILD_DIR' (set GATEHOUSE_BUILD_DIR)"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
GATEHOUSE=$BUILD_DIR/app/gatehouse
log "building gatehouse in $BUILD_DIR (-j$NINJA_JOBS)"
ninja -C "$BUILD_DIR" -j"$NINJA_JOBS" gatehouse >&2 || die "building gatehouse failed"
for tool in wrk curl python3 pgbench psql; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required (quickstart.sh installs it)"
done

TMP_BASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
WORK=$(mktemp -d "$TMP_BASE/gatehouse-bench-cluster.XXXXXX")
chmod 755 "$WORK"
declare -A PIDS=()      # engine name -> pid
declare -A GATEWAY=()   # engine name -> gateway port
declare -A ADMIN=()     # engine name -> admin port
declare -A DATA=()      # engine name -> data directory
declare -A DB=()        # engine name -> database URL
WRK_PIDS=()

stop_engine() {
    local name=$1 pid=${PIDS[$1]:-}
    [[ -n $pid ]] || return 0
    unset "PIDS[$name]"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local pid name
    for pid in "${WRK_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for name in "${!PIDS[@]}"; do stop_engine "$name"; done
    sh "$FIXTURE" stop "$WORK/pg" >/dev/null 2>&1 || true
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
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
now_ms() { date +%s%3N; }
field() {   # field NAME "k=v k=v ..."
    local word
    for word in $2; do
        [[ ${word%%=*} == "$1" ]] && { echo "${word#*=}"; return 0; }
    done
    echo 0
}
json_field() {   # json_field KEY <<< JSON
    python3 -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1" 2>/dev/null
}

# ---------------------------------------------------------------------------------------------
# The server: the test suite's fixture, then made durable.

log "starting PostgreSQL (tests/support/postgres-fixture.sh)"
sh "$FIXTURE" start "$WORK/pg" >&2 || die "cannot start PostgreSQL"
SERVER=$(cat "$WORK/pg/url")
psql -qX "$SERVER" -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
    -c "ALTER SYSTEM SET full_page_writes = on" -c "SELECT pg_reload_conf()" >/dev/null || die "cannot configure PostgreSQL"
sleep 0.5
SETTINGS=$(psql -qXAt "$SERVER" -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings
    WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'server_version')")
log "server: $SETTINGS"

new_database() {   # prints the URL of a new, empty database
    psql -qX "$SERVER" -c "CREATE DATABASE \"$1\" TEMPLATE template0" >/dev/null || die "cannot create database $1"
    echo "${SERVER%/*}/$1"
}

# ---------------------------------------------------------------------------------------------
# Engines

# start_engine NAME DATABASE_URL: a fresh data directory unless NAME ran before (then its own
# again, on its ports); waits for /health.
start_engine() {
    local name=$1 url=$2
    if [[ -z ${DATA[$name]:-} ]]; then
        DATA[$name]="$WORK/engine-$name"
        GATEWAY[$name]=$(free_port)
        ADMIN[$name]=$(free_port)
    fi
    DB[$name]=$url
    "$GATEHOUSE" --headless --no-mqtt --data-dir "${DATA[$name]}" --database "$url" --admin-key "$ADMIN_KEY" \
        --listen "127.0.0.1:${GATEWAY[$name]}" --admin-listen "127.0.0.1:${ADMIN[$name]}" \
        >>"$WORK/engine-$name.log" 2>&1 &
    PIDS[$name]=$!
    for _ in $(seq 1 300); do
        kill -0 "${PIDS[$name]}" 2>/dev/null || break
        if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:${ADMIN[$name]}/health" 2>/dev/null \
            && curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:${GATEWAY[$name]}/" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    tail -n 30 "$WORK/engine-$name.log" | sed 's/^/    /' >&2
    die "engine $name did not start"
}

projection_status() {   # projection_status NAME -> running, standby, rebuilding, ... or "" if unreachable
    curl -sS --max-time 2 -H "X-API-KEY: $ADMIN_KEY" "http://127.0.0.1:${ADMIN[$1]}/admin/projections/upsert" 2>/dev/null \
        | json_field status || true
}

head_position() {
    curl -fsS --max-time 5 "http://127.0.0.1:${ADMIN[$1]}/health" | json_field position
}

# run_wrk NAME CONNECTIONS OUT: in the background; WRK_PIDS gets its pid.
run_wrk() {
    wrk -t2 -c"$2" -d"$DURATION" --timeout 10s -s "$LUA_SCRIPT" "http://127.0.0.1:${GATEWAY[$1]}" >"$3" 2>&1 &
    WRK_PIDS+=($!)
}

# Waits for every wrk started (in this shell: not from a $(...) subshell, which cannot wait for
# them); sets RATE to the accepted commands per second, summed, and checks the
# log: every 202 its own position, the log grown by at least the 202s and at most the 202s plus
# the requests unanswered at the cut-off.
CHECK_FAILED=0
finish_wrk() {   # finish_wrk HEAD_BEFORE ENGINE OUT...
    local before=$1 engine=$2
    shift 2
    local pid rate=0 accepted=0 unanswered=0 out r
    for pid in "${WRK_PIDS[@]}"; do wait "$pid" || { sed "s/^/    /" "$@" >&2; die "wrk failed"; }; done
    WRK_PIDS=()
    for out in "$@"; do
        r=$(sed -n 's/^WRK_RESULT //p' "$out")
        [[ -n $r ]] || { sed 's/^/    /' "$out" >&2; die "wrk printed no result"; }
        rate=$(awk -v a="$rate" -v n="$(field status_202 "$r")" -v us="$(field duration_us "$r")" 'BEGIN {printf "%.0f", a + n / (us / 1e6)}')
        accepted=$((accepted + $(field status_202 "$r")))
        unanswered=$((unanswered + $(field unanswered "$r")))
        if [[ $(field duplicate_positions "$r") -ne 0 || $(field positions "$r") -ne $(field status_202 "$r") ]]; then
            log "LOST COMMANDS: 202s share a position in $out"
            CHECK_FAILED=1
        fi
    done
    local after previous=-1
    for _ in $(seq 1 50); do   # settled: commands in flight at the cut-off are committed after it
        after=$(head_position "$engine")
        [[ $after == "$previous" ]] && break
        previous=$after
        sleep 0.2
    done
    local grown=$((after - before))
    if ((grown < accepted || grown > accepted + unanswered)); then
        log "LOST COMMANDS: the log grew by $grown for $accepted accepted (+ $unanswered unanswered)"
        CHECK_FAILED=1
    else
        log "check: $accepted 202s, the log grew by $grown (at most $unanswered unanswered at the cut-off)"
    fi
    RATE=$rate
}

BASE=() ONE=() TWO=()
cat >"$WORK/baseline.sql" <<'SQL'
\set n random(1, 1000000000)
INSERT INTO baseline(stream, type, data, metadata, time) VALUES ('products-' || :n, 'products.created', '{"id":"' || :n || '","name":"Widget","price":1.5,"sku":"ABC-123"}', '{}', 0);
SQL
for run in $(seq 1 "$RUNS"); do
    url=$(new_database "baseline_$run")
    psql -qX "$url" -c "CREATE TABLE baseline(id bigserial PRIMARY KEY, stream text NOT NULL, type text NOT NULL,
        data text NOT NULL, metadata text NOT NULL, time bigint NOT NULL)" >/dev/null
    tps=$(pgbench -n -c "$CONNECTIONS" -j 2 -T "${DURATION%s}" -f "$WORK/baseline.sql" "$url" 2>&1 \
        | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | tail -n 1)
    [[ -n $tps ]] || die "pgbench printed no tps"
    BASE+=("${tps%.*}")
    log "run $run/$RUNS: baseline (pgbench, $CONNECTIONS connections, one INSERT per transaction): ${tps%.*}/s"

    url=$(new_database "one_$run")
    start_engine one "$url"
    run_wrk one "$CONNECTIONS" "$WORK/wrk-one-$run.txt"
    finish_wrk 0 one "$WORK/wrk-one-$run.txt"
    ONE+=("$RATE")
    log "run $run/$RUNS: one engine, $CONNECTIONS connections: ${ONE[-1]} commands/s"
    stop_engine one
    unset "DATA[one]"

    url=$(new_database "two_$run")
    start_engine a "$url"
    start_engine b "$url"
    run_wrk a $((CONNECTIONS / 2)) "$WORK/wrk-a-$run.txt"
    run_wrk b $((CONNECTIONS / 2)) "$WORK/wrk-b-$run.txt"
    finish_wrk 0 a "$WORK/wrk-a-$run.txt" "$WORK/wrk-b-$run.txt"
    TWO+=("$RATE")
    log "run $run/$RUNS: two engines, $((CONNECTIONS / 2)) connections each: ${TWO[-1]} commands/s"
    if ((run < RUNS)); then
        stop_engine a
        stop_engine b
        unset "DATA[a]" "DATA[b]"
    fi
done

# ---------------------------------------------------------------------------------------------
# Take-over: a and b are up on the last run's database, which holds its commands.

TAKE=()
for round in $(seq 1 "$TAKEOVERS"); do
    owner="" other=""
    for _ in $(seq 1 300); do
        if [[ $(projection_status a) == running ]]; then owner=a other=b; break; fi
        if [[ $(projection_status b) == running ]]; then owner=b other=a; break; fi
        sleep 0.05
    done
    [[ -n $owner ]] || die "neither engine runs the projection"
    for _ in $(seq 1 300); do [[ $(projection_status "$other") == standby ]] && break; sleep 0.05; done
    [[ $(projection_status "$other") == standby ]] || die "engine $other is not the standby"
    start=$(now_ms)
    kill -KILL "${PIDS[$owner]}"
    wait "${PIDS[$owner]}" 2>/dev/null || true
    unset "PIDS[$owner]"
    taken=""
    while (($(now_ms) - start < 30000)); do
        if [[ $(projection_status "$other") == running ]]; then taken=$(($(now_ms) - start)); break; fi
        sleep 0.02
    done
    [[ -n $taken ]] || die "engine $other did not take the projection over within 30 s"
    TAKE+=("$taken")
    log "take-over $round/$TAKEOVERS: engine $other runs the projection ${taken} ms after engine $owner was killed"
    start_engine "$owner" "${DB[$other]}"
done

# ---------------------------------------------------------------------------------------------
# Rebuild from PostgreSQL: the owner rebuilds the projection from the log.

REBUILD=()
for run in $(seq 1 "$RUNS"); do
    owner=a
    [[ $(projection_status a) == running ]] || owner=b
    head=$(head_position "$owner")
    start=$(now_ms)
    curl -fsS --max-time 10 -X POST -H "X-API-KEY: $ADMIN_KEY" -o /dev/null \
        "http://127.0.0.1:${ADMIN[$owner]}/admin/projections/upsert/rebuild" || die "rebuild refused"
    done_ms=""
    while (($(now_ms) - start < 600000)); do
        body=$(curl -sS --max-time 2 -H "X-API-KEY: $ADMIN_KEY" "http://127.0.0.1:${ADMIN[$owner]}/admin/projections/upsert" || true)
        if [[ $(json_field status <<<"$body") == running && $(json_field position <<<"$body") -ge $head ]]; then
            done_ms=$(($(now_ms) - start))
            break
        fi
        sleep 0.05
    done
    [[ -n $done_ms ]] || die "the rebuild did not finish"
    REBUILD+=("$(awk -v n="$head" -v ms="$done_ms" 'BEGIN {printf "%.0f", n / (ms / 1000)}')")
    log "rebuild $run/$RUNS: $head events in $done_ms ms: ${REBUILD[-1]} events/s"
done

b=$(printf '%s\n' "${BASE[@]}" | median)
one=$(printf '%s\n' "${ONE[@]}" | median)
two=$(printf '%s\n' "${TWO[@]}" | median)
take=$(printf '%s\n' "${TAKE[@]}" | median)
take_max=$(printf '%s\n' "${TAKE[@]}" | sort -n | tail -n 1)
rebuild=$(printf '%s\n' "${REBUILD[@]}" | median)

echo "server: $SETTINGS; $CONNECTIONS connections, $DURATION per run, medians of $RUNS runs"
echo
echo "| measurement | value | vs baseline | target |"
echo "|---|---:|---:|---|"
echo "| baseline: one INSERT per transaction (pgbench), per second | $b | 1.00 | |"
echo "| durable commands/s, one engine | $one | $(ratio "$one" "$b") | >= 3x |"
echo "| durable commands/s, two engines | $two | $(ratio "$two" "$b") | >= 3x |"
echo "| take-over after kill -9 of the owner, ms (median, max of $TAKEOVERS) | $take ($take_max) | | < 5000 |"
echo "| rebuild of the upsert projection from PostgreSQL, events/s | $rebuild | | |"
echo
echo "runs: baseline ${BASE[*]}; one engine ${ONE[*]}; two engines ${TWO[*]}; take-overs ${TAKE[*]} ms; rebuilds ${REBUILD[*]}"
exit "$CHECK_FAILED"
