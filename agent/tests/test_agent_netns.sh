#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Programs a real network namespace with vnet-agent and vnet-pub:
# ECMP/blackhole/IPv6 routes, restart + resync (stale route removed,
# changed route replaced, unchanged routes untouched), bad messages,
# failover between instances, keepalive timeout, grace, flush on exit.
#
# usage: test_agent_netns.sh [VNET_AGENT [VNET_PUB]]   (root; exit 77 = skip)
# Cleans up only what it created: its namespace (by generated name), its
# temporary directory, and the processes it started (by pid).

set -u

AGENT=${1:-$(dirname "$0")/../../build/agent/vnet-agent}
PUB=${2:-$(dirname "$0")/../../build/agent/vnet-pub}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces)"
	exit 77
fi
for tool in ip jq; do
	command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

NS="vrst-$$-$RANDOM"
HOSTIF="vrt$$h"
NSIF="vrt$$n"
TMP=$(mktemp -d /tmp/vrs-agent-test.XXXXXX)
SOCK="$TMP/agent.sock"
PIDS=()
AGENT_PID=
FAILS=0

cleanup() {
	for pid in "${PIDS[@]}"; do
		kill -CONT "$pid" 2>/dev/null
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	ip link del "$HOSTIF" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

ok() {
	echo "ok: $*"
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
	return 0
}

status() {
	"$AGENT" --status --socket "$SOCK"
}

# jqcheck FILTER: true when the status satisfies FILTER.
jqcheck() {
	status | jq -e "$1" >/dev/null
}

routes() {
	{ ip -n "$NS" -4 route show table main; ip -n "$NS" -6 route show table main; } 2>/dev/null
}

start_agent() {
	"$AGENT" --socket "$SOCK" --vm vm1="$NS" --vm vm2="$NS",table=100 \
		--grace "${GRACE:-30}" "$@" >>"$TMP/agent.log" 2>&1 &
	AGENT_PID=$!
	PIDS+=("$AGENT_PID")
	wait_for 5 test -S "$SOCK.status" || { fail "agent did not start"; cat "$TMP/agent.log"; exit 1; }
}

stop_agent() {
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID"
	local rc=$?
	[ $rc = 0 ] || fail "agent exited with $rc on SIGTERM"
	[ -e "$SOCK" ] && fail "socket left behind after SIGTERM"
}

agent_alive() {
	kill -0 "$AGENT_PID" 2>/dev/null
}

# --- topology ------------------------------------------------------------
ip netns add "$NS" || exit 1
ip link add "$HOSTIF" type veth peer name "$NSIF" || exit 1
ip link set "$NSIF" netns "$NS"
ip link set "$HOSTIF" up
ip -n "$NS" link set lo up
ip -n "$NS" link set "$NSIF" up
ip -n "$NS" addr add 10.1.1.2/24 dev "$NSIF"
ip -n "$NS" -6 addr add fd00:1::2/64 dev "$NSIF" nodad

cat >"$TMP/a.json" <<EOF
{ "instance": "rs1-0", "instanceId": 0,
  "vms": {
    "vm1": [
      { "prefix": "10.2.0.0/16", "nextHops": ["10.1.1.10", {"address": "10.1.1.11", "weight": 2}] },
      { "prefix": "0.0.0.0/0", "source": "default", "nextHops": ["10.1.1.10"] },
      { "prefix": "192.168.99.0/24", "nextHopType": "none" },
      { "prefix": "10.1.1.0/24", "source": "vnetLocal", "nextHopType": "vnetLocal" },
      { "prefix": "10.3.0.0/16", "nextHops": ["10.1.1.10"], "state": "invalid" },
      { "prefix": "fd10::/48", "source": "vnetPeering", "nextHopType": "vnetPeering",
        "nextHops": ["fd00:1::10", "fd00:1::11"] }
    ],
    "vm2": [ { "prefix": "10.50.0.0/16", "nextHops": ["10.1.1.20"] } ],
    "vm-not-here": [ { "prefix": "10.60.0.0/16", "nextHops": ["10.1.1.20"] } ]
  } }
EOF
# Instance 1 sees the same world but the default route via another NVA.
sed -e 's/"rs1-0"/"rs1-1"/' -e 's/"instanceId": 0/"instanceId": 1/' \
	-e 's/"source": "default", "nextHops": \["10.1.1.10"\]/"source": "default", "nextHops": ["10.1.1.12"]/' \
	"$TMP/a.json" >"$TMP/b.json"
cat >"$TMP/upd.json" <<EOF
{ "vms": { "vm2": [ { "prefix": "10.51.0.0/16", "nextHops": ["10.1.1.21"] } ] } }
EOF

# --- 1. snapshot with ECMP -------------------------------------------------
start_agent
[ "$(stat -c %a "$SOCK")" = 600 ] && ok "socket mode 0600" || fail "socket mode $(stat -c %a "$SOCK")"
"$PUB" --socket "$SOCK" --file "$TMP/a.json" --update "$TMP/upd.json" -q || fail "publish a.json"
R=$(routes)
echo "$R" | grep -q "^default via 10.1.1.10 dev $NSIF proto 200" && ok "default route" || fail "default route missing"
echo "$R" | grep -q "^10.2.0.0/16 proto 200" && ok "ECMP route" || fail "ECMP route missing"
echo "$R" | grep -q "nexthop via 10.1.1.10 dev $NSIF weight 1" &&
	echo "$R" | grep -q "nexthop via 10.1.1.11 dev $NSIF weight 2" &&
	ok "ECMP next hops with weights" || fail "ECMP nexthop lines missing"
echo "$R" | grep -q "^blackhole 192.168.99.0/24 proto 200" && ok "blackhole" || fail "blackhole missing"
echo "$R" | grep -q "^fd10::/48 proto 200" && echo "$R" | grep -q "nexthop via fd00:1::11" &&
	ok "IPv6 ECMP" || fail "IPv6 ECMP missing"
echo "$R" | grep -q "10.3.0.0/16" && fail "invalid-state route programmed" || ok "invalid route not programmed"
echo "$R" | grep -q "^10.1.1.0/24 dev $NSIF proto kernel" && ok "connected route untouched (vnetLocal skipped)" ||
	fail "connected route changed"
T100=$(ip -n "$NS" route show table 100)
echo "$T100" | grep -q "^10.51.0.0/16 via 10.1.1.21 dev $NSIF proto 200" &&
	! echo "$T100" | grep -q 10.50.0.0 && ok "vm2 in table 100, update replaced its table" ||
	fail "vm2 table 100: $T100"
jqcheck '.vms.vm1.routesApplied == 4 and .vms.vm1.routesSkipped == 2 and .publishers["0"].unknownVms >= 1' &&
	ok "status counts" || { fail "status counts"; status; }

# --- 2. restart and resync -------------------------------------------------
stop_agent
routes | grep -q "proto 200" && ok "routes kept across agent exit" || fail "routes removed on exit"
# While the agent is down: a stale route and a changed route appear.
ip -n "$NS" route add 10.99.0.0/16 via 10.1.1.10 proto 200
ip -n "$NS" route replace 0.0.0.0/0 via 10.1.1.13 proto 200
BEFORE=$(routes | grep -E "^(10.2.0.0|blackhole|fd10)")
# The monitor must be proven running before the agent starts (a marker
# route it must report), and must have seen everything the agent did
# before it is stopped (a second marker, after the republish: netlink
# events arrive in order).
ip -n "$NS" monitor route >"$TMP/monitor.log" 2>&1 &
MON=$!
PIDS+=("$MON")
# marker PREFIX: (re)adds a route in table 250 until the monitor reports
# it (the monitor may still be starting: an event before its subscription
# is lost, so the marker is repeated, polling).
marker_once() {
	ip -n "$NS" route del blackhole "$1" table 250 2>/dev/null
	ip -n "$NS" route add blackhole "$1" table 250 &&
		wait_for 1 grep -q "$1" "$TMP/monitor.log"
}
marker() {
	wait_for 5 marker_once "$1"
}
marker 198.51.100.0/25 || fail "ip monitor not running (marker 1 not seen)"
start_agent
"$PUB" --socket "$SOCK" --file "$TMP/a.json" --update "$TMP/upd.json" -q || fail "republish"
marker 198.51.100.128/25 || fail "ip monitor stopped (marker 2 not seen)"
kill "$MON"
ip -n "$NS" route flush table 250
# It saw the agent's work: the stale delete and the default replace.
grep -q "^Deleted 10.99.0.0/16" "$TMP/monitor.log" && grep -q "^default via 10.1.1.10" "$TMP/monitor.log" &&
	ok "ip monitor saw the resync's delete and replace" ||
	fail "ip monitor missed the resync: $(cat "$TMP/monitor.log")"
R=$(routes)
echo "$R" | grep -q 10.99.0.0 && fail "stale route survived resync" || ok "stale route removed"
echo "$R" | grep -q "^default via 10.1.1.10 dev" && ok "changed route replaced" || fail "default not resynced"
[ "$(routes | grep -E "^(10.2.0.0|blackhole|fd10)")" = "$BEFORE" ] && ok "unchanged routes identical" ||
	fail "unchanged routes differ"
if grep -Eq "10\.2\.0\.0|192\.168\.99|fd10::" "$TMP/monitor.log"; then
	fail "resync touched unchanged routes: $(cat "$TMP/monitor.log")"
else
	ok "resync did not touch unchanged routes"
fi
jqcheck '.vms.vm1.routesAdded == 0 and .vms.vm1.routesReplaced == 1 and .vms.vm1.routesDeleted == 1' &&
	ok "resync counters (0 added, 1 replaced, 1 deleted)" || { fail "resync counters"; status; }

# --- 3. bad messages --------------------------------------------------------
BEFORE=$(routes)
for kind in garbage oversize truncated seq version bad-prefix too-many-nh update-first \
	big-empty hello-again ack error-first; do
	out=$("$PUB" --socket "$SOCK" --file "$TMP/a.json" -q --bad $kind 2>&1)
	rc=$?
	if [ $rc = 0 ] && agent_alive; then
		ok "bad $kind rejected: $out"
	else
		fail "bad $kind: rc $rc, agent alive: $(agent_alive && echo yes || echo no): $out"
	fi
done
[ "$(routes)" = "$BEFORE" ] && ok "routes unchanged by bad messages" || fail "bad messages changed routes"
# A maximum-size frame of empty routes is refused within the decode budget.
HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$AGENT_PID/status")
[ -n "$HWM" ] && [ "$HWM" -le $((32 * 1024)) ] && ok "agent peak RSS ${HWM} kB <= 32 MiB after a 4 MiB frame" ||
	fail "agent peak RSS ${HWM:-?} kB after a 4 MiB frame"
grep -q "needs more than the decode budget" "$TMP/agent.log" && ok "decode budget reason logged" ||
	fail "decode budget reason not logged"
grep -q "frame length 2147483647 exceeds the maximum" "$TMP/agent.log" && ok "oversize reason logged" ||
	fail "oversize reason not logged"
grep -q "has host bits set" "$TMP/agent.log" && ok "bad prefix reason logged" || fail "bad prefix reason not logged"
jqcheck '.publishers["0"].errors >= 7' && ok "publisher errors counted" || { fail "errors not counted"; status; }

# --- 4. failover between instances ------------------------------------------
ASSIGNED=$(status | jq -r '.vms.vm1.assignedInstance')
OTHER=$((1 - ASSIGNED))
NH_OF=(10.1.1.10 10.1.1.12)
FILE_OF=("$TMP/a.json" "$TMP/b.json")
"$PUB" --socket "$SOCK" --file "${FILE_OF[$OTHER]}" --keepalive-ms 300 --hold 60 -q &
P_OTHER=$!
PIDS+=("$P_OTHER")
wait_for 5 jqcheck ".vms.vm1.instanceInUse == $OTHER" && ok "only instance $OTHER connected: in use" ||
	fail "instance $OTHER not used"
"$PUB" --socket "$SOCK" --file "${FILE_OF[$ASSIGNED]}" --keepalive-ms 300 --hold 60 -q &
P_ASSIGNED=$!
PIDS+=("$P_ASSIGNED")
wait_for 5 jqcheck ".vms.vm1.instanceInUse == $ASSIGNED" && ok "assigned instance $ASSIGNED takes over" ||
	fail "assigned instance not used"
wait_for 5 sh -c "ip -n $NS route show default | grep -q 'via ${NH_OF[$ASSIGNED]} '" &&
	ok "kernel follows assigned instance" || fail "kernel default not from instance $ASSIGNED"
kill -TERM "$P_ASSIGNED"
wait_for 5 jqcheck ".vms.vm1.instanceInUse == $OTHER" && ok "assigned instance gone: fallback to $OTHER" ||
	fail "no fallback"
wait_for 5 sh -c "ip -n $NS route show default | grep -q 'via ${NH_OF[$OTHER]} '" &&
	ok "kernel follows fallback" || fail "kernel default not from instance $OTHER"

# --- 5a. a stalled agent judges timeouts only after reading its input --------
# Stopped for longer than 3 x keepalive with the publisher's keepalive
# queued in its socket, the agent must read it before it judges the
# publisher silent.
CONNECTS=$(status | jq ".publishers[\"$OTHER\"].connects")
kill -STOP "$AGENT_PID"
STOPPED=$(date +%s%N)
queued_and_late() {
	[ $(( ($(date +%s%N) - STOPPED) / 1000000 )) -gt 1500 ] &&
		ss -x -H state connected src "$SOCK" | awk '$3 > 0 { f = 1 } END { exit !f }'
}
wait_for 10 queued_and_late || fail "no keepalive queued while the agent was stopped"
kill -CONT "$AGENT_PID"
wait_for 5 jqcheck ".publishers[\"$OTHER\"].lastSeq > 0" >/dev/null
jqcheck ".publishers[\"$OTHER\"].connected == true and .publishers[\"$OTHER\"].connects == $CONNECTS" &&
	ok "stalled agent kept the publisher whose keepalive was queued" ||
	{ fail "stalled agent dropped a live publisher"; status; }

# --- 5. keepalive timeout, then grace ----------------------------------------
kill -STOP "$P_OTHER"
wait_for 5 jqcheck ".publishers[\"$OTHER\"].connected == false" && ok "silent publisher dropped" ||
	fail "silent publisher not dropped"
jqcheck ".publishers[\"$OTHER\"].lastError | test(\"silent for\")" && ok "timeout reason in status" ||
	fail "timeout reason missing"
jqcheck '.vms.vm1.instanceInUse == null and .vms.vm1.graceRemainingSeconds > 0 and .vms.vm1.routesApplied == 4' &&
	ok "grace: last routes kept" || { fail "grace state"; status; }
kill -TERM "$P_OTHER"
kill -CONT "$P_OTHER"
wait "$P_OTHER" 2>/dev/null
stop_agent

# Grace expiry withdraws.
GRACE=1 start_agent
wait_for 5 sh -c "! ip -n $NS route show table main | grep -q 'proto 200'" && ok "grace expiry withdraws routes" ||
	fail "routes still there after grace"
stop_agent

# --- 6. flush on exit ----------------------------------------------------------
start_agent --flush-on-exit
"$PUB" --socket "$SOCK" --file "$TMP/a.json" -q || fail "publish for flush"
routes | grep -q "proto 200" || fail "nothing programmed before flush"
stop_agent
routes | grep -q "proto 200" && fail "--flush-on-exit left routes" || ok "--flush-on-exit removed owned routes"
routes | grep -q "proto kernel" && ok "connected routes untouched by flush" || fail "flush removed foreign routes"

# --- 7. staging cap ------------------------------------------------------------
start_agent --max-stage-routes 50
out=$("$PUB" --socket "$SOCK" --gen 10:10 --max-frame 600 -q 2>&1)
echo "$out" | grep -q "Error 8: chunked snapshot too large" && agent_alive &&
	ok "staging beyond --max-stage-routes refused: $out" || fail "staging cap: $out"
stop_agent

if [ $FAILS != 0 ]; then
	echo "$FAILS failure(s); agent log:"
	cat "$TMP/agent.log"
	exit 1
fi
echo "all agent netns tests passed"
exit 0
