#!/usr/bin/env bash
# Renders each page of the console to PNG with sample data under Xvfb (for README.md).
#   tests/gui/screenshots.sh [OUTPUT_DIR]     default: docs/screenshots
# Environment: GATEHOUSE_BUILD_DIR (default ./build).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${GATEHOUSE_BUILD_DIR:-$root/build}
out=${1:-$root/docs/screenshots}
cmake --build "$build" --target gatehouse_screenshots -j "${GATEHOUSE_JOBS:-2}"
mkdir -p "$out"
unset QT_QPA_PLATFORM
export GATEHOUSE_SCREENSHOT_WARMUP_S=${GATEHOUSE_SCREENSHOT_WARMUP_S:-30}   # chart history before the first grab
xvfb-run -a -s "-screen 0 1400x900x24" "$build/tests/gatehouse_screenshots" "$out"
