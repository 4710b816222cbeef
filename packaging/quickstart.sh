#!/usr/bin/env bash
# Set up, build and run or test Gatehouse on Debian 12.
#   ./packaging/quickstart.sh run  [gatehouse options]   install what is missing, build, start
#   ./packaging/quickstart.sh test [ctest options]       install what is missing, build, run every test
# Environment: GATEHOUSE_BUILD_DIR (default ./build), GATEHOUSE_GUI (ON|OFF, default ON),
#              GATEHOUSE_BUILD_TYPE (default Release), GATEHOUSE_JOBS (default 2).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
gui=${GATEHOUSE_GUI:-ON}
jobs=${GATEHOUSE_JOBS:-2}

usage() {
    echo "usage: $0 run|test [args...]" >&2
    exit 2
}

# Every build, run and test dependency, as Debian 12 packages.
packages=(
    cmake ninja-build g++ pkg-config git ca-certificates
    qt6-base-dev qt6-base-dev-tools qt6-websockets-dev qt6-declarative-dev qt6-charts-dev
    libgl-dev node-llhttp libsqlite3-dev sqlite3 libssl-dev libgoogle-perftools-dev
    libpaho-mqttpp-dev libpaho-mqtt-dev mosquitto mosquitto-clients
    curl wrk xvfb xauth
)

install_missing() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "quickstart: installing ${missing[*]}" >&2
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

configure_and_build() {
    cmake -S "$root" -B "$build" -G Ninja \
        -DCMAKE_BUILD_TYPE="${GATEHOUSE_BUILD_TYPE:-Release}" \
        -DGATEHOUSE_GUI="$gui" >&2
    cmake --build "$build" -j "$jobs" >&2
}

has_display() {
    [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]
}

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
    configure_and_build
    cd "$build"
    # The summary line of CTest is the last thing printed.
    exec ctest --output-on-failure --timeout 600 -j "$jobs" "$@"
    ;;
*)
    usage
    ;;
esac
