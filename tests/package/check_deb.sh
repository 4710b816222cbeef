#!/usr/bin/env bash
# The Debian package as a user gets it: built with cpack from this build, checked with Debian's
# own tools, unpacked and started.
#
#   check_deb.sh BUILD_DIR
#
#   1. cpack -G DEB makes gatehouse_<version>_amd64.deb; its Depends come from the libraries
#      the executable links (dpkg-shlibdeps) plus the Qt SQL drivers it loads;
#   2. lintian reports no error;
#   3. desktop-file-validate and appstreamcli validate pass (GUI builds), systemd-analyze
#      verify accepts the unit, the manual page renders without a warning;
#   4. the manual page and the bash completion name every option `gatehouse --help` lists, and
#      the AppStream release is `gatehouse --version`;
#   5. the executable unpacked with dpkg -x starts and answers /health.
set -euo pipefail

build=$(cd "${1:?usage: check_deb.sh BUILD_DIR}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-deb.XXXXXX")
engine_pid=
cleanup() {
    if [[ -n $engine_pid ]]; then
        kill "$engine_pid" 2>/dev/null || true
        wait "$engine_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "check_deb: $*" >&2
    exit 1
}
for tool in cpack dpkg-deb dpkg-shlibdeps lintian systemd-analyze man curl; do
    command -v "$tool" >/dev/null || fail "$tool is needed (quickstart.sh installs it)"
done

# 1. The package.
cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb=$(find "$work/out" -maxdepth 1 -name 'gatehouse_*_amd64.deb' -print -quit)
[[ -n $deb ]] || { cat "$work/cpack.log" >&2; fail "cpack made no gatehouse_<version>_amd64.deb"; }
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for needed in libqt6core6 libqt6network6 libqt6sql6 libqt6sql6-sqlite libqt6sql6-psql libc6; do
    [[ ", $depends," == *", $needed"[\ ,]* ]] || fail "Depends lacks $needed"
done

# 2. lintian: no error (warnings and notes are printed).
lintian --fail-on error --tag-display-limit 0 "$deb" | tee "$work/lintian.txt" || fail "lintian reports errors"

# 3. The files, as installed.
root=$work/root
dpkg -x "$deb" "$root"
binary=$root/usr/bin/gatehouse
[[ -x $binary ]] || fail "no usr/bin/gatehouse in the package"
for f in lib/systemd/system/gatehouse.service usr/lib/sysusers.d/gatehouse.conf etc/default/gatehouse \
         usr/share/man/man1/gatehouse.1.gz usr/share/bash-completion/completions/gatehouse \
         usr/share/doc/gatehouse/copyright usr/share/doc/gatehouse/changelog.gz; do
    [[ -f $root/$f ]] || fail "the package lacks /$f"
done
gui=0
if [[ -f $root/usr/share/applications/dev.gatehouse.Gatehouse.desktop ]]; then
    gui=1
    command -v desktop-file-validate >/dev/null || fail "desktop-file-validate is needed"
    command -v appstreamcli >/dev/null || fail "appstreamcli is needed"
    desktop-file-validate "$root/usr/share/applications/dev.gatehouse.Gatehouse.desktop" || fail "desktop-file-validate failed"
    appstreamcli validate --no-net "$root/usr/share/metainfo/dev.gatehouse.Gatehouse.metainfo.xml" || fail "appstreamcli validate failed"
    [[ -f $root/usr/share/icons/hicolor/scalable/apps/dev.gatehouse.Gatehouse.svg ]] || fail "the package lacks its icon"
    # The console needs Qt's platform plugins, which no library it links pulls in.
    [[ ", $depends," == *", qt6-qpa-plugins,"* ]] || fail "Depends lacks qt6-qpa-plugins (the console's platform plugins)"
fi
# The unit as packaged, but for its executable's path: the unpacked one (verify insists that
# ExecStart's program exists, and this machine has not installed the package).
mkdir -p "$work/units"
sed "s|/usr/bin/gatehouse|$root/usr/bin/gatehouse|" "$root/lib/systemd/system/gatehouse.service" >"$work/units/gatehouse.service"
verify=$(systemd-analyze verify --man=no "$work/units/gatehouse.service" 2>&1) || fail "systemd-analyze verify refused the unit: $verify"
[[ -z $verify ]] || fail "systemd-analyze verify: $verify"
warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$root/usr/share/man/man1/gatehouse.1.gz" 2>&1 >/dev/null) || fail "man cannot render the page"
[[ -z $warnings ]] || fail "the manual page renders with warnings: $warnings"

# 4. Nothing the program offers is missing from its manual page or completion.
manual=$(zcat "$root/usr/share/man/man1/gatehouse.1.gz" | sed 's/\\-/-/g')
completion=$(cat "$root/usr/share/bash-completion/completions/gatehouse")
options=$("$binary" --help | grep -oE '^ +(-[a-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+' | sort -u)
[[ -n $options ]] || fail "gatehouse --help lists no options"
for option in $options; do
    grep -qE -- "(^|[^a-z-])$option([^a-z-]|$)" <<<"$manual" || fail "the manual page does not describe $option"
    grep -qE -- "(^|[^a-z-])$option([^a-z-]|$)" <<<"$completion" || fail "the bash completion does not offer $option"
done
version=$("$binary" --version | awk '{print $2}')
[[ $version == "$(dpkg-deb -f "$deb" Version)" ]] || fail "gatehouse --version says $version, the package $(dpkg-deb -f "$deb" Version)"
if [[ $gui -eq 1 ]]; then
    grep -q "<release version=\"$version\"" "$root/usr/share/metainfo/dev.gatehouse.Gatehouse.metainfo.xml" \
        || fail "the AppStream metadata has no release $version"
fi

# 5. The unpacked executable serves.
"$binary" --headless --no-mqtt --data-dir "$work/data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 2>"$work/engine.log" &
engine_pid=$!
port=
for _ in $(seq 1 200); do
    port=$(sed -n 's|.*admin API listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/engine.log")
    [[ -n $port ]] && break
    kill -0 "$engine_pid" 2>/dev/null || break
    sleep 0.1
done
[[ -n $port ]] || { cat "$work/engine.log" >&2; fail "the unpacked gatehouse did not start"; }
health=$(curl -fsS --max-time 10 "http://127.0.0.1:$port/health") || fail "no answer on /health"
[[ $health == *'"status":"ready"'* ]] || fail "/health answered $health"
kill -TERM "$engine_pid"
wait "$engine_pid" || fail "the engine did not stop cleanly"
engine_pid=
echo "check_deb: $(basename "$deb") passes lintian, the validators and starts"
