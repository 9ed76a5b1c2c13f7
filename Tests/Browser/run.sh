#!/usr/bin/env bash
# The web client in a real headless Chromium: starts `reel serve --demo` on a fresh data directory and a free
# port, waits for the demo catalogue to be published, runs Tests/Browser/web_client_test.py (Playwright) against
# it, and always stops the server and removes the directory. Exit code: the test's.
#
# Run it from anywhere; `make test` runs it from the repository root after `swift build`. Needs chromium,
# ffmpeg and python3-venv (the Makefile's deps target installs them). Playwright for Python is pip-installed into
# .build/browser-venv on first use and drives the system Chromium (no `playwright install`, no bundled browser).
#
# Environment: REEL (server binary, default .build/debug/reel; relative to the repository root),
# CHROMIUM (default /usr/bin/chromium), BROWSER_VENV (default .build/browser-venv), DEMO_COUNT (default 4),
# SCREENSHOT_DIR (where a failure's screenshot goes; default $TMPDIR or /tmp), UPLOAD_TIMEOUT (seconds,
# default 90), FORCE_MP4=1 (hide native HLS so the MP4 fallback plays), HEADED=1 (watch the browser).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."  # the repository root: relative paths below are from there
REEL=${REEL:-.build/debug/reel}
VENV=${BROWSER_VENV:-.build/browser-venv}
DEMO_COUNT=${DEMO_COUNT:-4}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

log() { printf '[browser] %s\n' "$*"; }
die() { printf '[browser] FAIL: %s\n' "$*" >&2; exit 1; }

[ -x "$REEL" ] || die "no server binary at $REEL (run swift build first, or set REEL)"
[ -x "$CHROMIUM" ] || die "no Chromium at $CHROMIUM (apt-get install chromium, or set CHROMIUM)"
command -v ffmpeg >/dev/null || die "ffmpeg is not installed"

# Playwright for Python, once. A venv left half-made by an interrupted install is rebuilt.
if ! "$VENV/bin/python" -c 'import playwright.sync_api' 2>/dev/null; then
  log "installing Playwright for Python into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check playwright || die "pip install playwright failed"
fi
PY="$VENV/bin/python"

# A port nobody listens on now (the kernel picks it; a tiny race with other processes is accepted).
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/reel-browser.XXXXXX")
SERVER_PID=""
TEST_PID=""

# Stops a process we started: the signal given, then up to 10 s, then SIGKILL.
stop() {
  local pid=$1 sig=$2
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "process $pid did not stop within 10 s of SIG$sig; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  # (An interrupted test: its Playwright driver closes the browser when the test process goes.)
  [ -z "$TEST_PID" ] || stop "$TEST_PID" TERM
  [ -z "$SERVER_PID" ] || stop "$SERVER_PID" TERM
  if [ "$rc" -ne 0 ] && [ -s "$WORK/server.log" ]; then
    log "last lines of the server log:"
    tail -n 40 "$WORK/server.log" | sed 's/^/  | /' >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting $REEL on $BASE (data in $WORK/data)"
"$REEL" serve --data-dir "$WORK/data" --port "$PORT" --demo --demo-count "$DEMO_COUNT" --log-level warning \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

# HTTP with Python's standard library (curl is not on every fresh machine).
http() { "$PY" - "$@" <<'PYEOF'
import json, sys, urllib.request
base, what = sys.argv[1], sys.argv[2]
def get(path):
    with urllib.request.urlopen(base + path, timeout=5) as r:
        return json.load(r) if what != "health" else r.status
try:
    if what == "health":
        get("/health")
        print("ok")
    else:
        # Published demo videos: search (which, unlike the feed, marks nothing as served), then each status.
        ids = [r["id"] for r in get("/api/v1/search?q=clip&type=video")["results"]]
        print(sum(get(f"/api/v1/video/{i}")["status"] == "published" for i in ids))
except Exception:
    print("0" if what != "health" else "down")
PYEOF
}

start=$SECONDS
until [ "$(http "$BASE" health)" = ok ]; do
  kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during startup"
  [ $((SECONDS - start)) -lt 60 ] || die "no 200 from $BASE/health within 60 s"
  sleep 0.2
done
log "server is up after $((SECONDS - start)) s"

# The demo clips are generated and processed in the background: wait until all are published (or at least
# 2, after 90 s; the test needs 2 to swipe and uses a third when there is one).
want=$((DEMO_COUNT < 20 ? DEMO_COUNT : 20))  # one page of search results
start=$SECONDS
while :; do
  n=$(http "$BASE" published)
  [ "$n" -ge "$want" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited while the demo catalogue was processing"
  if [ $((SECONDS - start)) -ge 90 ]; then
    [ "$n" -ge 2 ] || die "only $n demo video(s) published after 90 s (need 2)"
    log "only $n of $want demo videos published after 90 s; going on"
    break
  fi
  sleep 1
done
log "$n demo videos published after $((SECONDS - start)) s"

# In the background and waited for, so a SIGTERM/SIGINT to this script runs the cleanup at once.
# Its temporary files (clip, browser profile) go under $WORK, removed even if it is killed; a failure
# screenshot goes to the usual temporary directory, which outlives the run.
# The moderation step acts as a moderator: with the admin token the server generated into its data directory.
ADMIN_TOKEN=$(cat "$WORK/data/admin.token") SCREENSHOT_DIR=${SCREENSHOT_DIR:-${TMPDIR:-/tmp}} TMPDIR="$WORK" \
  "$PY" Tests/Browser/web_client_test.py "$BASE" &
TEST_PID=$!
rc=0
wait "$TEST_PID" || rc=$?
TEST_PID=""
[ "$rc" -eq 0 ] && log "PASS" || log "FAIL (exit $rc)"
exit "$rc"
