#!/usr/bin/env bash
# Set up, build and run or test Gatehouse on Debian 12.
#   ./packaging/quickstart.sh run  [gatehouse options]   install what is missing, build, start
#   ./packaging/quickstart.sh test [ctest options]       install what is missing, build, run every test
#   ./packaging/quickstart.sh deb                        build gatehouse_<version>_amd64.deb (in build/package)
#   ./packaging/quickstart.sh service                    (root) the .deb installed on a fresh Debian 12 booted
#                                                        with systemd, the service started, a console attached
# Preset builds (CMakePresets.json; each in its own build-<preset> directory):
#   ./packaging/quickstart.sh headless [ctest options]   no GUI, warnings are errors; every test it has
#   ./packaging/quickstart.sh asan [ctest options]       headless tree, its tests under AddressSanitizer + UBSan
#   ./packaging/quickstart.sh tsan [ctest options]       the store, projection, HTTP and MQTT tests under TSan
#   ./packaging/quickstart.sh fuzz [seconds [target...]] each libFuzzer target on its seeds (default 25 s each)
# Environment: GATEHOUSE_BUILD_DIR (default ./build), GATEHOUSE_GUI (ON|OFF, default ON),
#              GATEHOUSE_BUILD_TYPE (default Release), GATEHOUSE_JOBS (default 2).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
gui=${GATEHOUSE_GUI:-ON}
jobs=${GATEHOUSE_JOBS:-2}

usage() {
    echo "usage: $0 run|test|deb|service|headless|asan|tsan|fuzz [args...]" >&2
    exit 2
}

# Every build, run and test dependency, as Debian 12 packages.
packages=(
    cmake ninja-build g++ pkg-config git ca-certificates ccache
    qt6-base-dev qt6-base-dev-tools qt6-websockets-dev qt6-declarative-dev qt6-charts-dev
    qtkeychain-qt6-dev  # the console keeps the admin keys of remote engines in the desktop's keychain
    libgl-dev node-llhttp libsqlite3-dev sqlite3 libssl-dev libgoogle-perftools-dev
    libqt6sql6-sqlite libqt6sql6-psql libpq-dev
    postgresql-15  # the server the tests start in a temporary directory (the packaged cluster is not used)
    libpaho-mqttpp-dev libpaho-mqtt-dev mosquitto mosquitto-clients
    curl wrk xvfb xauth
    openssl  # makes the certificates the TLS tests use
    dpkg-dev file xz-utils lintian desktop-file-utils appstream man-db systemd  # the .deb and its checks
    prometheus  # for promtool, which checks /metrics in the tests; its server is not started
)
# The fuzz preset builds with clang; libclang-rt-14-dev has libFuzzer and clang's sanitizer
# runtimes. (g++'s sanitizer runtimes, for asan and tsan, come with g++.)
fuzz_packages=(clang libclang-rt-14-dev)
# tests/package/check_service.sh boots a minimal Debian 12 in a container with systemd as PID 1.
service_packages=(systemd-container debootstrap)

install_missing() {
    local missing=()
    for p in "${packages[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "quickstart: installing ${missing[*]}" >&2
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    # Debian's prometheus package enables its server; only promtool is wanted here.
    if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null; then
        "${sudo[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
    fi
    # Nor is the cluster Debian's postgresql package creates: the tests start their own.
    if [[ " ${missing[*]} " == *" postgresql-15 "* ]] && command -v systemctl >/dev/null; then
        "${sudo[@]}" systemctl disable --now postgresql >/dev/null 2>&1 || true
    fi
}

# The validators the test suite runs on the engine's OpenAPI and AsyncAPI descriptions, from npm
# at the versions tests/validators/package-lock.json pins (Node.js and npm from Debian unless the
# machine has them already); installed again only when the lock file changes.
install_validators() {
    local tools=()
    command -v node >/dev/null || tools+=(nodejs)
    command -v npm >/dev/null || tools+=(npm)
    [ ${#tools[@]} -eq 0 ] || install_missing "${tools[@]}"
    local dir=$root/tests/validators
    if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.gatehouse-lock.json" 2>/dev/null; then
        echo "quickstart: installing the test validators (npm ci in tests/validators)" >&2
        (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund >&2)
        cp "$dir/package-lock.json" "$dir/node_modules/.gatehouse-lock.json"
    fi
}

# Warnings are errors in this build as in the headless preset (Debian 12's g++ 12 builds the tree
# without one). With the same flags, ccache compiles a file the two builds share only once.
configure_and_build() {
    cmake -S "$root" -B "$build" -G Ninja \
        -DCMAKE_BUILD_TYPE="${GATEHOUSE_BUILD_TYPE:-Release}" \
        -DGATEHOUSE_GUI="$gui" -DGATEHOUSE_WERROR=ON >&2
    cmake --build "$build" -j "$jobs" >&2
}

# A preset: configure, then build the given targets (all when none).
preset_build() {
    local preset=$1
    shift
    cmake -S "$root" --preset "$preset" >&2
    local targets=()
    [ $# -gt 0 ] && targets=(--target "$@")
    cmake --build "$root/build-$preset" -j "$jobs" "${targets[@]}" >&2
}

# The tests TSan runs: threads meet in the store, the projections, the HTTP server and MQTT.
tsan_tests=(tst_eventstore tst_projections tst_httpserver tst_mqtt)

has_display() {
    [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]
}

# Paths under the source tree enter ccache's hashes relative to the build directory, so every
# build-* directory (and every clone) shares what is compiled alike.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}

[ $# -ge 1 ] || usage
command=$1
shift

case "$command" in
run)
    install_missing
    configure_and_build
    if [ "$gui" = ON ] && has_display; then
        exec "$build/app/gatehouse" "$@"
    fi
    exec "$build/app/gatehouse" --headless "$@"
    ;;
test)
    install_missing
    install_validators
    configure_and_build
    cd "$build"
    # The summary line of CTest is the last thing printed.
    exec ctest --output-on-failure --timeout 600 -j "$jobs" "$@"
    ;;
deb)
    install_missing
    configure_and_build
    cpack --config "$build/CPackConfig.cmake" -B "$build/package" >&2
    ls "$build"/package/gatehouse_*_amd64.deb
    ;;
service)
    install_missing "${service_packages[@]}"
    configure_and_build
    exec "$root/tests/package/check_service.sh" "$build"
    ;;
headless)
    install_missing
    install_validators
    preset_build headless
    cd "$root/build-headless"
    # The second runs on PostgreSQL (<test>@postgres) are left to `test`: they run the same
    # code as there on another backend, which the GUI switch does not touch. The PostgreSQL-only
    # tests still run here.
    exec ctest --output-on-failure --timeout 600 -j "$jobs" -E '@postgres$' "$@"
    ;;
asan)
    install_missing
    install_validators
    preset_build asan
    cd "$root/build-asan"
    # The last test prints every sanitizer report (also of engines the tests started).
    exec ctest --output-on-failure -j "$jobs" "$@"
    ;;
tsan)
    install_missing
    preset_build tsan "${tsan_tests[@]}"
    cd "$root/build-tsan"
    exec ctest --output-on-failure -j "$jobs" -R "/($(IFS='|'; echo "${tsan_tests[*]}"))\$" "$@"
    ;;
fuzz)
    install_missing "${fuzz_packages[@]}"
    seconds=${1:-25}
    [ $# -gt 0 ] && shift
    preset_build fuzz fuzzers
    exec "$root/tests/fuzz/run_fuzzers.sh" -d "$seconds" -b "$root/build-fuzz" "$@"
    ;;
*)
    usage
    ;;
esac
