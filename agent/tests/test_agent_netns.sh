#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Programs a real network namespace with vnet-agent and vnet-pub (fabric
# protocol 2): slot tables per VNet through nexthop objects (a group
# shared by both slots), blackhole/IPv6/skipped routes, VM rules per slot;
# restart + resync (stale route, rule and object removed, changed route
# replaced, unchanged ones untouched); a delta touches its prefix only;
# nexthops_down replaces the group only (no route event); a slot fails
# over with no route event when both instances publish the same table;
# bad messages and a v1 Hello are refused; keepalive timeout, grace,
# unreachable gateways, flush on exit, staging cap, v1 options refused; a
# dual-stack VM (an IPv4 and an IPv6 rule, IPv4 and IPv6 routes, IPv6
# next hops down, resync, removal, flush of both families).
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
# VNet spoke: slot tables 100 (instance 0) and 101 (instance 1); VNet hub:
# 102/103. vm1 -> slot 1, vm2 -> slot 0 (fnv1a32(name) % 2), vm6 (IPv6).
VNETS=(--vnet "spoke=$NS,tables=100:101" --vnet "hub=$NS,tables=102:103,metric=50,rule-pref=900")
VMS=(--vm vm1=spoke,ip=10.1.1.5 --vm vm2=spoke,ip=10.1.1.6 --vm vm6=hub,ip=fd00:1::6)

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
	"$AGENT" --status --socket "$SOCK" "$@"
}

# jqcheck FILTER: true when the status satisfies FILTER.
jqcheck() {
	status | jq -e "$1" >/dev/null
}

# The agent's routes (proto 200) of the slot tables, as ip prints them.
routes() {
	local t
	for t in 100 101 102 103; do
		ip -n "$NS" -4 route show table $t proto 200
		ip -n "$NS" -6 route show table $t proto 200
	done 2>/dev/null
}

# nh ID: the next hops of a nexthop object, "ADDR/WEIGHT ..." sorted.
nh() {
	local out m id w
	out=$(ip -n "$NS" nexthop show id "$1" 2>/dev/null)
	if [[ $out == *" group "* ]]; then
		for m in $(echo "$out" | sed -n 's/.* group \([^ ]*\).*/\1/p' | tr / ' '); do
			id=${m%%,*}
			w=1
			[[ $m == *,* ]] && w=${m#*,}
			echo "$(ip -n "$NS" nexthop show id "$id" | sed -n 's/.* via \([^ ]*\) .*/\1/p')/$w"
		done | sort | tr '\n' ' '
	else
		echo "$(echo "$out" | sed -n 's/.* via \([^ ]*\) .*/\1/p')/1 "
	fi
}

# route FAMILY TABLE PREFIX: "blackhole", "nhid N", or "" (proto 200 only).
route() {
	ip -n "$NS" -j "$1" route show table "$2" proto 200 2>/dev/null |
		jq -r --arg p "$3" '.[] | select(.dst == $p) |
			if .type == "blackhole" then "blackhole" else "nhid \(.nhid)" end'
}

# via FAMILY TABLE PREFIX: the route's next hops ("A/w B/w "), or its kind.
via() {
	local r
	r=$(route "$@")
	case $r in
	"nhid "*) nh "${r#nhid }" ;;
	*) echo "$r" ;;
	esac
}

rule_of() {	# rule_of ADDR: the proto-200 rules for ADDR, blanks squeezed
	{ ip -n "$NS" -4 rule show; ip -n "$NS" -6 rule show; } 2>/dev/null |
		grep "from $1 " | grep "proto 200" | awk '{$1 = $1; print}'
}

# Predicates for wait_for (evaluated at every poll).
has_rule() { [ -n "$(rule_of "$1")" ]; }
has_route() { [ -n "$(route "$@")" ]; }
no_routes() { [ -z "$(routes)" ]; }
no_objects() { [ -z "$(ip -n "$NS" nexthop show proto 200 2>/dev/null)" ]; }

# is_via FAMILY TABLE PREFIX WANT: the route's next hops are WANT.
is_via() {
	[ "$(via "$1" "$2" "$3")" = "$4" ]
}

start_agent() {
	"$AGENT" --socket "$SOCK" "${VNETS[@]}" "${VMS[@]}" \
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

# A monitor of routes and nexthops, proven running by a marker route it
# must report (an event before its subscription is lost: the marker is
# repeated, polling); mon_stop proves it saw everything before (a second
# marker: netlink events arrive in order).
MON=
mon_start() {
	: >"$TMP/monitor.log"
	ip -n "$NS" monitor route nexthop rule >"$TMP/monitor.log" 2>&1 &
	MON=$!
	PIDS+=("$MON")
	marker 198.51.100.0/25 || fail "ip monitor not running (marker 1 not seen)"
}
mon_stop() {
	marker 198.51.100.128/25 || fail "ip monitor stopped (marker 2 not seen)"
	kill "$MON"
	wait "$MON" 2>/dev/null
	ip -n "$NS" route flush table 250
}
marker_once() {
	ip -n "$NS" route del blackhole "$1" table 250 2>/dev/null
	ip -n "$NS" route add blackhole "$1" table 250 &&
		wait_for 1 grep -q "$1" "$TMP/monitor.log"
}
marker() {
	wait_for 5 marker_once "$1"
}
# Route events of the slot tables (not the markers' table 250).
route_events() {
	grep -E "table 10[0-3]" "$TMP/monitor.log" | grep -v "^id " || true
}
nh_events() {
	grep -E "^(Deleted )?id " "$TMP/monitor.log" || true
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
  "tables": {
    "spoke": [
      { "prefix": "10.2.0.0/16", "nextHops": ["10.1.1.10", {"address": "10.1.1.11", "weight": 2}] },
      { "prefix": "10.4.0.0/16", "nextHops": ["10.1.1.11", {"address": "10.1.1.10", "weight": 2}] },
      { "prefix": "0.0.0.0/0", "source": "default", "nextHops": ["10.1.1.10"] },
      { "prefix": "192.168.99.0/24", "nextHopType": "none" },
      { "prefix": "10.1.1.0/24", "source": "vnetLocal", "nextHopType": "vnetLocal" },
      { "prefix": "10.3.0.0/16", "nextHops": ["10.1.1.10"], "state": "invalid" },
      { "prefix": "10.5.0.0/16", "nextHops": ["10.1.1.10"] }
    ],
    "hub": [
      { "prefix": "fd10::/48", "source": "vnetPeering", "nextHopType": "vnetPeering",
        "nextHops": ["fd00:1::10", "fd00:1::11"] },
      { "prefix": "10.50.0.0/16", "nextHops": ["10.1.1.20"] }
    ],
    "not-here": [ { "prefix": "10.60.0.0/16", "nextHops": ["10.1.1.20"] } ]
  } }
EOF
# Instance 1: the same world, the default route via another NVA.
sed -e 's/"rs1-0"/"rs1-1"/' -e 's/"instanceId": 0/"instanceId": 1/' \
	-e 's/"source": "default", "nextHops": \["10.1.1.10"\]/"source": "default", "nextHops": ["10.1.1.12"]/' \
	"$TMP/a.json" >"$TMP/b.json"
# Instance 1 with exactly instance 0's tables.
sed -e 's/"rs1-0"/"rs1-1"/' -e 's/"instanceId": 0/"instanceId": 1/' "$TMP/a.json" >"$TMP/a1.json"

# --- 0. options ------------------------------------------------------------
out=$("$AGENT" --socket "$SOCK" --vm "vm1=$NS,table=100" 2>&1)
rc=$?
[ $rc = 2 ] && [[ $out == *"vm vm1: v1 form; protocol 2 needs --vnet NAME=NETNS,tables=T0:T1 and --vm NAME=VNET,ip=ADDR"* ]] &&
	ok "v1 --vm form refused: $out" || fail "v1 --vm form: rc $rc: $out"
out=$("$AGENT" --socket "$SOCK" --vnet "spoke=$NS,tables=100:101" --vm vm1=hub,ip=10.1.1.5 2>&1)
[[ $out == *"vnet hub is not configured"* ]] && ok "VM of an unknown VNet refused" || fail "unknown VNet: $out"
out=$("$AGENT" --socket "$SOCK" --vnet "spoke=$NS,tables=100:101" --vnet "hub=$NS,tables=101:102" 2>&1)
[[ $out == *"table 101 of netns $NS is already a slot table of vnet spoke"* ]] &&
	ok "a table shared by two VNets refused" || fail "shared table: $out"
out=$("$AGENT" --socket "$SOCK" --vnet "spoke=$NS,tables=100:254" 2>&1)
[[ $out == *"not 253, 254 or 255"* ]] && ok "main table as a slot table refused" || fail "table 254: $out"
printf 'vnet spoke=%s,tables=100:101\nvm vm1=spoke,ip=10.1.1.5\nvm vm2=spoke,ip=10.1.1.5\n' "$NS" >"$TMP/dup.conf"
out=$("$AGENT" --socket "$SOCK" --config "$TMP/dup.conf" 2>&1)
[[ $out == *"vm vm2: its address 10.1.1.5 is already vm vm1's in netns $NS"* ]] && ok "two VMs on one address refused" ||
	fail "dup address: $out"
out=$("$AGENT" --socket "$SOCK" --vnet "spoke=$NS,tables=100:101" --vm vm1=spoke,ip=fd00:1::5,ip=10.1.1.5,ip=fd00:1::6 2>&1)
rc=$?
[ $rc = 2 ] && [[ $out == *"two IPv6 addresses (fd00:1::5 and fd00:1::6); a VM has at most one IPv4 and one IPv6 address (ip=V4,ip=V6)"* ]] &&
	ok "two addresses of one family refused: $out" || fail "two IPv6 addresses: rc $rc: $out"

# --- 1. snapshot: slot tables, nexthop objects, rules --------------------------
start_agent
[ "$(stat -c %a "$SOCK")" = 600 ] && ok "socket mode 0600" || fail "socket mode $(stat -c %a "$SOCK")"
[ "$(ip netns exec "$NS" cat /proc/sys/net/ipv4/nexthop_compat_mode)" = 0 ] &&
	ok "nexthop_compat_mode 0 in the VNet namespace" || fail "nexthop_compat_mode not 0"
"$PUB" --socket "$SOCK" --file "$TMP/a.json" -q || fail "publish a.json"
for t in 100 101; do
	[ "$(via -4 $t default)" = "10.1.1.10/1 " ] && [ "$(via -4 $t 10.2.0.0/16)" = "10.1.1.10/1 10.1.1.11/2 " ] &&
		[ "$(via -4 $t 10.4.0.0/16)" = "10.1.1.10/2 10.1.1.11/1 " ] &&
		[ "$(via -4 $t 192.168.99.0/24)" = blackhole ] &&
		ok "table $t: default, ECMP with weights, blackhole" ||
		{ fail "table $t: $(ip -n "$NS" -d route show table $t)"; }
	[ -z "$(route -4 $t 10.3.0.0/16)" ] && [ -z "$(route -4 $t 10.1.1.0/24)" ] &&
		ok "table $t: invalid and vnetLocal routes not programmed" || fail "table $t: skipped routes programmed"
done
[ "$(via -6 102 fd10::/48)" = "fd00:1::10/1 fd00:1::11/1 " ] && [ "$(via -4 103 10.50.0.0/16)" = "10.1.1.20/1 " ] &&
	ok "hub tables 102/103: IPv6 ECMP" || fail "hub: $(ip -n "$NS" -6 -d route show table 102)"
ip -n "$NS" -4 route show table 103 proto 200 | grep -q "^10.50.0.0/16 nhid [0-9]* metric 50" &&
	ok "hub metric 50" || fail "hub metric: $(ip -n "$NS" route show table 103)"
# One gateway object per gateway, shared by every route through it in
# both slot tables; one group per ECMP set and slot table (a publisher's
# next hops down change the groups of the slots it feeds only).
[ "$(route -4 100 default)" = "$(route -4 101 default)" ] &&
	[ "$(route -4 100 default)" = "$(route -4 100 10.5.0.0/16)" ] &&
	ok "gateway object shared by both slot tables: $(route -4 100 default)" ||
	fail "gateway objects not shared: $(ip -n "$NS" route show table 100) / $(ip -n "$NS" route show table 101)"
[ "$(route -4 100 10.2.0.0/16)" != "$(route -4 101 10.2.0.0/16)" ] &&
	[ "$(route -4 100 10.2.0.0/16)" != "$(route -4 100 10.4.0.0/16)" ] &&
	ok "a group per ECMP set and slot table" || fail "groups: $(ip -n "$NS" nexthop show)"
[ "$(ip -n "$NS" nexthop show proto 200 | grep -c group)" = 6 ] &&
	[ "$(ip -n "$NS" nexthop show proto 200 | grep -vc group)" = 5 ] &&
	ok "6 groups, 5 gateway objects" || fail "objects: $(ip -n "$NS" nexthop show)"
[ "$(rule_of 10.1.1.5)" = "1000: from 10.1.1.5 lookup 101 proto 200" ] &&
	[ "$(rule_of 10.1.1.6)" = "1000: from 10.1.1.6 lookup 100 proto 200" ] &&
	[ "$(rule_of fd00:1::6 | awk '{print $1, $5}')" = "900: $(jq -rn --argjson s "$(status --vm vm6)" '$s.table')" ] &&
	ok "VM rules: one per VM, to its slot's table" ||
	fail "rules: $(ip -n "$NS" rule; ip -n "$NS" -6 rule)"
jqcheck '.vnets.spoke.slots[0].routesApplied == 5 and .vnets.spoke.slots[0].routesSkipped == 2 and
	.vnets.spoke.slots[1].lastSeq == 1 and .publishers["0"].unknownVnets == 1 and
	.nexthopGroups == 6 and .nexthops == 5 and .vms.vm1.table == 101 and .vms.vm1.assignedInstance == 1 and
	.vms.vm2.table == 100 and .agent.protocolVersion == 2' &&
	ok "status counts" || { fail "status counts"; status; }
out=$(status --vm vm1 | jq -c .)
[ "$out" = "{\"vm\":\"vm1\",\"vnet\":\"spoke\",\"ip\":\"10.1.1.5\",\"ips\":[\"10.1.1.5\"],\"assignedInstance\":1,\"instanceInUse\":null,\"table\":101,\"netns\":\"$NS\",\"found\":true}" ] &&
	ok "status query vm1: $out" || fail "status query: $out"
[ "$(status --vm nosuch | jq -c .)" = '{"vm":"nosuch","found":false}' ] && ok "status query of an unknown VM" ||
	fail "unknown VM query: $(status --vm nosuch)"

# --- 2. restart and resync ---------------------------------------------------
stop_agent
[ -n "$(routes)" ] && [ -n "$(rule_of 10.1.1.5)" ] && ok "routes and rules kept across agent exit" ||
	fail "routes or rules removed on exit"
# While the agent is down: a stale route, a changed route, a stale rule, a
# stale nexthop object.
ip -n "$NS" route add 10.99.0.0/16 via 10.1.1.10 table 100 proto 200
ip -n "$NS" route replace 0.0.0.0/0 via 10.1.1.13 table 100 proto 200
ip -n "$NS" rule add pref 1000 from 10.1.1.99 lookup 100 proto 200
ip -n "$NS" nexthop add id 77 via 10.1.1.77 dev "$NSIF" proto 200
BEFORE=$(routes | grep -E "^(10.2.0.0|10.4.0.0|blackhole|fd10|10.50)")
mon_start
start_agent
"$PUB" --socket "$SOCK" --file "$TMP/a.json" -q || fail "republish"
mon_stop
grep -q "^Deleted 10.99.0.0/16" "$TMP/monitor.log" && grep -q "^default nhid [0-9]* table 100" "$TMP/monitor.log" &&
	ok "ip monitor saw the resync's delete and replace" ||
	fail "ip monitor missed the resync: $(cat "$TMP/monitor.log")"
[ -z "$(route -4 100 10.99.0.0/16)" ] && ok "stale route removed" || fail "stale route survived resync"
[ "$(via -4 100 default)" = "10.1.1.10/1 " ] && ok "changed route replaced" || fail "default not resynced"
[ "$(routes | grep -E "^(10.2.0.0|10.4.0.0|blackhole|fd10|10.50)")" = "$BEFORE" ] && ok "unchanged routes identical" ||
	fail "unchanged routes differ"
if route_events | grep -Eq "10\.2\.0\.0|10\.4\.0\.0|192\.168\.99|fd10::|10\.50\."; then
	fail "resync touched unchanged routes: $(route_events)"
else
	ok "resync did not touch unchanged routes"
fi
[ -z "$(rule_of 10.1.1.99)" ] && grep -Eq "^Deleted 1000:\s+from 10.1.1.99 " "$TMP/monitor.log" &&
	! grep -q "from 10.1.1.5" "$TMP/monitor.log" &&
	ok "stale rule removed, the right ones untouched" || fail "rules resync: $(cat "$TMP/monitor.log")"
! ip -n "$NS" nexthop show id 77 >/dev/null 2>&1 && ok "stale nexthop object removed" ||
	fail "stale nexthop 77 kept"
jqcheck '.vnets.spoke.slots[0].routesAdded == 0 and .vnets.spoke.slots[0].routesReplaced == 1 and
	.vnets.spoke.slots[0].routesDeleted == 1 and .vnets.spoke.slots[1].routesAdded == 0' &&
	ok "resync counters (0 added, 1 replaced, 1 deleted)" || { fail "resync counters"; status; }
# A VM removed from the configuration loses its rule at the next start.
stop_agent
VMS_ALL=("${VMS[@]}")
VMS=(--vm vm1=spoke,ip=10.1.1.5 --vm vm6=hub,ip=fd00:1::6)
start_agent
wait_for 5 sh -c "! ip -n $NS rule show | grep -q 'from 10.1.1.6 '" && [ -n "$(rule_of 10.1.1.5)" ] &&
	ok "removed VM's rule deleted at start" || fail "vm2's rule kept: $(ip -n "$NS" rule)"
stop_agent
VMS=("${VMS_ALL[@]}")
start_agent
wait_for 5 has_rule 10.1.1.6 && ok "VM added back: rule added" || fail "vm2 rule not added"

# --- 3. next hops down, deltas ------------------------------------------------
"$PUB" --socket "$SOCK" --file "$TMP/a.json" -q --hold 60 &
P0=$!
PIDS+=("$P0")
wait_for 5 jqcheck '.publishers["0"].synced' || fail "instance 0 not synced"
GRP=$(route -4 101 10.4.0.0/16)
# Instance 1 publishes the same tables (slot 1 moves to it: no change)
# and says 10.1.1.11 is down: only slot 1's groups change.
mon_start
"$PUB" --socket "$SOCK" --file "$TMP/a1.json" -q --nh-down 10.1.1.11 --hold 60 &
P1=$!
PIDS+=("$P1")
wait_for 10 is_via -4 101 10.4.0.0/16 "10.1.1.10/2 " || fail "group not reduced: $(via -4 101 10.4.0.0/16)"
mon_stop
[ -z "$(route_events)" ] && [ -n "$(nh_events)" ] &&
	ok "nexthops_down: groups replaced ($(nh_events | wc -l) nexthop events), no route event" ||
	fail "nexthops_down: routes: $(route_events) nexthops: $(nh_events)"
[ "$(route -4 101 10.4.0.0/16)" = "$GRP" ] && is_via -4 101 10.2.0.0/16 "10.1.1.10/1 " &&
	ok "slot 1's groups replaced in place (same id), without the down next hop" ||
	fail "10.4: $(route -4 101 10.4.0.0/16) $(via -4 101 10.4.0.0/16)"
is_via -4 100 10.4.0.0/16 "10.1.1.10/2 10.1.1.11/1 " && is_via -4 100 10.2.0.0/16 "10.1.1.10/1 10.1.1.11/2 " &&
	ok "one instance's next hop down leaves the other instance's slot whole" ||
	fail "slot 0 changed: $(via -4 100 10.4.0.0/16)"
jqcheck '.publishers["1"].nexthopsDown == ["10.1.1.11"] and .netns["'"$NS"'"].groupReplaces == 2' &&
	ok "down set in status, 2 group replaces" || { fail "down set status"; status | jq .publishers,.netns; }
# The down set ends with its publisher's session: slot 1 fails over to
# instance 0, whose down set is empty; its groups change, no route.
mon_start
kill -TERM "$P1"
wait "$P1" 2>/dev/null
wait_for 10 is_via -4 101 10.4.0.0/16 "10.1.1.10/2 10.1.1.11/1 " ||
	fail "group not restored after the session: $(via -4 101 10.4.0.0/16)"
mon_stop
[ -z "$(route_events)" ] && [ -n "$(nh_events)" ] &&
	ok "session ended: slot 1 on instance 0, its groups whole again, no route event" ||
	fail "failover with another down set: routes: $(route_events) nexthops: $(nh_events)"
# Every member down: the group is left whole.
"$PUB" --socket "$SOCK" --file "$TMP/a1.json" -q --nh-down 10.1.1.11,10.1.1.10 --hold 60 &
P1=$!
PIDS+=("$P1")
wait_for 10 jqcheck '.publishers["1"].nexthopsDownCount == 2' || fail "two down"
is_via -4 101 10.4.0.0/16 "10.1.1.10/2 10.1.1.11/1 " && ok "all members down: group left whole" ||
	fail "all down: $(via -4 101 10.4.0.0/16)"
kill -TERM "$P1" "$P0"
wait "$P1" "$P0" 2>/dev/null
# An NVA down for both instances: both slots lose it.
"$PUB" --socket "$SOCK" --file "$TMP/a.json" -q --nh-down 10.1.1.11 --hold 60 &
P0=$!
PIDS+=("$P0")
"$PUB" --socket "$SOCK" --file "$TMP/a1.json" -q --nh-down 10.1.1.11 --hold 60 &
P1=$!
PIDS+=("$P1")
wait_for 10 is_via -4 100 10.4.0.0/16 "10.1.1.10/2 " && wait_for 10 is_via -4 101 10.4.0.0/16 "10.1.1.10/2 " &&
	ok "both instances hold it down: both slots without it" ||
	fail "both down: $(via -4 100 10.4.0.0/16) / $(via -4 101 10.4.0.0/16)"
kill -TERM "$P1" "$P0"
wait "$P1" "$P0" 2>/dev/null
# Deltas (instance 0 feeds both slots now) touch their prefixes only.
mon_start
"$PUB" --socket "$SOCK" --file "$TMP/a.json" -q --delta spoke=10.77.0.0/16@10.1.1.10 \
	--delta spoke=10.5.0.0/16 --delta spoke=10.2.0.0/16@10.1.1.10,10.1.1.11 || fail "deltas"
mon_stop
ev=$(route_events | grep -vE "10\.77\.0\.0/16|10\.5\.0\.0/16|10\.2\.0\.0/16")
[ -z "$ev" ] && [ "$(route_events | wc -l)" = 6 ] &&
	ok "3 deltas touched their prefixes in both slots only ($(route_events | wc -l) route events)" ||
	fail "delta churn: $(route_events)"
[ -n "$(route -4 100 10.77.0.0/16)" ] && [ -z "$(route -4 101 10.5.0.0/16)" ] &&
	is_via -4 101 10.2.0.0/16 "10.1.1.10/1 10.1.1.11/1 " && ok "delta added, withdrew, replaced the weights" ||
	fail "deltas: $(ip -n "$NS" -d route show table 101)"

# --- 4. bad messages ----------------------------------------------------------
"$PUB" --socket "$SOCK" --file "$TMP/a.json" -q || fail "publish"
BEFORE=$(routes)
for kind in garbage oversize truncated seq version bad-prefix too-many-nh update-first \
	big-empty big-withdrawn hello-again ack error-first dup-withdrawn vnet-twice-in-update \
	bad-nexthop-down v1-hello; do
	out=$("$PUB" --socket "$SOCK" --file "$TMP/a.json" -q --bad $kind 2>&1)
	rc=$?
	if [ $rc = 0 ] && agent_alive; then
		ok "bad $kind rejected: $out"
	else
		fail "bad $kind: rc $rc, agent alive: $(agent_alive && echo yes || echo no): $out"
	fi
done
[ "$(routes)" = "$BEFORE" ] && ok "routes unchanged by bad messages" || fail "bad messages changed routes"
grep -q "protocol version 1 not supported: this agent speaks version 2 (tables per VNet); upgrade the publisher" \
	"$TMP/agent.log" && ok "v1 Hello: Error 2 with the upgrade text" || fail "v1 Hello text not logged"
# A maximum-size frame of empty routes is refused within the decode budget.
# Under ASan (scripts/sanitize) the peak is ASan's: shadow memory and the
# quarantine that keeps freed blocks; the bound is the plain build's.
HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$AGENT_PID/status")
if ldd "$AGENT" 2>/dev/null | grep -q 'libasan'; then
	echo "note: agent peak RSS ${HWM:-?} kB after a 4 MiB frame, not bounded under ASan (checked by the plain build)"
elif [ -n "$HWM" ] && [ "$HWM" -le $((32 * 1024)) ]; then
	ok "agent peak RSS ${HWM} kB <= 32 MiB after a 4 MiB frame"
else
	fail "agent peak RSS ${HWM:-?} kB after a 4 MiB frame"
fi
grep -q "needs more than the decode budget" "$TMP/agent.log" && ok "decode budget reason logged" ||
	fail "decode budget reason not logged"
grep -q "frame length 2147483647 exceeds the maximum" "$TMP/agent.log" && ok "oversize reason logged" ||
	fail "oversize reason not logged"
grep -q "has host bits set" "$TMP/agent.log" && ok "bad prefix reason logged" || fail "bad prefix reason not logged"
jqcheck '.publishers["0"].errors >= 10' && ok "publisher errors counted" || { fail "errors not counted"; status; }

# --- 5. failover between instances --------------------------------------------
# Both instances publish the same tables: a slot that changes instance
# changes nothing in the kernel.
"$PUB" --socket "$SOCK" --file "$TMP/a.json" --keepalive-ms 300 --hold 60 -q &
P0=$!
PIDS+=("$P0")
"$PUB" --socket "$SOCK" --file "$TMP/a1.json" --keepalive-ms 300 --hold 60 -q &
P1=$!
PIDS+=("$P1")
wait_for 5 jqcheck '.vnets.spoke.slots[0].instanceInUse == 0 and .vnets.spoke.slots[1].instanceInUse == 1' &&
	ok "each slot from its own instance" || fail "slots: $(status | jq -c '[.vnets.spoke.slots[].instanceInUse]')"
mon_start
kill -TERM "$P1"
wait "$P1" 2>/dev/null
wait_for 5 jqcheck '.vnets.spoke.slots[1].instanceInUse == 0 and .vms.vm1.instanceInUse == 0' &&
	ok "instance 1 gone: slot 1 fails over to instance 0" || fail "no failover"
"$PUB" --socket "$SOCK" --file "$TMP/a1.json" --keepalive-ms 300 --hold 60 -q &
P1=$!
PIDS+=("$P1")
wait_for 5 jqcheck '.vnets.spoke.slots[1].instanceInUse == 1' && ok "instance 1 back: slot 1 returns" ||
	fail "slot 1 did not return"
mon_stop
[ -z "$(route_events)" ] && ok "failover and return with the same table: no route event" ||
	fail "failover churn: $(route_events)"
# Different tables: the kernel follows the instance in use.
kill -TERM "$P1"
wait "$P1" 2>/dev/null
"$PUB" --socket "$SOCK" --file "$TMP/b.json" --keepalive-ms 300 --hold 60 -q &
P1=$!
PIDS+=("$P1")
wait_for 5 is_via -4 101 default "10.1.1.12/1 " && is_via -4 100 default "10.1.1.10/1 " &&
	ok "slot 1 follows instance 1's table" || fail "table 101 default: $(via -4 101 default)"
kill -TERM "$P1"
wait "$P1" 2>/dev/null
wait_for 5 is_via -4 101 default "10.1.1.10/1 " &&
	[ "$(route -4 101 default)" = "$(route -4 100 default)" ] &&
	ok "instance 1 gone: slot 1 back on instance 0's default (same object)" ||
	fail "table 101 default: $(via -4 101 default)"

# --- 6a. a stalled agent judges timeouts only after reading its input --------
CONNECTS=$(status | jq '.publishers["0"].connects')
kill -STOP "$AGENT_PID"
STOPPED=$(date +%s%N)
queued_and_late() {
	[ $(( ($(date +%s%N) - STOPPED) / 1000000 )) -gt 1500 ] &&
		ss -x -H state connected src "$SOCK" | awk '$3 > 0 { f = 1 } END { exit !f }'
}
wait_for 10 queued_and_late || fail "no keepalive queued while the agent was stopped"
kill -CONT "$AGENT_PID"
wait_for 5 jqcheck '.publishers["0"].lastSeq > 0' >/dev/null
jqcheck ".publishers[\"0\"].connected == true and .publishers[\"0\"].connects == $CONNECTS" &&
	ok "stalled agent kept the publisher whose keepalive was queued" ||
	{ fail "stalled agent dropped a live publisher"; status; }

# --- 6. keepalive timeout, then grace ----------------------------------------
kill -STOP "$P0"
wait_for 5 jqcheck '.publishers["0"].connected == false' && ok "silent publisher dropped" ||
	fail "silent publisher not dropped"
jqcheck '.publishers["0"].lastError | test("silent for")' && ok "timeout reason in status" ||
	fail "timeout reason missing"
jqcheck '.vnets.spoke.slots[0].instanceInUse == null and .vnets.spoke.slots[0].graceRemainingSeconds > 0 and
	.vnets.spoke.slots[0].routesApplied == 5 and .vms.vm2.graceRemainingSeconds > 0' &&
	ok "grace: last routes kept" || { fail "grace state"; status; }
kill -TERM "$P0"
kill -CONT "$P0"
wait "$P0" 2>/dev/null
stop_agent

# Grace expiry withdraws; objects nothing uses go with the routes.
GRACE=1 start_agent
wait_for 5 no_routes && ok "grace expiry withdraws routes" || fail "routes still there after grace"
wait_for 5 no_objects && ok "unused nexthop objects deleted" ||
	fail "objects left: $(ip -n "$NS" nexthop show)"
[ -n "$(rule_of 10.1.1.5)" ] && ok "VM rules stay (configuration, not routes)" || fail "rule gone with the routes"

# --- 7. a gateway that is not on a connected network -------------------------
cat >"$TMP/far.json" <<EOF
{ "instance": "rs1-0", "instanceId": 0,
  "tables": { "spoke": [ { "prefix": "16.0.0.0/24", "nextHops": ["10.9.9.9"] },
                         { "prefix": "16.0.1.0/24", "nextHops": ["10.1.1.10"] } ] } }
EOF
"$PUB" --socket "$SOCK" --file "$TMP/far.json" -q --hold 60 &
P0=$!
PIDS+=("$P0")
wait_for 5 jqcheck '.vnets.spoke.slots[0].lastError | test("gateway 10.9.9.9 is not reachable")' &&
	[ -n "$(route -4 100 16.0.1.0/24)" ] && [ -z "$(route -4 100 16.0.0.0/24)" ] &&
	ok "unreachable gateway: route skipped, reason in lastError, others programmed" ||
	{ fail "unreachable gateway"; status | jq .vnets.spoke.slots; }
ip -n "$NS" addr add 10.9.9.2/24 dev "$NSIF"
wait_for 5 has_route -4 100 16.0.0.0/24 && wait_for 5 jqcheck '.vnets.spoke.slots[0].lastError == ""' &&
	ok "retried once the gateway is reachable" || fail "no retry: $(status | jq -c .vnets.spoke.slots)"
kill -TERM "$P0"
wait "$P0" 2>/dev/null
stop_agent

# --- 8. flush on exit ----------------------------------------------------------
start_agent --flush-on-exit
"$PUB" --socket "$SOCK" --file "$TMP/a.json" -q || fail "publish for flush"
[ -n "$(routes)" ] || fail "nothing programmed before flush"
stop_agent
[ -z "$(routes)" ] && [ -z "$(ip -n "$NS" nexthop show proto 200)" ] && [ -z "$(rule_of 10.1.1.5)" ] &&
	ok "--flush-on-exit removed owned routes, nexthops and rules" ||
	fail "--flush-on-exit left: $(routes; ip -n "$NS" nexthop; ip -n "$NS" rule)"
ip -n "$NS" route show | grep -q "proto kernel" && ok "connected routes untouched by flush" ||
	fail "flush removed foreign routes"

# --- 9. staging cap ------------------------------------------------------------
VNETS+=(--vnet "vnet0=$NS,tables=110:111")
start_agent --max-stage-routes 50
out=$("$PUB" --socket "$SOCK" --gen 1:100 --max-frame 600 -q 2>&1)
echo "$out" | grep -q "Error 8: chunked snapshot too large" && agent_alive &&
	ok "staging beyond --max-stage-routes refused: $out" || fail "staging cap: $out"
# A table split across chunks is merged.
out=$("$PUB" --socket "$SOCK" --gen 1:40 --gen-nh 10.1.1.10 --max-frame 600 2>&1)
[ "$(ip -n "$NS" route show table 110 proto 200 | wc -l)" = 40 ] &&
	ok "one VNet's table across chunks merged: $out" || fail "chunks: $out"
stop_agent

# --- 10. dual stack ------------------------------------------------------------
# VNet dual (tables 120/121): vmd has an IPv4 and an IPv6 address, one rule
# each (ip rule / ip -6 rule: same table, preference and protocol); IPv4
# and IPv6 routes through nexthop objects of their family: ::/0, an IPv6
# ECMP group with weights, an IPv6 blackhole; IPv6 next hops down shrink
# the groups like IPv4 ones; resync, VM removal and flush of both families.
VNETS+=(--vnet "dual=$NS,tables=120:121")
VMS+=(--vm vmd=dual,ip=10.1.1.7,ip=fd00:1::7)
cat >"$TMP/d.json" <<EOF
{ "instance": "rs1-0", "instanceId": 0,
  "tables": { "dual": [
      { "prefix": "0.0.0.0/0", "source": "default", "nextHops": ["10.1.1.10"] },
      { "prefix": "10.20.0.0/16", "nextHops": ["10.1.1.10", "10.1.1.11"] },
      { "prefix": "::/0", "source": "default", "nextHops": ["fd00:1::10"] },
      { "prefix": "fd20::/48", "nextHops": ["fd00:1::10", {"address": "fd00:1::11", "weight": 2}] },
      { "prefix": "fd99::/64", "nextHopType": "none" } ] } }
EOF
sed -e 's/"rs1-0"/"rs1-1"/' -e 's/"instanceId": 0/"instanceId": 1/' "$TMP/d.json" >"$TMP/d1.json"
# The dual VNet's proto-200 routes (both families), and its route events.
droutes() {
	local t
	for t in 120 121; do
		ip -n "$NS" -4 route show table $t proto 200
		ip -n "$NS" -6 route show table $t proto 200
	done 2>/dev/null
}
dual_events() {
	grep -E "table 12[01]" "$TMP/monitor.log" | grep -v "^id " || true
}
rule6_of() {	# rule6_of ADDR: the proto-200 IPv6 rules for ADDR (ip -6 rule)
	ip -n "$NS" -6 rule show 2>/dev/null | grep "from $1 " | grep "proto 200" | awk '{$1 = $1; print}'
}
no_rules_of() { [ -z "$(rule_of "$1")" ]; }

start_agent
"$PUB" --socket "$SOCK" --file "$TMP/d.json" -q || fail "publish d.json"
DT=$(status --vm vmd | jq -r .table)
OT=$((DT == 120 ? 121 : 120))
for t in 120 121; do
	[ "$(via -6 $t default)" = "fd00:1::10/1 " ] && [ "$(via -6 $t fd20::/48)" = "fd00:1::10/1 fd00:1::11/2 " ] &&
		[ "$(via -6 $t fd99::/64)" = blackhole ] && [ "$(via -4 $t default)" = "10.1.1.10/1 " ] &&
		[ "$(via -4 $t 10.20.0.0/16)" = "10.1.1.10/1 10.1.1.11/1 " ] &&
		ok "table $t: IPv4 and IPv6 (::/0, ECMP with weights, blackhole)" ||
		fail "table $t: $(ip -n "$NS" -d route show table $t; ip -n "$NS" -6 -d route show table $t)"
	out=$(ip -n "$NS" -6 route show table $t proto 200)
	echo "$out" | grep -q "^default nhid [0-9]* metric 1024" && echo "$out" | grep -q "^fd20::/48 nhid [0-9]* " &&
		echo "$out" | grep -q "^blackhole fd99::/64 " && ok "ip -6 route show table $t: ::/0, fd20::/48, blackhole" ||
		fail "ip -6 route show table $t: $out"
done
out=$(ip -n "$NS" -6 nexthop show proto 200)
[ "$(echo "$out" | grep -c " via fd00:1::1[01] ")" = 2 ] && [ "$(echo "$out" | grep -vc " via fd00:1::")" = 0 ] &&
	ok "ip -6 nexthop: one IPv6 gateway object per IPv6 next hop" || fail "ip -6 nexthop: $out"
[ "$(route -6 120 default)" = "$(route -6 121 default)" ] && [ "$(route -6 120 fd20::/48)" != "$(route -6 121 fd20::/48)" ] &&
	ok "IPv6 gateway shared by both slot tables, an IPv6 group per slot table" ||
	fail "IPv6 objects: $(ip -n "$NS" nexthop show)"
[ "$(rule_of 10.1.1.7)" = "1000: from 10.1.1.7 lookup $DT proto 200" ] &&
	[ "$(rule6_of fd00:1::7)" = "1000: from fd00:1::7 lookup $DT proto 200" ] &&
	ok "dual-stack VM: ip rule and ip -6 rule to table $DT, pref 1000, proto 200" ||
	fail "dual-stack rules: $(ip -n "$NS" rule; ip -n "$NS" -6 rule)"
jqcheck '.vms.vmd.ip == "10.1.1.7" and .vms.vmd.ips == ["10.1.1.7", "fd00:1::7"] and .vms.vmd.rule == true and
	.vms.vm6.ips == ["fd00:1::6"] and .vnets.dual.slots[0].routesApplied == 5' &&
	ok "status: ip (the first address) and ips (all)" || { fail "dual status"; status | jq .vms; }
out=$(status --vm vmd | jq -c '[.ip, .ips]')
[ "$out" = '["10.1.1.7",["10.1.1.7","fd00:1::7"]]' ] && ok "status query vmd: $out" || fail "status query vmd: $out"

# IPv6 next hops down: instance 1 holds fd00:1::11 and 10.1.1.11 down; the
# groups of its slot (table 121) shrink in place, no route event, table
# 120 (instance 0) keeps them whole.
"$PUB" --socket "$SOCK" --file "$TMP/d.json" -q --hold 60 &
P0=$!
PIDS+=("$P0")
wait_for 5 jqcheck '.publishers["0"].synced' || fail "instance 0 not synced"
GRP6=$(route -6 121 fd20::/48)
mon_start
"$PUB" --socket "$SOCK" --file "$TMP/d1.json" -q --nh-down fd00:1::11,10.1.1.11 --hold 60 &
P1=$!
PIDS+=("$P1")
wait_for 10 is_via -6 121 fd20::/48 "fd00:1::10/1 " || fail "IPv6 group not reduced: $(via -6 121 fd20::/48)"
wait_for 10 is_via -4 121 10.20.0.0/16 "10.1.1.10/1 " || fail "IPv4 group not reduced: $(via -4 121 10.20.0.0/16)"
mon_stop
[ -z "$(dual_events)" ] && nh_events | grep -q "^id $(route -6 121 fd20::/48 | cut -d' ' -f2) group" &&
	ok "IPv6 next hop down: the IPv6 group replaced, no route event" ||
	fail "IPv6 nexthops_down: routes: $(dual_events) nexthops: $(nh_events)"
[ "$(route -6 121 fd20::/48)" = "$GRP6" ] && is_via -6 120 fd20::/48 "fd00:1::10/1 fd00:1::11/2 " &&
	is_via -4 120 10.20.0.0/16 "10.1.1.10/1 10.1.1.11/1 " &&
	ok "same group id; instance 0's slot (table 120) keeps both next hops" ||
	fail "after IPv6 down: 120 $(via -6 120 fd20::/48) 121 $(route -6 121 fd20::/48) (was $GRP6)"
jqcheck '(.publishers["1"].nexthopsDown | sort) == ["10.1.1.11", "fd00:1::11"]' &&
	ok "IPv6 address in the down set of the status" || { fail "down set"; status | jq -c '.publishers["1"]'; }
mon_start
kill -TERM "$P1"
wait "$P1" 2>/dev/null
wait_for 10 is_via -6 121 fd20::/48 "fd00:1::10/1 fd00:1::11/2 " ||
	fail "IPv6 group not restored: $(via -6 121 fd20::/48)"
mon_stop
[ -z "$(dual_events)" ] && ok "IPv6 next hop back with the session's end: group whole again, no route event" ||
	fail "IPv6 restore churn: $(dual_events)"
kill -TERM "$P0"
wait "$P0" 2>/dev/null
# IPv6 deltas: an ECMP route, a withdrawal, a blackhole.
"$PUB" --socket "$SOCK" --file "$TMP/d.json" -q --delta dual=fd30::/64@fd00:1::10,fd00:1::11 \
	--delta dual=fd99::/64 --delta dual=fd31::/64@ || fail "IPv6 deltas"
is_via -6 120 fd30::/64 "fd00:1::10/1 fd00:1::11/1 " && [ -z "$(route -6 121 fd99::/64)" ] &&
	is_via -6 121 fd31::/64 blackhole && ok "IPv6 deltas: ECMP route added, withdrawn, blackhole" ||
	fail "IPv6 deltas: $(ip -n "$NS" -6 route show table 121)"

# Restart: stale IPv6 route, rule and object removed, a changed IPv6 route
# replaced, the VM's right rules (both families) and unchanged routes
# untouched; its IPv6 rule to the wrong table replaced.
stop_agent
ip -n "$NS" -6 route add fd77::/64 via fd00:1::10 table 120 proto 200
ip -n "$NS" -6 route replace ::/0 via fd00:1::13 table 120 proto 200
ip -n "$NS" -6 rule add pref 1000 from fd00:1::99 lookup 120 proto 200
ip -n "$NS" -6 rule add pref 1000 from fd00:1::7 lookup $OT proto 200
ip -n "$NS" nexthop add id 78 via fd00:1::78 dev "$NSIF" proto 200
mon_start
start_agent
"$PUB" --socket "$SOCK" --file "$TMP/d.json" -q || fail "republish d.json"
mon_stop
[ -z "$(route -6 120 fd77::/64)" ] && grep -q "^Deleted fd77::/64 " "$TMP/monitor.log" &&
	ok "stale IPv6 route removed" || fail "fd77::/64: $(ip -n "$NS" -6 route show table 120)"
is_via -6 120 default "fd00:1::10/1 " && grep -q "^default nhid [0-9]* table 120 proto 200 metric 1024" "$TMP/monitor.log" &&
	ok "changed IPv6 default replaced" || fail "::/0 not resynced: $(via -6 120 default)"
# (fd99::/64 comes back, fd30::/64 and fd31::/64 go: the deltas above)
! dual_events | grep -Eq "fd20::|10\.20\.0\.0|^default .*table 121 " &&
	[ "$(dual_events | grep -c "^default .*table 120 ")" = 1 ] &&
	ok "resync left unchanged IPv4 and IPv6 routes alone (one default event: the IPv6 one replaced)" ||
	fail "resync touched unchanged dual routes: $(dual_events)"
[ -z "$(rule6_of fd00:1::99)" ] && [ "$(rule6_of fd00:1::7)" = "1000: from fd00:1::7 lookup $DT proto 200" ] &&
	grep -Eq "^Deleted 1000:\s+from fd00:1::7 lookup $OT " "$TMP/monitor.log" &&
	! grep -Eq "from (fd00:1::7|10\.1\.1\.7) lookup $DT" "$TMP/monitor.log" &&
	ok "stale IPv6 rules removed, the VM's right rules (both families) untouched" ||
	fail "IPv6 rules resync: $(ip -n "$NS" -6 rule) / $(cat "$TMP/monitor.log")"
! ip -n "$NS" nexthop show id 78 >/dev/null 2>&1 && ok "stale IPv6 nexthop object removed" ||
	fail "stale nexthop 78 kept"
# A dual-stack VM removed from the configuration loses both rules.
stop_agent
VMS_ALL=("${VMS[@]}")
VMS=(--vm vm1=spoke,ip=10.1.1.5 --vm vm6=hub,ip=fd00:1::6)
start_agent
wait_for 5 no_rules_of 10.1.1.7 && wait_for 5 no_rules_of fd00:1::7 && [ -n "$(rule_of fd00:1::6)" ] &&
	ok "removed dual-stack VM: its IPv4 and IPv6 rules deleted at start" ||
	fail "vmd's rules kept: $(ip -n "$NS" rule; ip -n "$NS" -6 rule)"
stop_agent
VMS=("${VMS_ALL[@]}")
start_agent
wait_for 5 has_rule 10.1.1.7 && wait_for 5 has_rule fd00:1::7 && ok "dual-stack VM added back: both rules added" ||
	fail "vmd's rules not added"
# vnet-pub --gen with IPv6 next hops: /64s from fd16:: (instance 0 now
# publishes vnet0 only: dual keeps its routes in grace).
out=$("$PUB" --socket "$SOCK" --gen 1:40:2 --gen-nh fd00:1::10,fd00:1::11 2>&1)
[ "$(ip -n "$NS" -6 route show table 110 proto 200 | grep -c "^fd16:[0-9a-f:]*/64 nhid")" = 40 ] &&
	is_via -6 110 fd16:0:0:27::/64 "fd00:1::10/1 fd00:1::11/1 " &&
	[ -z "$(ip -n "$NS" -4 route show table 110 proto 200)" ] &&
	ok "--gen with IPv6 next hops: 40 IPv6 ECMP routes: $out" ||
	fail "--gen IPv6: $out: $(ip -n "$NS" -6 route show table 110 | head -3)"
out=$("$PUB" --socket "$SOCK" --gen 1:4 --gen-nh 10.1.1.10,fd00:1::10 2>&1)
[[ $out == *"--gen-nh: '10.1.1.10,fd00:1::10' mixes IPv4 and IPv6"* ]] && ok "--gen-nh of two families refused" ||
	fail "--gen-nh mixed: $out"
# An IPv6 link-local next hop names no link: skipped, with the reason.
cat >"$TMP/ll.json" <<EOF
{ "instance": "rs1-0", "instanceId": 0,
  "tables": { "dual": [ { "prefix": "fd40::/64", "nextHops": ["fe80::10"] },
                        { "prefix": "fd41::/64", "nextHops": ["fd00:1::10"] } ] } }
EOF
"$PUB" --socket "$SOCK" --file "$TMP/ll.json" -q || fail "publish ll.json"
jqcheck '.vnets.dual.slots[0].lastError | test("gateway fe80::10 is link-local")' &&
	[ -n "$(route -6 120 fd41::/64)" ] && [ -z "$(route -6 120 fd40::/64)" ] &&
	ok "IPv6 link-local gateway: route skipped, reason in lastError, the others programmed" ||
	{ fail "link-local gateway"; status | jq .vnets.dual.slots; }
stop_agent
# Flush on exit: both families' routes, objects and rules.
start_agent --flush-on-exit
"$PUB" --socket "$SOCK" --file "$TMP/d.json" -q || fail "publish d.json for flush"
[ -n "$(ip -n "$NS" -6 route show table 120 proto 200)" ] || fail "nothing IPv6 programmed before flush"
stop_agent
[ -z "$(droutes)" ] && [ -z "$(ip -n "$NS" nexthop show proto 200)" ] && [ -z "$(rule_of 10.1.1.7)" ] &&
	[ -z "$(rule6_of fd00:1::7)" ] && ok "--flush-on-exit removed IPv4 and IPv6 routes, objects and rules" ||
	fail "--flush-on-exit left: $(droutes; ip -n "$NS" nexthop; ip -n "$NS" -6 rule)"

if [ $FAILS != 0 ]; then
	echo "$FAILS failure(s); agent log:"
	cat "$TMP/agent.log"
	exit 1
fi
echo "all agent netns tests passed"
exit 0
