#!/bin/sh
# Renders the Routes page (route table with hits, the editor showing a schema error, the
# request tester with an answer) to PNG files under Xvfb, against a real engine with sample data.
#   tests/gui/screenshots-routes.sh [BUILD_DIR] [OUT_DIR]
set -eu
build=${1:-build}
out=${2:-docs/screenshots}
mkdir -p "$out"
out=$(cd "$out" && pwd)
GATEHOUSE_SCREENSHOT_DIR="$out" QT_QPA_PLATFORM=xcb QT_LOGGING_RULES='*.debug=false' \
    xvfb-run -a -s '-screen 0 1400x900x24' "$build/tests/tst_routespage" screenshots
ls -l "$out"/routes*.png
