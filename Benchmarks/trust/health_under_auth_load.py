#!/usr/bin/env python3
"""`/health` latency while clients hammer sign-up and log-in (issue 24's target: p99 <= 20 ms with 16 clients).

Each sign-up and log-in costs a slow password hash (PBKDF2, 210,000 rounds); the server hashes on a queue of
its own, so request handling should not wait for it. This starts `reel serve` on a fresh data directory,
measures `/health` alone for SECONDS (the baseline), then again while CLIENTS threads each loop: sign up a
random handle, log in with it, log in with a wrong password. A prober sends one `/health` every 20 ms on a
fresh connection and records each latency. Two runs: with the default limits (sign-ups per address are
limited, so most of the storm is refused cheaply) and with `server.signUpsPerMinute` raised so that every
sign-up is hashed (the worst case for the hash queue). Prints one JSON object.

Usage: python3 Benchmarks/trust/health_under_auth_load.py [--reel .build/release/reel] [--clients 16] [--seconds 20]
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


def call(port, method, path, body=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else None


def probe(port, seconds):
    latencies, errors = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            if call(port, "GET", "/health", timeout=10) != 200:
                errors += 1
        except OSError:
            errors += 1
        latencies.append((time.monotonic() - t0) * 1000)
        time.sleep(max(0, 0.02 - (time.monotonic() - t0)))
    return latencies, errors


def storm(port, stop, counts, lock):
    rng = random.Random()
    while not stop.is_set():
        handle = "u" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
        for method, path, body in [
            ("POST", "/api/v1/users", {"handle": handle, "email": f"{handle}@example.org", "display_name": handle, "password": "a-long-password"}),
            ("POST", "/api/v1/sessions", {"handle": handle, "password": "a-long-password"}),
            ("POST", "/api/v1/sessions", {"handle": handle, "password": "wrong-password"}),
        ]:
            if stop.is_set():
                return
            try:
                status = call(port, method, path, body)
            except OSError:
                status = 0
            with lock:
                counts[f"{path} {status}"] = counts.get(f"{path} {status}", 0) + 1


def run(reel, clients, seconds, sign_ups_per_minute):
    work = tempfile.mkdtemp(prefix="reel-health-")
    port = random.randint(20000, 40000)
    env = dict(os.environ)
    if sign_ups_per_minute:
        env["REEL_SERVER_SIGN_UPS_PER_MINUTE"] = str(sign_ups_per_minute)
    proc = subprocess.Popen([reel, "serve", "--data-dir", f"{work}/data", "--port", str(port), "--log-level", "error"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(600):
            try:
                if call(port, "GET", "/health", timeout=2) == 200:
                    break
            except OSError:
                time.sleep(0.05)
        idle, idle_errors = probe(port, seconds)
        stop, counts, lock = threading.Event(), {}, threading.Lock()
        threads = [threading.Thread(target=storm, args=(port, stop, counts, lock), daemon=True) for _ in range(clients)]
        cpu0 = os.times()
        for t in threads:
            t.start()
        time.sleep(1)  # the storm is on
        loaded, loaded_errors = probe(port, seconds)
        stop.set()
        for t in threads:
            t.join(timeout=60)

        def summary(xs, errors):
            return {"samples": len(xs), "errors": errors, "p50": round(percentile(xs, 50), 2), "p99": round(percentile(xs, 99), 2),
                    "max": round(max(xs), 2)}

        return {"signUpsPerMinute": sign_ups_per_minute or "default (20)", "clients": clients, "idleMs": summary(idle, idle_errors),
                "loadedMs": summary(loaded, loaded_errors), "requests": dict(sorted(counts.items()))}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reel", default=".build/release/reel")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    out = {"date": time.strftime("%Y-%m-%d"), "runs": [run(args.reel, args.clients, args.seconds, None),
                                                        run(args.reel, args.clients, args.seconds, 1_000_000)]}
    print(json.dumps(out))
    return 0 if all(r["loadedMs"]["p99"] <= 20 for r in out["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
