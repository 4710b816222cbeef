#!/usr/bin/env bash
# What a long stream costs a custom command, with and without snapshots (one engine, one run):
#   - collection "snap" keeps a snapshot every 100 events (the default), "plain" none
#     (snapshot_every: 0); both have the custom command `bump` (an inline decide function);
#   - one entity of each is given LONG events (default 100,000) through updates (merge patches), and FRESH
#     entities of each get one event;
#   - then, one request at a time on one keep-alive connection, ROUNDS rounds that each send
#     `bump` to the long and to a fresh entity of both collections, and GET ?at_position= of
#     both long entities (time travel to the newest position), in turn; medians of each.
# The engine runs with --durability normal, so a command's latency is not mostly fsync.
# Environment: GATEHOUSE_BUILD_DIR (default ./build, Release), LONG=100000, ROUNDS=300.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
long=${LONG:-100000}
rounds=${ROUNDS:-300}
ninja -C "$build" -j"${NINJA_JOBS:-2}" gatehouse >&2

source "$here/engine.sh"
tmp=$bench_tmp

decide='function (state, command) { return [{type: \"updated\", data: {n: ((state && state.n) || 0) + 1}}]; }'
cat > "$tmp/project.json" <<JSON
{"collections": {
  "snap":  {"schema": {"type": "object"}, "commands": {"bump": {"decide": "$decide"}}},
  "plain": {"schema": {"type": "object"}, "commands": {"bump": {"decide": "$decide"}}, "snapshot_every": 0}
}}
JSON

bench_engine_start --project "$tmp/project.json" --durability normal --no-mqtt

python3 - "$gw" "$long" "$rounds" "$engine_pid" <<'PY'
import http.client, json, statistics, sys, threading, time
host, port = sys.argv[1].rsplit(':', 1)
long_events, rounds, pid = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def connect():
    return http.client.HTTPConnection(host, int(port), timeout=60)

def call(conn, method, path, body=None, headers=None):
    h = {'content-type': 'application/json'}
    h.update(headers or {})
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = conn.getresponse()
    data = r.read()
    return r.status, r.getheader('x-event-position'), data

def cpu_ms():
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / 100   # utime + stime, clock ticks of 10 ms

# The long entities: created, then updated from 8 connections until each has `long_events` events.
position = 0
for c in ('snap', 'plain'):
    status, pos, body = call(connect(), 'POST', f'/api/{c}', {'id': 'long', 'n': 0})
    assert status == 202, body
def patcher(collection, count, out):
    conn = connect()
    last = 0
    for i in range(count):
        status, pos, body = call(conn, 'POST', f'/api/{collection}/long', {'m': i})
        assert status == 202, body
        last = max(last, int(pos))
    out.append(last)
started = time.time()
for c in ('snap', 'plain'):
    done, threads = [], []
    per = (long_events - 1) // 8
    for t in range(8):
        n = per + (1 if t < (long_events - 1) % 8 else 0)
        threads.append(threading.Thread(target=patcher, args=(c, n, done)))
    for t in threads: t.start()
    for t in threads: t.join()
    position = max(position, max(done))
print(f'loaded 2 x {long_events} events in {time.time() - started:.0f} s', file=sys.stderr)
fresh = []
conn = connect()
for i in range(rounds):
    for c in ('snap', 'plain'):
        status, pos, body = call(conn, 'POST', f'/api/{c}', {'id': f'fresh-{i}', 'n': 0})
        assert status == 202, body
        position = max(position, int(pos))
# Every event projected (snapshots written) before measuring.
status, _, body = call(conn, 'GET', '/api/snap/long', headers={'x-min-position': str(position)})
assert status == 200, body
status, _, body = call(conn, 'GET', '/api/plain/long', headers={'x-min-position': str(position)})
assert status == 200, body

times = {k: [] for k in ('snap long', 'snap fresh', 'plain long', 'plain fresh', 'snap travel', 'plain travel')}
def timed(key, method, path, expect):
    t0 = time.perf_counter()
    status, pos, body = call(conn, method, path)
    times[key].append((time.perf_counter() - t0) * 1000)
    assert status == expect, (key, status, body)
    return pos
cpu_before = cpu_ms()
for i in range(rounds):
    timed('snap long', 'POST', '/api/snap/long/bump', 202)
    timed('snap fresh', 'POST', f'/api/snap/fresh-{i}/bump', 202)
    p = timed('plain long', 'POST', '/api/plain/long/bump', 202)
    timed('plain fresh', 'POST', f'/api/plain/fresh-{i}/bump', 202)
    timed('snap travel', 'GET', f'/api/snap/long?at_position={p}', 200)
    timed('plain travel', 'GET', f'/api/plain/long?at_position={p}', 200)
cpu_after = cpu_ms()
med = {k: statistics.median(v) for k, v in times.items()}
p99 = {k: sorted(v)[int(len(v) * 0.99) - 1] for k, v in times.items()}
print(f'## Custom command on a {long_events:,}-event entity vs a fresh one ({rounds} rounds, one request at a time, medians)')
print()
print('| | long entity | fresh entity | long / fresh | p99 long | target |')
print('|---|---:|---:|---:|---:|---|')
r = med['snap long'] / med['snap fresh']
print(f"| with snapshots (every 100) | {med['snap long']:.2f} ms | {med['snap fresh']:.2f} ms | {r:.2f}x | {p99['snap long']:.2f} ms | <= 2x: {'met' if r <= 2 else 'missed'} |")
r = med['plain long'] / med['plain fresh']
print(f"| without snapshots | {med['plain long']:.2f} ms | {med['plain fresh']:.2f} ms | {r:.2f}x | {p99['plain long']:.2f} ms | (reference) |")
print()
print(f"Time travel to the newest position of the long entity (GET ?at_position=): {med['snap travel']:.2f} ms with snapshots, "
      f"{med['plain travel']:.2f} ms without ({med['plain travel'] / med['snap travel']:.0f}x).")
print(f'Engine CPU over the measured rounds: {(cpu_after - cpu_before) / (rounds * 6):.2f} ms per request on average.')
PY
