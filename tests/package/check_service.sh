#!/usr/bin/env bash
# The Debian package on a fresh Debian 12 under a real systemd, and a console attached to it.
#
#   check_service.sh BUILD_DIR
#
#   1. cpack builds gatehouse_<version>_amd64.deb from BUILD_DIR (a GUI build: step 6 runs its
#      console);
#   2. a minimal Debian 12 (debootstrap, cached) is copied afresh and `apt-get install
#      ./gatehouse_*.deb` runs in it, fetching the dependencies the package declares;
#   3. that system boots with systemd as its PID 1 (systemd-nspawn --boot); the service is not
#      enabled by the installation; TLS certificates made now go to /etc/gatehouse/tls and
#      GATEHOUSE_OPTS in /etc/default/gatehouse turns TLS on for both listeners;
#   4. `systemctl enable --now gatehouse`: the engine runs as the `gatehouse` user with its data
#      in /var/lib/gatehouse and answers /health over HTTPS, the certificate verified;
#   5. on another account (nobody), the console's window attaches to the service over TLS with
#      the admin key and shows a command's event live (tst_remoteconsole's
#      aServiceShowsItsEventsLive);
#   6. `systemctl reload` (SIGHUP: the certificates read again) keeps it serving, `systemctl
#      restart` keeps the product the console wrote, an upgrade (the package installed again)
#      keeps it enabled and restarts it, `systemctl stop` ends it with status 0, and `apt-get
#      purge` removes the key and leaves the event log.
#
# Needs root, systemd-nspawn (Debian systemd-container), debootstrap, openssl and curl, and the
# network to Debian's mirror (GATEHOUSE_DEBIAN_MIRROR, default http://deb.debian.org/debian).
# The minimal system is kept in GATEHOUSE_DEBIAN_ROOT (default
# /var/cache/gatehouse-check/bookworm) for the next run; each run works on a copy of it.
# `./packaging/quickstart.sh service` installs what this needs and runs it. Not part of the
# test suite: it needs root and downloads packages.
set -euo pipefail

build=$(cd "${1:?usage: check_service.sh BUILD_DIR}" && pwd)
mirror=${GATEHOUSE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
base=${GATEHOUSE_DEBIAN_ROOT:-/var/cache/gatehouse-check/bookworm}
console_test=$build/tests/tst_remoteconsole

fail() {
    echo "check_service: $*" >&2
    exit 1
}
step() {
    echo "check_service: $*"
}
[[ $(id -u) -eq 0 ]] || fail "must run as root (it boots a container)"
for tool in cpack systemd-nspawn systemd-machine-id-setup debootstrap nsenter setpriv openssl curl python3; do
    command -v "$tool" >/dev/null || fail "$tool is needed (quickstart.sh service installs it)"
done
[[ -x $console_test ]] || fail "$console_test is missing: build BUILD_DIR with the GUI (target tst_remoteconsole)"

work=$(mktemp -d "${TMPDIR:-/var/tmp}/gatehouse-service.XXXXXX")
nspawn_pid=
init_pid=
console=
# True while PID runs (an exited child not yet waited for is a zombie: kill -0 still succeeds).
running() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [[ $state != Z ]]
}
cleanup() {
    if [[ -n $nspawn_pid ]]; then
        # systemd-nspawn turns SIGTERM into an orderly shutdown of the container it booted (its
        # PID is still ours: it has not been waited for).
        kill -TERM "$nspawn_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            running "$nspawn_pid" || break
            sleep 0.2
        done
        kill -KILL "$nspawn_pid" 2>/dev/null || true
        wait "$nspawn_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    [[ -z $console ]] || rm -rf "$console"
}
trap cleanup EXIT

# A command inside the booted container, in all its namespaces, with a clean environment.
in_container() {
    nsenter -t "$init_pid" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# 1. The package.
cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb=$(find "$work/out" -maxdepth 1 -name 'gatehouse_*_amd64.deb' -print -quit)
[[ -n $deb ]] || fail "cpack made no gatehouse_<version>_amd64.deb"
step "package $(basename "$deb")"

# 2. A fresh Debian 12 and the package installed in it by apt.
if [[ ! -x $base/lib/systemd/systemd ]]; then
    step "making a minimal Debian 12 in $base (debootstrap from $mirror)"
    rm -rf "$base.partial"
    mkdir -p "$(dirname "$base")"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$base.partial" "$mirror" \
        >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
    mv "$base.partial" "$base"
fi
root=$work/root
cp -a "$base" "$root" || fail "cannot copy $base"
# A machine that has booted before: with no machine id its first boot would apply the preset
# policy (Debian's enables every unit), which a machine installing a package has long done.
systemd-machine-id-setup --root="$root" >/dev/null || fail "systemd-machine-id-setup failed"
# Not /tmp: systemd-nspawn mounts a fresh one there.
cp "$deb" "$root/root/"
nspawn_run() {
    systemd-nspawn -q --console=pipe --register=no --keep-unit --machine=gatehouse-check --resolv-conf=replace-host -D "$root" \
        -E DEBIAN_FRONTEND=noninteractive -- "$@"
}
nspawn_run apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get update failed in the container"; }
nspawn_run apt-get install -y -qq "/root/$(basename "$deb")" >>"$work/apt.log" 2>&1 \
    || { tail -30 "$work/apt.log" >&2; fail "apt-get install of the package failed"; }
step "installed with apt on a fresh Debian 12 ($(grep -c '^Setting up' "$work/apt.log") packages set up)"
nspawn_run getent passwd gatehouse >/dev/null 2>&1 || fail "the installation made no gatehouse user"
key_mode=$(nspawn_run stat -c '%a %U:%G' /etc/gatehouse/admin.key 2>/dev/null) || fail "the installation made no admin key"
[[ $key_mode == "640 root:gatehouse" ]] || fail "the admin key is $key_mode, not 640 root:gatehouse"

# 3. Certificates, options, and the boot.
cert=$work/cert.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$cert" 2>/dev/null \
    || fail "openssl could not make a certificate"
mkdir -p "$root/etc/gatehouse/tls"
cp "$cert" "$work/key.pem" "$root/etc/gatehouse/tls/"
nspawn_run sh -c 'chgrp -R gatehouse /etc/gatehouse/tls && chmod 0750 /etc/gatehouse/tls && chmod 0640 /etc/gatehouse/tls/key.pem' 2>/dev/null \
    || fail "cannot give the certificates to the gatehouse group"
gateway_port=$(free_port)
admin_port=$(free_port)
[[ $gateway_port != "$admin_port" ]] || admin_port=$(free_port)
tls=/etc/gatehouse/tls
cat >"$root/etc/default/gatehouse" <<EOF
GATEHOUSE_OPTS="--listen 127.0.0.1:$gateway_port --tls-cert $tls/cert.pem --tls-key $tls/key.pem --admin-listen 127.0.0.1:$admin_port --admin-tls-cert $tls/cert.pem --admin-tls-key $tls/key.pem --mqtt-url mqtt://127.0.0.1:1883"
EOF

# The container shares the host's network: its mosquitto needs 127.0.0.1:1883 free.
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 1883))' 2>/dev/null \
    || fail "127.0.0.1:1883 is taken on this machine: the container's mosquitto needs it"
systemd-nspawn -q --register=no --keep-unit --machine=gatehouse-check --console=passive -D "$root" --boot >"$work/boot.log" 2>&1 &
nspawn_pid=$!
# The container's systemd: the process named systemd below systemd-nspawn.
for _ in $(seq 1 100); do
    for candidate in $(pgrep -x systemd || true); do
        ancestor=$candidate
        while [[ -n $ancestor && $ancestor -gt 1 ]]; do
            ancestor=$(awk '/^PPid:/ {print $2}' "/proc/$ancestor/status" 2>/dev/null || true)
            if [[ $ancestor == "$nspawn_pid" ]]; then
                init_pid=$candidate
                break 3
            fi
        done
    done
    running "$nspawn_pid" || break
    sleep 0.1
done
[[ -n $init_pid ]] || { cat "$work/boot.log" >&2; fail "the container did not boot"; }
# Its manager's socket exists once it has come far enough to be asked.
for _ in $(seq 1 600); do
    in_container test -S /run/systemd/private 2>/dev/null && break
    running "$nspawn_pid" || break
    sleep 0.1
done
state=$(in_container timeout 120 systemctl is-system-running --wait 2>/dev/null || true)
[[ $state == running ]] || { in_container systemctl --failed --no-pager >&2 || true; fail "the container's systemd says '$state'"; }
[[ $(in_container cat /proc/1/comm) == systemd ]] || fail "PID 1 of the container is not systemd"
step "booted: systemd is PID 1 and the system is '$state'"
enabled=$(in_container systemctl is-enabled gatehouse || true)
[[ $enabled == disabled ]] || fail "the installation left the service '$enabled' (expected disabled)"

# 4. The service.
journal() {
    in_container journalctl -u gatehouse --no-pager -n 50 >&2 || true
}
in_container systemctl enable --now gatehouse >/dev/null 2>&1 || { journal; fail "systemctl enable --now gatehouse failed"; }
admin_url=https://localhost:$admin_port
wait_health() {
    local answer
    for _ in $(seq 1 150); do
        answer=$(curl -sS --max-time 2 --cacert "$cert" "$admin_url/health" 2>/dev/null || true)
        [[ $answer == *'"status":"ready"'* ]] && return 0
        sleep 0.2
    done
    journal
    fail "the service does not answer /health over TLS ($admin_url): ${answer:-no answer}"
}
wait_health
main_pid=$(in_container systemctl show -p MainPID --value gatehouse)
[[ $(in_container stat -c %U "/proc/$main_pid") == gatehouse ]] || fail "the engine does not run as the gatehouse user"
[[ $(in_container stat -c '%a %U' /var/lib/gatehouse) == "700 gatehouse" ]] || fail "/var/lib/gatehouse is not the service's own"
[[ -n $(in_container find /var/lib/gatehouse -name '*.db' -print -quit) ]] || fail "no database in /var/lib/gatehouse"
step "gatehouse.service active, PID $main_pid as user gatehouse, data in /var/lib/gatehouse, /health over TLS"
# MQTT through the system broker the package recommends (Debian's mosquitto, installed with it).
[[ $(in_container systemctl is-active mosquitto) == active ]] || fail "the recommended mosquitto is not running"
mqtt=
for _ in $(seq 1 100); do
    mqtt=$(curl -sS --max-time 2 --cacert "$cert" "$admin_url/metrics" 2>/dev/null | grep '^gatehouse_mqtt_connected' || true)
    [[ $mqtt == *' 1' ]] && break
    sleep 0.2
done
[[ $mqtt == *' 1' ]] || { journal; fail "the service did not connect to the system's MQTT broker ($mqtt)"; }
step "MQTT through the system's mosquitto: $mqtt"
curl -sS -o /dev/null --max-time 5 "http://localhost:$admin_port/health" 2>/dev/null \
    && fail "the admin listener answers plain HTTP"

# 5. A console on another account.
# Its own directory, outside the container's tree (which holds the service's key and data).
console=$(mktemp -d "${TMPDIR:-/var/tmp}/gatehouse-console.XXXXXX")
chmod 0755 "$console"
mkdir -p "$console/home" "$console/runtime"
cp "$console_test" "$cert" "$console/"
(umask 077 && in_container cat /etc/gatehouse/admin.key >"$console/admin.key") || fail "cannot read the service's admin key"
chmod 0700 "$console/runtime"
chown -R nobody:nogroup "$console"
step "the console, as user nobody, attaches to $admin_url"
setpriv --reuid=nobody --regid=nogroup --clear-groups -- env -i PATH=/usr/bin:/bin HOME="$console/home" \
    XDG_RUNTIME_DIR="$console/runtime" QT_QPA_PLATFORM=offscreen QT_LOGGING_RULES='*.debug=false' \
    GATEHOUSE_SERVICE_URL="$admin_url" GATEHOUSE_SERVICE_CA="$console/cert.pem" GATEHOUSE_SERVICE_KEY_FILE="$console/admin.key" \
    "$console/tst_remoteconsole" aServiceShowsItsEventsLive >"$work/console.log" 2>&1 \
    || { cat "$work/console.log" >&2; journal; fail "the console did not show the service's events"; }
grep -E 'QINFO|^PASS|Totals' "$work/console.log" | sed 's/^/    /'
grep -q '^PASS   : tst_RemoteConsole::aServiceShowsItsEventsLive' "$work/console.log" || fail "the console's check did not run"
product=$(sed -n 's/.*the event of \(service-check-[0-9]*\) at position.*/\1/p' "$work/console.log")
[[ -n $product ]] || fail "the console did not say which product it wrote"

# 6. Reload, restart, stop, purge.
in_container systemctl reload gatehouse || fail "systemctl reload failed"
sleep 1
[[ $(in_container systemctl is-active gatehouse) == active ]] || { journal; fail "the service stopped on reload"; }
[[ $(in_container systemctl show -p MainPID --value gatehouse) == "$main_pid" ]] || fail "reload restarted the engine"
wait_health
in_container systemctl restart gatehouse || { journal; fail "systemctl restart failed"; }
wait_health
gateway_url=https://localhost:$gateway_port
answer=$(curl -sS --max-time 10 --cacert "$cert" "$gateway_url/api/products/$product") || fail "no answer from the gateway over TLS"
[[ $answer == *"\"id\":\"$product\""* ]] || fail "after a restart the product the console wrote is not there: $answer"
step "reload kept PID $main_pid serving; after a restart $product is still there"
# An upgrade (here the same version again) keeps an enabled service enabled and restarts it.
restarted_pid=$(in_container systemctl show -p MainPID --value gatehouse)
in_container sh -c "DEBIAN_FRONTEND=noninteractive apt-get install --reinstall -y -qq /root/$(basename "$deb")" >>"$work/apt.log" 2>&1 \
    || fail "reinstalling the package failed"
[[ $(in_container systemctl is-enabled gatehouse) == enabled ]] || fail "an upgrade disabled the service"
wait_health
upgraded_pid=$(in_container systemctl show -p MainPID --value gatehouse)
[[ $upgraded_pid != "$restarted_pid" ]] || fail "an upgrade did not restart the service"
step "an upgrade kept it enabled and restarted it (PID $restarted_pid -> $upgraded_pid)"
in_container systemctl stop gatehouse || { journal; fail "systemctl stop failed"; }
[[ $(in_container systemctl show -p ExecMainStatus --value gatehouse) == 0 ]] || { journal; fail "the engine did not exit 0 on SIGTERM"; }
in_container sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq gatehouse' >>"$work/apt.log" 2>&1 || fail "apt-get purge failed"
in_container test ! -e /etc/gatehouse/admin.key || fail "purge left the admin key"
in_container test -d /var/lib/gatehouse || fail "purge removed the event log"
step "stopped with status 0; purged: the key removed, /var/lib/gatehouse kept"
echo "check_service: $(basename "$deb") installs, runs under systemd and serves a console on another account over TLS"
