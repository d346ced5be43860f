#!/bin/sh
# make demo: a three-node testnet on loopback — write on one node, watch the value arrive on
# the other two, show the peers, stop everything. Run from the repository root after a build.
set -eu

BIN=${LATTICE_BIN:-.build/debug/lattice}
STATE=${DEMO_STATE:-.build/demo-testnet}

if [ -t 1 ]; then bold=$(printf '\033[1m'); plain=$(printf '\033[0m'); else bold=; plain=; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
cleanup() { "$BIN" testnet down --state "$STATE" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM

cleanup
rm -rf "$STATE"

say "Starting three nodes (n1, n2, n3), every link through a local proxy"
# Captured first: in a pipe, a failing `up` would not stop the script (sh has no pipefail).
started=$("$BIN" testnet up three-node --state "$STATE")
printf '%s\n' "$started" | sed -n '1,6p'

say "n1: lattice put default greeting 'hello from n1'"
"$BIN" put default greeting "hello from n1" --config "$STATE/n1/lattice.toml"
"$BIN" incr default visits 3 --config "$STATE/n1/lattice.toml" >/dev/null
"$BIN" sadd default fruit apple --config "$STATE/n2/lattice.toml" >/dev/null
"$BIN" sadd default fruit pear --config "$STATE/n3/lattice.toml" >/dev/null

# Poll each node until the write shows up (deadline 30 s), printing when it arrived.
wait_for() { # NODE KEY EXPECTED
    start=$(date +%s%N)
    deadline=$(( $(date +%s) + 30 ))
    while :; do
        value=$("$BIN" get default "$2" --config "$STATE/$1/lattice.toml" 2>/dev/null || true)
        if [ "$value" = "$3" ]; then
            ms=$(( ($(date +%s%N) - start) / 1000000 ))
            printf '   %s has %s = %s (after %s ms of polling)\n' "$1" "$2" "$value" "$ms"
            return 0
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "   $1 did not receive $2 within 30 s; see $STATE/$1/node.log" >&2
            exit 1
        fi
        sleep 0.05
    done
}

say "The write replicates to n2 and n3"
wait_for n2 greeting "hello from n1"
wait_for n3 greeting "hello from n1"

say "Concurrent set adds on n2 and n3 merge everywhere"
wait_for n1 fruit '["apple","pear"]'
wait_for n1 visits 3

say "n1's peers: lattice admin peers --config $STATE/n1/lattice.toml"
"$BIN" admin peers --config "$STATE/n1/lattice.toml"

say "Stopping the testnet"
"$BIN" testnet down --state "$STATE" --purge
trap - EXIT INT TERM
echo
echo "Next: 'lattice testnet up three-node' to keep one running, and testnets/README.md for partitions and WAN links."
