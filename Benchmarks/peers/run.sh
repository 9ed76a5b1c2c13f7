#!/usr/bin/env bash
# reel eval and established open-source recommenders on the same split, in one command, side by side:
#
#   Benchmarks/peers/run.sh DATA_DIR [REEL_BINARY]
#
# Installs the PyPI package `implicit` (with numpy and scipy) into .build/peers-venv on first use, runs
# `reel eval --json --export-split` on DATA_DIR, then Benchmarks/peers/peers.py on the split it wrote.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${1:?usage: run.sh DATA_DIR [REEL_BINARY]}"
reel="${2:-$root/.build/release/reel}"
venv="$root/.build/peers-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import implicit" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q implicit numpy scipy
fi
split="$(mktemp -d)"
trap 'rm -rf "$split"' EXIT
start=$(date +%s.%N)
"$reel" eval --json --export-split "$split" --data-dir "$data" > "$split/reel.json"
echo "reel eval: $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s (reel and its baselines)" >&2
"$venv/bin/python" "$here/peers.py" "$split" --reel-json "$split/reel.json" "${@:3}"
