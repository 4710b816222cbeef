#!/usr/bin/env bash
# An index added at run time to a collection of DOCS documents (default 1,000,000) while reads
# run at RATE per second (default 1,000; open model: each request has its intended start, and its
# latency counts from there, so a stall is not hidden by requests that were never sent):
#   1. collection "readings" ({kind, n}) declared through the admin API, loaded with wrk;
#   2. reads (half GET by id of 100 known documents, half the first page of a list) for
#      BEFORE seconds (default 10), then PATCH /admin/collections/readings {"indexes": ["kind"]},
#      reads go on while /admin/collections/readings says the build is running, and AFTER
#      seconds (default 5) more;
#   3. latency p50/p99/max of the reads before, during and after the build, the build's time, and
#      the progress the admin API showed on the way.
# Environment: GATEHOUSE_BUILD_DIR (default ./build, Release), DOCS, RATE, BEFORE, AFTER.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
docs=${DOCS:-1000000}
rate=${RATE:-1000}
before=${BEFORE:-10}
after=${AFTER:-5}
ninja -C "$build" -j"${NINJA_JOBS:-2}" gatehouse >&2

source "$here/engine.sh"
tmp=$bench_tmp
bench_engine_start --durability normal --no-mqtt
curl -sf -o /dev/null -XPUT "http://$adm/admin/collections/readings" -H 'X-API-KEY: bench' \
    -d '{"schema": {"type": "object", "properties": {"id": {"type": "string"}, "kind": {"type": "string"}, "n": {"type": "integer"}}}}'

cat >"$tmp/load.lua" <<'LUA'
local counter = 0
local threads = 0
function setup(thread) thread:set("base", threads * 1000000000); threads = threads + 1 end
function request()
    counter = counter + 1
    local n = base + counter
    return wrk.format("POST", "/api/readings", {["Content-Type"] = "application/json"},
                      '{"kind":"k' .. (n % 50) .. '","n":' .. n .. '}')
end
LUA
count() { curl -sf "http://$adm/admin/collections/readings" -H 'X-API-KEY: bench' | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }
started=$SECONDS
while :; do
    have=$(count)
    [ "$have" -ge "$docs" ] && break
    left=$((docs - have))
    wrk -t2 -c32 -d"$(( left / 8000 + 2 ))s" -s "$tmp/load.lua" "http://$gw" >/dev/null
done
echo "loaded $(count) documents in $((SECONDS - started)) s" >&2

python3 - "$gw" "$adm" "$rate" "$before" "$after" <<'PY'
import http.client, json, statistics, sys, threading, time
gw, adm, rate, before, after = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
def conn(addr):
    host, port = addr.rsplit(':', 1)
    return http.client.HTTPConnection(host, int(port), timeout=120)
def get(c, path, headers={}):
    c.request('GET', path, headers=headers)
    r = c.getresponse()
    return r.status, r.read()
c = conn(gw)
status, body = get(c, '/api/readings?limit=100')
ids = [d['id'] for d in json.loads(body)['items']]
assert len(ids) == 100, body[:200]

events = {}            # 'patch', 'ready'
samples = []           # (intended start, latency ms, status)
progress = []
stop = threading.Event()
def reader(k, workers):
    c = conn(gw)
    interval = workers / rate
    t = time.perf_counter() + k * interval / workers
    i = k
    while not stop.is_set():
        now = time.perf_counter()
        if now < t:
            time.sleep(t - now)
        path = f'/api/readings/{ids[i % 100]}' if i % 2 == 0 else '/api/readings?limit=10'
        status, _ = get(c, path)
        samples.append((t, (time.perf_counter() - t) * 1000, status))
        t += interval
        i += workers
workers = 4
threads = [threading.Thread(target=reader, args=(k, workers)) for k in range(workers)]
start = time.perf_counter()
for t in threads: t.start()
time.sleep(before)
a = conn(adm)
events['patch'] = time.perf_counter()
a.request('PATCH', '/admin/collections/readings', body='{"indexes": ["kind"]}', headers={'X-API-KEY': 'bench'})
r = a.getresponse(); r.read()
assert r.status == 200, r.status
events['answered'] = time.perf_counter()
while True:
    status, body = get(a, '/admin/collections/readings', {'X-API-KEY': 'bench'})
    builds = json.loads(body)['index_builds']
    b = builds[-1]
    progress.append((time.perf_counter() - events['patch'], b['state'], b['progress']))
    if b['state'] in ('ready', 'failed'):
        break
    time.sleep(0.25)
events['ready'] = time.perf_counter()
assert b['state'] == 'ready', b
time.sleep(after)
stop.set()
for t in threads: t.join()

def stats(lo, hi):
    lat = sorted(s[1] for s in samples if lo <= s[0] < hi)
    bad = sum(1 for s in samples if lo <= s[0] < hi and s[2] != 200)
    if not lat:
        return None
    return len(lat), lat[len(lat) // 2], lat[max(0, int(len(lat) * 0.99) - 1)], lat[-1], bad
phases = [('before the build', start + 1, events['patch']), ('during the build', events['patch'], events['ready']),
          ('after the build', events['ready'], events['ready'] + after)]
print(f'## Index build over {int(json.loads(get(a, "/admin/collections/readings", {"X-API-KEY": "bench"})[1])["count"]):,} documents while reads run at {rate}/s')
print()
print(f"PATCH answered in {(events['answered'] - events['patch']) * 1000:.1f} ms; the index was ready "
      f"{events['ready'] - events['patch']:.1f} s after it (polled every 0.25 s).")
print()
print('| reads | count | p50 | p99 | max | non-200 |')
print('|---|---:|---:|---:|---:|---:|')
for name, lo, hi in phases:
    s = stats(lo, hi)
    if s:
        print(f'| {name} | {s[0]} | {s[1]:.2f} ms | {s[2]:.2f} ms | {s[3]:.1f} ms | {s[4]} |')
print()
shown = [f'{t:.1f} s: {p:.0%}' for t, state, p in progress if state == 'building' and p is not None]
print('Progress seen in /admin/collections/readings: ' + (', '.join(shown[:: max(1, len(shown) // 8)]) if shown else 'none (too fast)'))
PY
