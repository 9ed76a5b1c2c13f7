#!/usr/bin/env python3
"""SIGKILL cycles under load, with retries that carry an Idempotency-Key (issue 24's target: >= 100 cycles,
zero acknowledged writes lost, zero duplicated by retries).

Starts `reel serve` on a fresh data directory, signs up WRITERS users (one session each) and one creator with
a published demo video, then repeats CYCLES times: every writer posts shares and comments as fast as the
server takes them, each with a fresh key; after a random 0.3-1.5 s the server is SIGKILLed; `reel journal
verify` must pass on the directory; the server is started again and every request that got no answer is sent
again with its key, as a careful client would (retrying 429 and 503 `catchingUp` too). Shares count every
time and comments make a new comment each time, so a retry carried out twice would show as one too many.

At the end the server's counters must equal the number of distinct keys answered: shares of the video, and
the comments listed under it. Prints one JSON object; exit 1 on any loss, duplicate or failed verify.

Usage: python3 Benchmarks/trust/sigkill_cycles.py [--reel .build/release/reel] [--cycles 100] [--writers 6]
Standard library only.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time


def request(port, method, path, body=None, token=None, key=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        raw = r.read()
        try:
            return r.status, json.loads(raw) if raw else {}, r.getheader("Idempotent-Replayed")
        except ValueError:
            return r.status, {}, None
    finally:
        conn.close()


class Server:
    def __init__(self, reel, data, port):
        self.reel, self.data, self.port, self.proc = reel, data, port, None

    def start(self, demo=False):
        args = [self.reel, "serve", "--data-dir", self.data, "--port", str(self.port), "--log-level", "error"]
        if demo:
            args += ["--demo", "--demo-count", "1"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 120:
            try:
                if request(self.port, "GET", "/health", timeout=2)[0] == 200:
                    return time.monotonic() - t0
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited during start-up (code {self.proc.returncode})")
            time.sleep(0.05)
        raise SystemExit("the server did not become healthy in 120 s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


class Ledger:
    """Keys sent, keys answered (a 2xx), per kind; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending = {}  # key -> (kind, writer)
        self.answered = {"share": set(), "comment": set()}

    def sent(self, key, kind, writer):
        with self.lock:
            self.pending[key] = (kind, writer)

    def done(self, key):
        with self.lock:
            kind, _ = self.pending.pop(key)
            self.answered[kind].add(key)

    def unanswered(self):
        with self.lock:
            return dict(self.pending)


def write_until_killed(port, writer, ledger, stop, cycle, video):
    token, session = writer["token"], writer["session"]
    i = 0
    while not stop.is_set():
        kind = "share" if i % 3 else "comment"
        key = f"c{cycle}-w{writer['n']}-{i}"
        i += 1
        ledger.sent(key, kind, writer["n"])
        path, body = ((f"/api/v1/video/{video}/share", {"session_id": session, "channel": "link"}) if kind == "share"
                      else (f"/api/v1/video/{video}/comments", {"session_id": session, "text": f"note {key}"}))
        while not stop.is_set():
            try:
                status, _, _ = request(port, "POST", path, body, token, key, timeout=5)
            except OSError:
                return  # the server died: this key is retried after the restart
            if 200 <= status < 300:
                ledger.done(key)
                break
            if status not in (429, 503):
                raise SystemExit(f"{path} with {key}: unexpected {status}")
            time.sleep(0.05)


def retry(port, key, kind, writer, video):
    body = ({"session_id": writer["session"], "channel": "link"} if kind == "share"
            else {"session_id": writer["session"], "text": f"note {key}"})
    path = f"/api/v1/video/{video}/share" if kind == "share" else f"/api/v1/video/{video}/comments"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            status, _, replayed = request(port, "POST", path, body, writer["token"], key, timeout=10)
        except OSError:
            time.sleep(0.2)
            continue
        if 200 <= status < 300:
            return replayed == "true"
        if status not in (429, 503):
            raise SystemExit(f"retry of {key}: {status}")
        time.sleep(0.2)
    raise SystemExit(f"retry of {key}: no answer in 120 s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reel", default=".build/release/reel")
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--writers", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    random.seed(args.seed)
    work = tempfile.mkdtemp(prefix="reel-sigkill-")
    data = f"{work}/data"
    port = random.randint(20000, 40000)
    server = Server(args.reel, data, port)
    try:
        server.start(demo=True)
        # The demo video (a creator of its own), then the writers, each with a viewing session.
        video = None
        for _ in range(600):
            found = request(port, "GET", "/api/v1/search?q=clip&type=video")[1].get("results", [])
            ids = [r["id"] for r in found if request(port, "GET", f"/api/v1/video/{r['id']}")[1].get("status") == "published"]
            if ids:
                video = ids[0]
                break
            time.sleep(0.2)
        if video is None:
            raise SystemExit("the demo video was not published")
        writers = []
        for n in range(args.writers):
            handle = f"writer{n}"
            request(port, "POST", "/api/v1/users", {"handle": handle, "email": f"{handle}@example.org", "display_name": handle,
                                                     "password": f"secret-{handle}"})
            token = request(port, "POST", "/api/v1/sessions", {"handle": handle, "password": f"secret-{handle}"})[1]["token"]
            session = request(port, "POST", "/api/v1/feed/sessions", {"region": "US"}, token)[1]["session_id"]
            writers.append({"n": n, "token": token, "session": session})
        ledger = Ledger()
        restarts, retried, replays, verify_seconds = [], 0, 0, []
        t_start = time.monotonic()
        for cycle in range(args.cycles):
            stop = threading.Event()
            threads = [threading.Thread(target=write_until_killed, args=(port, w, ledger, stop, cycle, video), daemon=True)
                       for w in writers]
            for t in threads:
                t.start()
            time.sleep(random.uniform(0.3, 1.5))
            server.kill()
            stop.set()
            for t in threads:
                t.join()
            t0 = time.monotonic()
            v = subprocess.run([args.reel, "journal", "verify", "--data-dir", data], capture_output=True, text=True)
            verify_seconds.append(time.monotonic() - t0)
            if v.returncode != 0:
                raise SystemExit(f"cycle {cycle}: journal verify failed:\n{v.stdout}{v.stderr}")
            restarts.append(server.start())
            for key, (kind, n) in sorted(ledger.unanswered().items()):
                retried += 1
                if retry(port, key, kind, writers[n], video):
                    replays += 1
                ledger.done(key)
            if (cycle + 1) % 10 == 0:
                print(f"[sigkill] {cycle + 1} cycles, {sum(map(len, ledger.answered.values()))} keys answered", file=sys.stderr, flush=True)
        # What the server counts, once its views include everything.
        time.sleep(1)
        shares = comments = None
        for _ in range(100):
            shares = request(port, "GET", f"/api/v1/video/{video}")[1]["counters"]["shares"]
            listed, cursor = 0, None
            while True:
                q = f"/api/v1/video/{video}/comments?limit=100" + (f"&cursor={cursor}" if cursor else "")
                page = request(port, "GET", q)[1]
                listed += len(page["comments"])
                cursor = page.get("next_cursor")
                if not cursor:
                    break
            comments = listed
            if shares == len(ledger.answered["share"]) and comments == len(ledger.answered["comment"]):
                break
            time.sleep(0.1)
        server.stop()
        restarts.sort()
        result = {
            "cycles": args.cycles, "writers": args.writers, "seconds": round(time.monotonic() - t_start, 1),
            "acknowledged": {"shares": len(ledger.answered["share"]), "comments": len(ledger.answered["comment"])},
            "counted": {"shares": shares, "comments": comments},
            "retriedAfterKill": retried, "replayedFromJournal": replays, "lost": max(0, len(ledger.answered["share"]) - shares) + max(0, len(ledger.answered["comment"]) - comments),
            "duplicated": max(0, shares - len(ledger.answered["share"])) + max(0, comments - len(ledger.answered["comment"])),
            "restartSeconds": {"median": round(restarts[len(restarts) // 2], 3), "max": round(restarts[-1], 3)},
            "verifySecondsMedian": round(sorted(verify_seconds)[len(verify_seconds) // 2], 3),
        }
        print(json.dumps(result))
        return 0 if result["lost"] == 0 and result["duplicated"] == 0 else 1
    finally:
        if server.proc and server.proc.poll() is None:
            server.proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
