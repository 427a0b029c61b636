#!/usr/bin/env bash
# Proves that the official Python client, kiteconnect, works against `tt sim` unchanged:
# installs kiteconnect into a virtualenv under /tmp, builds `tt`, builds a scratch instrument
# master from kite_instruments.csv, starts `tt sim` on a free loopback port, runs
# kite_sim_check.py against it, and stops the simulator. Exits non-zero on any mismatch.
#
#   tests/python/run_kite_sim_check.sh
#
# TT_KITE_VENV overrides the virtualenv (default /tmp/tt-kite-venv), KITECONNECT_VERSION the
# client's version (default 5.2.2, the one checked); CARGO_TARGET_DIR is honoured as cargo
# honours it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${TT_KITE_VENV:-/tmp/tt-kite-venv}"
target="${CARGO_TARGET_DIR:-$root/target}"
work="$(mktemp -d /tmp/tt-kite-sim.XXXXXX)"
sim_pid=""

cleanup() {
    if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
        kill -INT "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if ! "$venv/bin/python" -c 'import kiteconnect' 2>/dev/null; then
    echo "installing kiteconnect into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kiteconnect==${KITECONNECT_VERSION:-5.2.2}"
fi

(cd "$root" && cargo build --quiet -p tt-cli)
tt="$target/debug/tt"

"$tt" instruments import --zerodha "$here/kite_instruments.csv" --db "$work/instruments.db" >/dev/null

"$tt" sim --addr 127.0.0.1:0 --db "$work/instruments.db" >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do
    if grep -q '^listening on ' "$work/sim.out"; then
        break
    fi
    if ! kill -0 "$sim_pid" 2>/dev/null; then
        echo "tt sim exited before it was ready:" >&2
        cat "$work/sim.err" >&2
        exit 1
    fi
    sleep 0.1
done
url="$(sed -n 's/^listening on //p' "$work/sim.out")"
if [ -z "$url" ]; then
    echo "tt sim did not say where it listens" >&2
    exit 1
fi
if [ "$(wc -l <"$work/sim.out")" -ne 1 ]; then
    echo "tt sim printed more than its one ready line:" >&2
    cat "$work/sim.out" >&2
    exit 1
fi
echo "tt sim at $url"

"$venv/bin/python" "$here/kite_sim_check.py" --root "$url" --instruments "$here/kite_instruments.csv"
