#!/usr/bin/env bash
# The engine's descriptions of itself, checked by the validators their communities use, and
# used as a client would: a real `gatehouse --headless` (with its managed mosquitto), a
# collection with a custom command and a route behind key-auth added through the admin API,
#   1. /openapi.json passes `redocly lint` (OpenAPI 3.1) without an error;
#   2. /asyncapi.json passes @asyncapi/parser (AsyncAPI 3.0) without an error and lists the
#      MQTT topics and the WebSocket operations;
#   3. requests made from /openapi.json alone are answered as it documents
#      (check-openapi-requests.mjs);
#   4. both change when the configuration does (a route and a collection added, then gone);
#   5. the server they name is the Host the client used; --no-api-descriptions turns them off.
#
#   check_descriptions.sh GATEHOUSE_BINARY
#
# The validators come from tests/validators/node_modules (npm ci, pinned by package-lock.json;
# packaging/quickstart.sh installs them).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=${1:?usage: check_descriptions.sh GATEHOUSE_BINARY}
work=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-descriptions.XXXXXX")
pid=
cleanup() {
    if [[ -n $pid ]]; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "check_descriptions: $*" >&2
    exit 1
}
[[ -x $here/node_modules/.bin/redocly && -d $here/node_modules/@asyncapi/parser ]] \
    || fail "the validators are not installed: (cd tests/validators && npm ci), as quickstart.sh does"
command -v node >/dev/null || fail "node is needed"

key=descriptions-admin-key
"$binary" --headless --data-dir "$work/data" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --mqtt-listen 127.0.0.1:0 \
    --admin-key "$key" 2>"$work/engine.log" &
pid=$!
gateway= admin=
for _ in $(seq 1 300); do
    gateway=$(sed -n 's|.*gateway listening on \(http://[0-9.:]*\).*|\1|p' "$work/engine.log")
    admin=$(sed -n 's|.*admin API listening on \(http://[0-9.:]*\).*|\1|p' "$work/engine.log")
    [[ -n $gateway && -n $admin ]] && grep -q "MQTT broker" "$work/engine.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
[[ -n $gateway && -n $admin ]] || { cat "$work/engine.log" >&2; fail "the engine did not start"; }
admin_call() {   # admin_call METHOD PATH [BODY]
    curl -fsS -X "$1" -H "X-API-KEY: $key" -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$admin$2" >/dev/null
}
fetch() { curl -fsS "$gateway/$1" -o "$work/$1"; }

admin_call PUT /admin/collections/tickets '{"schema":{"type":"object","required":["title"],
    "properties":{"id":{"type":"string"},"title":{"type":"string","minLength":3,"index":true},"seats":{"type":"integer","minimum":1}}},
    "commands":{"close":{"decide":"function (state, command) { return [{type: \"closed\", data: {}}]; }"}}}'
admin_call PUT /admin/consumers/alice '{"username":"alice","plugins":{"key-auth":{"key":"alice-key"}}}'
admin_call PUT /admin/routes/secure-tickets '{"uri":"/secure/tickets/:id","methods":["GET"],
    "upstream":{"type":"query","collection":"tickets"},"plugins":{"key-auth":{}}}'
admin_call PUT /admin/routes/secure-tickets-create '{"uri":"/secure/tickets","methods":["POST"],
    "upstream":{"type":"command","collection":"tickets"},"plugins":{"key-auth":{},"limit-count":{"count":1000,"time_window":60}}}'

fetch openapi.json
fetch asyncapi.json
(cd "$here" && ./node_modules/.bin/redocly lint --format stylish "$work/openapi.json") || fail "redocly lint reports errors in /openapi.json"
(cd "$here" && node check-asyncapi.mjs "$work/asyncapi.json") || fail "@asyncapi/parser reports errors in /asyncapi.json"
python3 - "$work/openapi.json" "$work/asyncapi.json" <<'PY' || fail "the descriptions lack what the configuration holds"
import json, sys
openapi = json.load(open(sys.argv[1]))
asyncapi = json.load(open(sys.argv[2]))
paths = openapi["paths"]
for path, method in [("/api/tickets", "post"), ("/api/tickets/{id}", "get"), ("/api/tickets/{id}/close", "post"),
                     ("/api/tickets/{id}/delete", "post"), ("/secure/tickets/{id}", "get"), ("/events", "get"),
                     ("/events/stream", "get")]:
    assert method in paths.get(path, {}), f"{method} {path} missing"
assert paths["/secure/tickets/{id}"]["get"]["security"] == [{"keyAuth": []}], "key-auth not described"
assert openapi["components"]["securitySchemes"]["keyAuth"] == {
    "type": "apiKey", "in": "header", "name": "apikey",
    "description": openapi["components"]["securitySchemes"]["keyAuth"]["description"]}
assert "429" in paths["/secure/tickets"]["post"]["responses"], "limit-count's 429 not described"
assert "index" not in json.dumps(openapi["components"]["schemas"]["tickets"]), "Gatehouse's annotation leaked"
addresses = {c["address"] for c in asyncapi["channels"].values()}
for address in ["gatehouse/commands/tickets/create", "gatehouse/commands/tickets/{id}/close",
                "gatehouse/events/tickets/{verb}/{id}", "gatehouse/readmodel/tickets/{id}", "/ws"]:
    assert address in addresses, f"channel {address} missing"
assert asyncapi["servers"]["mqtt"]["protocol"] == "mqtt"
print("check_descriptions: every route, collection, command, topic and auth scheme is described")
PY
KEY_AUTH=alice-key node "$here/check-openapi-requests.mjs" "$gateway" || fail "the engine does not answer as /openapi.json says"

# The server named is the host the client asked for; a Host that is not a host[:port] is
# refused (400) before anything repeats it.
python3 - "$gateway" <<'PY' || fail "the server the descriptions name does not follow the Host header"
import json, sys, urllib.error, urllib.request
base = sys.argv[1]
def server(host):
    request = urllib.request.Request(base + "/openapi.json", headers={"Host": host})
    return json.load(urllib.request.urlopen(request))["servers"][0]["url"]
assert server("api.example:8443") == "http://api.example:8443", server("api.example:8443")
try:
    server("bad host/x")
    raise AssertionError("a Host that is not a host[:port] was answered")
except urllib.error.HTTPError as e:
    assert e.code == 400, e.code
print("check_descriptions: the server named follows the Host header")
PY

# A change of configuration is a change of the descriptions.
version_before=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["info"]["version"])' "$work/openapi.json")
admin_call DELETE /admin/routes/secure-tickets
admin_call DELETE /admin/routes/secure-tickets-create
admin_call DELETE "/admin/collections/tickets?archive=true"
fetch openapi.json
fetch asyncapi.json
python3 - "$work/openapi.json" "$work/asyncapi.json" "$version_before" <<'PY' || fail "the descriptions did not follow the configuration"
import json, sys
openapi = json.load(open(sys.argv[1]))
asyncapi = json.load(open(sys.argv[2]))
assert openapi["info"]["version"] != sys.argv[3], "same version after a change"
assert "/secure/tickets/{id}" not in openapi["paths"], "a deleted route is still described"
assert not any(p.startswith("/api/tickets") for p in openapi["paths"]), "a deleted collection is still described"
assert not any("tickets" in c["address"] for c in asyncapi["channels"].values()), "a deleted collection's topics are still described"
print("check_descriptions: the descriptions follow the configuration")
PY

# Turned off, the paths are nobody's: 404 like any path no route matches.
kill -TERM "$pid"
wait "$pid" || fail "the engine did not stop cleanly"
pid=
"$binary" --headless --no-mqtt --no-api-descriptions --data-dir "$work/data2" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    2>"$work/engine2.log" &
pid=$!
gateway=
for _ in $(seq 1 300); do
    gateway=$(sed -n 's|.*gateway listening on \(http://[0-9.:]*\).*|\1|p' "$work/engine2.log")
    [[ -n $gateway ]] && break
    sleep 0.1
done
[[ -n $gateway ]] || { cat "$work/engine2.log" >&2; fail "the second engine did not start"; }
for path in openapi.json asyncapi.json; do
    status=$(curl -sS -o /dev/null -w '%{http_code}' "$gateway/$path")
    [[ $status == 404 ]] || fail "--no-api-descriptions: /$path answered $status"
done
echo "check_descriptions: --no-api-descriptions leaves both paths unanswered"
