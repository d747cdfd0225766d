#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Programming throughput of vnet-agent into a network namespace: time from
# the publisher sending a Snapshot to the agent's Ack (decode, diff and
# netlink programming included).
#
# usage: bench_program.sh [VNET_AGENT [VNET_PUB [SIZES]]]   (root)
#   SIZES defaults to "10000 100000".
# Cleans up only its own namespace, temporary directory and processes.

set -u

AGENT=${1:-$(dirname "$0")/../build/agent/vnet-agent}
PUB=${2:-$(dirname "$0")/../build/agent/vnet-pub}
SIZES=${3:-"10000 100000"}

[ "$(id -u)" = 0 ] || { echo "bench_program: needs root"; exit 77; }

NS="vrsb-$$-$RANDOM"
HOSTIF="vrb$$h"
NSIF="vrb$$n"
TMP=$(mktemp -d /tmp/vrs-bench.XXXXXX)
SOCK="$TMP/agent.sock"
AGENT_PID=

cleanup() {
	[ -n "$AGENT_PID" ] && kill -TERM "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	ip link del "$HOSTIF" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS" || exit 1
ip link add "$HOSTIF" type veth peer name "$NSIF" || exit 1
ip link set "$NSIF" netns "$NS"
ip link set "$HOSTIF" up
ip -n "$NS" link set "$NSIF" up
ip -n "$NS" addr add 10.0.0.2/16 dev "$NSIF"

# One VM holds the whole table: raise the per-frame decode budget (24 MiB
# by default, ~38,000 routes) on both sides for the 100,000-route case.
BUDGET=${VRS_DECODE_BUDGET:-134217728}

start_agent() {
	"$AGENT" --socket "$SOCK" --vm vm0="$NS" --grace 600 --flush-on-exit -q \
		--decode-budget "$BUDGET" \
		>>"$TMP/agent.log" 2>&1 &
	AGENT_PID=$!
	for _ in $(seq 50); do [ -S "$SOCK.status" ] && return; sleep 0.1; done
	echo "agent did not start"; cat "$TMP/agent.log"; exit 1
}

stop_agent() {
	kill -TERM "$AGENT_PID"; wait "$AGENT_PID"; AGENT_PID=
}

# pub LABEL ROUTES NH NHLIST
pub() {
	local out
	out=$("$PUB" --socket "$SOCK" --gen "1:$2:$3" --gen-nh "$4" --timing -q \
		--decode-budget "$BUDGET") || exit 1
	printf "%-34s %s\n" "$1" "${out#snapshot: }"
}

echo "kernel $(uname -r), $(nproc) CPUs"
for n in $SIZES; do
	start_agent
	pub "$n routes, add (1 next hop)" "$n" 1 10.0.0.10
	pub "$n routes, resync (no change)" "$n" 1 10.0.0.10
	pub "$n routes, replace (ECMP 2 nh)" "$n" 2 10.0.0.10,10.0.0.11
	got=$(ip -n "$NS" route show proto 200 | grep -c "^1[67]\.")
	[ "$got" = "$n" ] || echo "WARNING: $got routes in the kernel, expected $n"
	"$AGENT" --status --socket "$SOCK" | grep -q '"lastError": "[^"]' &&
		echo "WARNING: programming errors: $("$AGENT" --status --socket "$SOCK" | grep lastError)"
	t0=$(date +%s.%N)
	stop_agent
	t1=$(date +%s.%N)
	printf "%-34s %.3f s (flush on exit)\n" "$n routes, delete" "$(echo "$t1 - $t0" | bc)"
done
