# Sourced by the benchmark scripts: one `gatehouse --headless` in a temporary directory, stopped
# (with the directory removed) when the script exits, however it exits.
#   bench_engine_start ARGS...   starts it on free loopback ports with admin key "bench" and the
#                                given options; sets engine_pid, gw and adm (host:port)
# Needs: build (the build directory) set before sourcing.
bench_tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")
engine_pid=""
bench_cleanup() {
    set +e   # everything is stopped, whatever one of them answers
    [ -n "$engine_pid" ] && kill "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null
    rm -rf "$bench_tmp"
}
trap bench_cleanup EXIT

bench_engine_start() {
    "$build/app/gatehouse" --headless --data-dir "$bench_tmp/data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
        --admin-key bench "$@" >/dev/null 2>"$bench_tmp/engine.log" &
    engine_pid=$!
    for _ in $(seq 100); do grep -q "admin API listening" "$bench_tmp/engine.log" && break; sleep 0.1; done
    gw=$(sed -n 's/.*gateway listening on http:\/\/\(.*\)$/\1/p' "$bench_tmp/engine.log")
    adm=$(sed -n 's/.*admin API listening on http:\/\/\(.*\)$/\1/p' "$bench_tmp/engine.log")
    [ -n "$gw" ] && [ -n "$adm" ] || { echo "the engine did not start:" >&2; cat "$bench_tmp/engine.log" >&2; exit 2; }
}
