#!/usr/bin/env bash
# Renders each page of the console to PNG with sample data under Xvfb (for README.md).
#   tests/gui/screenshots.sh [OUTPUT_DIR]     default: docs/screenshots
# Environment: GATEHOUSE_BUILD_DIR (default ./build).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
out=${1:-$root/docs/screenshots}
cmake --build "$build" --target gatehouse_screenshots tst_routespage tst_remoteconsole -j "${GATEHOUSE_JOBS:-2}"
mkdir -p "$out"
out=$(cd "$out" && pwd)
unset QT_QPA_PLATFORM
export QT_LOGGING_RULES='*.debug=false;*.info=false'
# The route editor and the request tester (dialog-sized shots) come from the Routes page test.
GATEHOUSE_SCREENSHOT_DIR="$out" QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1400x900x24" \
    "$build/tests/tst_routespage" screenshots >/dev/null
# File → Connect to engine… (the console on a remote engine).
GATEHOUSE_SCREENSHOT_DIR="$out" QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1400x900x24" \
    "$build/tests/tst_remoteconsole" screenshots >/dev/null
# Every page in the main window.
export GATEHOUSE_SCREENSHOT_WARMUP_S=${GATEHOUSE_SCREENSHOT_WARMUP_S:-30}   # chart history before the first grab
xvfb-run -a -s "-screen 0 1400x900x24" "$build/tests/gatehouse_screenshots" "$out"
