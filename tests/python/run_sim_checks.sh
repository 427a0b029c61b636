#!/usr/bin/env bash
# Proves that the brokers' official Python clients work against `tt sim` unchanged: kiteconnect
# (Zerodha) and upstox-python-sdk (Upstox), their REST clients and their streaming clients
# (KiteTicker; MarketDataStreamerV3 and PortfolioDataStreamer, whose fixed feed URLs the check
# points at the simulator). Installs each into its own virtualenv under /tmp,
# builds `tt`, builds a scratch instrument master holding both brokers' listings of the same
# contracts (kite_instruments.csv, upstox_instruments.json), starts one `tt sim` on a free
# loopback port, runs each client's check script against it, and stops the simulator. Exits
# non-zero on any mismatch.
#
#   tests/python/run_sim_checks.sh            # both clients
#   tests/python/run_sim_checks.sh upstox     # one of kite, upstox
#
# TT_KITE_VENV / TT_UPSTOX_VENV override the virtualenvs (default /tmp/tt-kite-venv,
# /tmp/tt-upstox-venv); KITECONNECT_VERSION / UPSTOX_SDK_VERSION the clients' versions (default
# 5.2.2 and 2.30.0, the ones checked); CARGO_TARGET_DIR is honoured as cargo honours it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
work="$(mktemp -d /tmp/tt-sim-check.XXXXXX)"
sim_pid=""
clients=("$@")
if [ ${#clients[@]} -eq 0 ]; then
    clients=(kite upstox)
fi

cleanup() {
    if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
        kill -INT "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# venv_with VENV MODULES PACKAGE...: a virtualenv at VENV where MODULES (comma-separated) import.
venv_with() {
    local venv="$1" modules="$2"
    shift 2
    if ! "$venv/bin/python" -c "import $modules" 2>/dev/null; then
        echo "installing $* into $venv" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
    fi
}

for client in "${clients[@]}"; do
    case "$client" in
        kite)
            kite_venv="${TT_KITE_VENV:-/tmp/tt-kite-venv}"
            venv_with "$kite_venv" kiteconnect "kiteconnect==${KITECONNECT_VERSION:-5.2.2}"
            ;;
        upstox)
            upstox_venv="${TT_UPSTOX_VENV:-/tmp/tt-upstox-venv}"
            venv_with "$upstox_venv" upstox_client,requests \
                "upstox-python-sdk==${UPSTOX_SDK_VERSION:-2.30.0}" requests
            ;;
        *)
            echo "unknown client $client (kite, upstox)" >&2
            exit 2
            ;;
    esac
done

(cd "$root" && cargo build --quiet -p tt-cli)
tt="$target/debug/tt"

"$tt" instruments import --zerodha "$here/kite_instruments.csv" \
    --upstox "$here/upstox_instruments.json" --db "$work/instruments.db" >/dev/null

"$tt" sim --addr 127.0.0.1:0 --db "$work/instruments.db" >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do
    if grep -q '^admin token ' "$work/sim.out"; then
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
admin_token="$(sed -n 's/^admin token //p' "$work/sim.out")"
if [ -z "$admin_token" ] || [ "$(wc -l <"$work/sim.out")" -ne 2 ]; then
    echo "tt sim did not print exactly its address and its admin token:" >&2
    cat "$work/sim.out" >&2
    exit 1
fi
echo "tt sim at $url"

for client in "${clients[@]}"; do
    case "$client" in
        kite)
            echo "== kiteconnect"
            "$kite_venv/bin/python" "$here/kite_sim_check.py" --root "$url" \
                --admin-token "$admin_token" --instruments "$here/kite_instruments.csv"
            echo "== kiteconnect KiteTicker"
            "$kite_venv/bin/python" "$here/kite_stream_check.py" --root "$url" \
                --admin-token "$admin_token"
            ;;
        upstox)
            echo "== upstox-python-sdk"
            "$upstox_venv/bin/python" "$here/upstox_sim_check.py" --root "$url" \
                --instruments "$here/upstox_instruments.json"
            echo "== upstox-python-sdk MarketDataStreamerV3, PortfolioDataStreamer"
            "$upstox_venv/bin/python" "$here/upstox_stream_check.py" --root "$url" \
                --admin-token "$admin_token"
            ;;
    esac
done
