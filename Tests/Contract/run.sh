#!/usr/bin/env bash
# The HTTP API against its contract, as an attacker would try it: starts `reel serve` on a fresh data directory
# and a free port, signs up a user, and runs Schemathesis (property-based fuzzing from Docs/openapi.yaml) over
# every operation with that user's token, then again with the admin token. Fails on any 5xx, any status the
# contract does not document, any response that does not match its schema, and fewer requests than asked.
# Always stops the server and removes the directory. Exit code: Schemathesis's (or 1 on a set-up failure).
#
# `make test` runs it from the repository root after `swift build`. Schemathesis is pip-installed into
# .build/contract-venv on first use (python3-venv comes from the Makefile's deps target).
#
# Environment: REEL (server binary, default .build/debug/reel), CONTRACT_VENV (default .build/contract-venv),
# FUZZ_SECONDS (the time budget per token, default 110: fuzzing repeats until it is spent, 50–65 requests a
# second here, so about 12,000 requests in all), MIN_REQUESTS (default 10000, over both runs),
# SCHEMATHESIS_VERSION (default 4.32.5).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REEL=${REEL:-.build/debug/reel}
VENV=${CONTRACT_VENV:-.build/contract-venv}
FUZZ_SECONDS=${FUZZ_SECONDS:-110}
MIN_REQUESTS=${MIN_REQUESTS:-10000}
VERSION=${SCHEMATHESIS_VERSION:-4.32.5}

log() { printf '[contract] %s\n' "$*"; }
die() { printf '[contract] FAIL: %s\n' "$*" >&2; exit 1; }

[ -x "$REEL" ] || die "no server binary at $REEL (run swift build first, or set REEL)"
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
  log "installing Schemathesis $VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" || die "pip install schemathesis failed"
fi
PY="$VENV/bin/python"
"$PY" -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' Docs/openapi.yaml || die "Docs/openapi.yaml is not valid YAML"

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/reel-contract.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ADMIN="admin-contract-$RANDOM$RANDOM"
REEL_SERVER_ADMIN_TOKEN="$ADMIN" "$REEL" serve --data-dir "$WORK/data" --port "$PORT" --host 127.0.0.1 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
healthy() { "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/health", timeout=2)' "$BASE" 2>/dev/null; }
for _ in $(seq 1 300); do
  healthy && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "the server exited during start-up"; }
  sleep 0.1
done
healthy || die "the server did not become healthy"

# A user to act as, with a published-looking session: the token goes on every request of the first run.
TOKEN=$("$PY" - "$BASE" <<'EOF'
import json, sys, urllib.request
base = sys.argv[1]
def post(path, body, token=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")
post("/api/v1/users", {"handle": "fuzzer", "email": "f@example.org", "display_name": "Fuzzer", "password": "fuzzer-password"})
print(post("/api/v1/sessions", {"handle": "fuzzer", "password": "fuzzer-password"})["token"])
EOF
) || die "could not sign up the fuzzing user"

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
total=0
status=0
for who in user admin; do
  if [ "$who" = user ]; then bearer="$TOKEN"; else bearer="$ADMIN"; fi
  log "fuzzing every operation as $who for ${FUZZ_SECONDS}s"
  set +e
  "$VENV/bin/schemathesis" run Docs/openapi.yaml --url "$BASE" --checks "$CHECKS" \
    --header "Authorization: Bearer $bearer" --max-time "$FUZZ_SECONDS" --workers 1 \
    --phases examples,coverage,fuzzing --suppress-health-check all --request-timeout 10 \
    --report ndjson --report-dir "$WORK/report-$who" --no-color >"$WORK/fuzz-$who.log" 2>&1
  rc=$?
  set -e
  # One worker: with two, Hypothesis's lambda descriptions race (`AST constructor recursion depth mismatch`).
  if [ "$rc" = 0 ]; then tail -n 12 "$WORK/fuzz-$who.log"; else cut -c1-400 "$WORK/fuzz-$who.log" | head -n 300; fi
  # Every generated test case is one request (Schemathesis's summary line: "N generated, M passed").
  n=$(grep -Eo '[0-9]+ generated' "$WORK/fuzz-$who.log" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
  log "$who: $n requests, exit $rc"
  total=$((total + n))
  [ "$rc" = 0 ] || status=$rc
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 50 "$WORK/server.log" >&2; die "the server died under fuzzing"; }
done
log "$total requests in all"
[ "$status" = 0 ] || die "Schemathesis found failures (above)"
[ "$total" -ge "$MIN_REQUESTS" ] || die "only $total requests (at least $MIN_REQUESTS wanted)"
log "ok"
