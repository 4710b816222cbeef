#!/bin/sh
# Renders the Read models, Projections and Functions pages to PNG with sample data, each from
# its GUI test's rendersForScreenshot() (a real engine in a temporary directory).
#   tests/gui/screenshots_models.sh [BUILD_DIR] [OUT_DIR]
# Under Xvfb (xvfb-run) when it is installed, so fonts and styles are those of a real X
# display; otherwise with the offscreen platform.
set -eu
build=${1:-build}
out=${2:-screenshots}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export GATEHOUSE_SCREENSHOT_DIR="$out"
export QT_LOGGING_RULES='*.debug=false'
for test in tst_readmodelspage tst_projectionspage tst_functionspage; do
    bin="$build/tests/$test"
    [ -x "$bin" ] || { echo "missing $bin (build it first: ninja -C $build $test)" >&2; exit 1; }
    if command -v xvfb-run >/dev/null 2>&1; then
        QT_QPA_PLATFORM=xcb xvfb-run -a -s '-screen 0 1600x1000x24' "$bin" rendersForScreenshot
    else
        QT_QPA_PLATFORM=offscreen "$bin" rendersForScreenshot
    fi
done
ls -l "$out"/readmodels.png "$out"/projections.png "$out"/functions.png
