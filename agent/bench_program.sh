#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Programming speed of vnet-agent (fabric protocol 2) into a network
# namespace, per VNet table size R:
#   - a Snapshot of R routes (2-way ECMP: one nexthop group) from instance
#     0, programmed into both slot tables (slot 1 fails over to instance
#     0: 2 x R kernel routes), from the publisher sending it to the
#     agent's Ack (decode, diff, netlink), against `ip -batch` of the same
#     nexthops and routes into two other tables (the kernel's own cost);
#   - a resync of the same routes (no kernel change);
#   - an NVA failover: one Update with nexthops_down (the group replaced
#     without the down member) to its Ack, and back (nexthops_up), with
#     net.ipv4.nexthop_compat_mode 0 (the agent's default) and 1, against
#     one `ip nexthop replace` of the reference group in both modes;
#   - the delete of everything (--flush-on-exit).
#
# usage: bench_program.sh [VNET_AGENT [VNET_PUB [SIZES]]]   (root)
#   SIZES defaults to "1000 10000 100000".
# Cleans up only its own namespace, temporary directory and processes.

set -u

AGENT=${1:-$(dirname "$0")/../build/agent/vnet-agent}
PUB=${2:-$(dirname "$0")/../build/agent/vnet-pub}
SIZES=${3:-"1000 10000 100000"}

[ "$(id -u)" = 0 ] || { echo "bench_program: needs root"; exit 77; }

NS="vrsb-$$-$RANDOM"
HOSTIF="vrb$$h"
NSIF="vrb$$n"
TMP=$(mktemp -d /tmp/vrs-bench.XXXXXX)
SOCK="$TMP/agent.sock"
AGENT_PID=
NH=10.0.0.10,10.0.0.11

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

compat() {
	ip netns exec "$NS" sh -c "echo $1 > /proc/sys/net/ipv4/nexthop_compat_mode"
}

now() {
	date +%s.%N
}

secs() {	# secs T0 T1
	echo "$2 - $1" | bc
}

start_agent() {
	"$AGENT" --socket "$SOCK" --vnet "vnet0=$NS,tables=100:101" --grace 600 \
		--flush-on-exit -q >>"$TMP/agent.log" 2>&1 &
	AGENT_PID=$!
	for _ in $(seq 50); do [ -S "$SOCK.status" ] && return; sleep 0.1; done
	echo "agent did not start"
	cat "$TMP/agent.log"
	exit 1
}

# Between publisher runs the slot tables keep their routes (grace).
stop_agent() {
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID"
	AGENT_PID=
}

# pub ARGS...: runs vnet-pub (instance 0, N routes of vnet0), prints its
# timing lines.
pub() {
	"$PUB" --socket "$SOCK" --gen "1:$N:2" --gen-nh "$NH" --timing -q "$@" ||
		{ echo "vnet-pub failed"; exit 1; }
}

# The same routes as --gen: /24s from 16.0.0.0, as an ip -batch file into
# tables 200 and 201 through a group of two nexthop objects of its own.
reference_batch() {
	{
		echo "nexthop add id 9001 via 10.0.0.10 dev $NSIF proto 201"
		echo "nexthop add id 9002 via 10.0.0.11 dev $NSIF proto 201"
		echo "nexthop add id 9003 group 9001/9002 proto 201"
		awk -v n="$N" 'BEGIN {
			for (i = 0; i < n; i++)
				for (t = 200; t <= 201; t++)
					printf "route add %d.%d.%d.0/24 nhid 9003 table %d proto 201\n",
						16 + int(i / 65536), int(i / 256) % 256, i % 256, t
		}'
	} >"$TMP/batch"
}

check_kernel() {
	local got t
	for t in 100 101; do
		got=$(ip -n "$NS" route show table $t proto 200 | wc -l)
		[ "$got" = "$N" ] || echo "WARNING: $got routes in table $t, expected $N"
	done
	"$AGENT" --status --socket "$SOCK" | grep -q '"lastError": "[^"]' &&
		echo "WARNING: programming errors: $("$AGENT" --status --socket "$SOCK" | grep '"lastError": "[^"]')"
}

step_time() {	# the "acked in S s" of a vnet-pub step line
	sed -n "s/^$1.*acked in \([0-9.]*\) s.*/\1/p" | head -1
}

echo "kernel $(uname -r), $(nproc) CPUs, iproute2 $(ip -V | sed 's/.*iproute2-//')"
echo "R routes x 2 slot tables; c0 / c1: net.ipv4.nexthop_compat_mode 0 / 1"
printf "%-9s %-26s %-22s %-16s %-30s %-26s %s\n" R "agent snapshot" "ip -batch (reference)" \
	"agent resync" "agent nexthops_down c0 / c1" "ip nexthop replace c0 / c1" "agent flush"
for N in $SIZES; do
	start_agent
	out=$(pub)
	snap=$(echo "$out" | sed -n 's/^snapshot: .* acked in \([0-9.]*\) s (\([0-9]*\) routes\/s).*/\1 s (\2\/s)/p')
	check_kernel
	out=$(pub)
	resync=$(echo "$out" | sed -n 's/^snapshot: .* acked in \([0-9.]*\) s.*/\1 s/p')
	# NVA failover with compat mode 0 (the agent set it) and 1.
	out=$(pub --nh-down 10.0.0.11 --nh-up 10.0.0.11)
	down0=$(echo "$out" | step_time nexthops-down)
	ip -n "$NS" nexthop show proto 200 | grep -q group || echo "WARNING: no group"
	compat 1
	out=$(pub --nh-down 10.0.0.11 --nh-up 10.0.0.11)
	down1=$(echo "$out" | step_time nexthops-down)
	compat 0
	# Reference: the same routes with ip -batch, one replace of its group.
	reference_batch
	t0=$(now)
	ip -n "$NS" -batch "$TMP/batch" || echo "WARNING: ip -batch failed"
	t1=$(now)
	ref=$(secs "$t0" "$t1")
	t0=$(now)
	ip -n "$NS" nexthop replace id 9003 group 9001
	t1=$(now)
	rep0=$(secs "$t0" "$t1")
	compat 1
	t0=$(now)
	ip -n "$NS" nexthop replace id 9003 group 9001/9002
	t1=$(now)
	rep1=$(secs "$t0" "$t1")
	compat 0
	ip -n "$NS" route flush table 200
	ip -n "$NS" route flush table 201
	ip -n "$NS" nexthop del id 9003
	ip -n "$NS" nexthop flush proto 201 >/dev/null
	t0=$(now)
	stop_agent
	t1=$(now)
	flush=$(secs "$t0" "$t1")
	printf "%-9s %-26s %-22s %-16s %-30s %-26s %s\n" "$N" "$snap" "$(printf '%.3f s' "$ref")" "$resync" \
		"$(printf '%.4f / %.4f s' "$down0" "$down1")" "$(printf '%.4f / %.4f s' "$rep0" "$rep1")" \
		"$(printf '%.3f s' "$flush")"
done
