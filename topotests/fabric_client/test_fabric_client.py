#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bgpd_rs publishing effective routes to the real vnet-agent, fabric
protocol 2 (the cases of README.md in this directory), run with the lab
engine on a topology that this test writes to its own directory (name
fabt-<pid>):

  hub 10.1.0.0/16: rs .4 (bgpd + bgpd_rs, AS 65515), nva1 .10 (65001),
                   nva2 .11 (65002), vm1 10.1.1.10, inj .12 (a host that
                   runs scripts/bgp-inject.py for the big table)
  spoke 10.2.0.0/16 (peered with hub, uses the hub's route server): vm2 10.2.1.10

The route server publishes one table per VNet (hub, spoke); the agent
knows the VMs and fills each VNet's slot tables. The route server also has
a peering "spoke2" (10.3.0.0/16) that the lab does not build: a BGP route
inside 10.3.0.0/16 is covered by a system route in the hub (not
programmed) but not in the spoke, so it changes the spoke's table only.
Both NVAs offer 10.20.0.0/16 (ECMP), nva2 also 192.168.50.0/24. The
agent's grace is 5 s so that withdrawal is observable. Every wait polls
the published state (the route server's "show route-server fabric json",
the agent's status, the kernel); nothing depends on when the module first
publishes after a start.
"""

import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topolog import logger  # noqa: E402

import vrstest  # noqa: E402

vrstest.load_topology("rs-two-nvas")  # puts scripts/ on sys.path
import vrslab  # noqa: E402

pytestmark = [pytest.mark.bgpd]

NAME = "fabt-{}".format(os.getpid())
GRACE = 5
RS, NVA1, NVA2, INJ = "10.1.0.4", "10.1.0.10", "10.1.0.11", "10.1.0.12"
ECMP_PFX, NVA2_PFX = "10.20.0.0/16", "192.168.50.0/24"
SPOKE2_PFX = "10.3.7.0/24"
VNETS = ("hub", "spoke")
VM_VNET = {"vm1": "hub", "vm2": "spoke"}
# The big table: /24s from bgp-inject.py, more than one frame's worth
# (a frame carries at most 32,768 routes, and less than the agent's decode
# budget: ~620 bytes per route with one next hop).
BIG_N = int(os.environ.get("VRS_FABT_BIG", "300000"))
BIG_BASE = "100.0.0.0"
FRAME_ROUTES = 32768

TOPOLOGY = {
    "name": NAME,
    "description": "fabric_client topotest: one route server programming a hub VNet and a spoke VNet",
    "agentGrace": GRACE,
    "vnets": {
        "hub": {"space": "10.1.0.0/16", "peerings": ["spoke"]},
        "spoke": {"space": "10.2.0.0/16", "peerings": ["hub"]},
    },
    "segments": {},
    "nodes": {
        "rs": {"kind": "router", "modules": ["rs"], "daemons": ["zebra", "bgpd"],
               "links": [{"vnet": "hub", "ip": RS + "/16"}]},
        "nva1": {"kind": "router", "daemons": ["zebra", "bgpd"],
                 "links": [{"vnet": "hub", "ip": NVA1 + "/16"}]},
        "nva2": {"kind": "router", "daemons": ["zebra", "bgpd"],
                 "links": [{"vnet": "hub", "ip": NVA2 + "/16"}]},
        "inj": {"kind": "host", "links": [{"vnet": "hub", "ip": INJ + "/16"}]},
        "vm1": {"kind": "vm", "links": [{"vnet": "hub", "ip": "10.1.1.10/16"}]},
        "vm2": {"kind": "vm", "links": [{"vnet": "spoke", "ip": "10.2.1.10/16"}]},
    },
}

RS_CONF = """hostname rs
debug memstats-at-exit
router bgp 65515
 bgp router-id {rs}
 bgp bestpath as-path multipath-relax
 neighbor {nva1} remote-as 65001
 neighbor {nva1} ebgp-multihop 255
 neighbor {nva1} disable-connected-check
 neighbor {nva1} timers 1 3
 neighbor {nva1} timers connect 1
 neighbor {nva2} remote-as 65002
 neighbor {nva2} ebgp-multihop 255
 neighbor {nva2} disable-connected-check
 neighbor {nva2} timers 1 3
 neighbor {nva2} timers connect 1
 address-family ipv4 unicast
  neighbor {nva1} soft-reconfiguration inbound
  neighbor {nva1} route-map VRS-RS-IN in
  neighbor {nva1} route-map VRS-RS-OUT-NVA out
  neighbor {nva2} soft-reconfiguration inbound
  neighbor {nva2} route-map VRS-RS-IN in
  neighbor {nva2} route-map VRS-RS-OUT-NVA out
 exit-address-family
 route-server
 route-server vnet-name hub
 route-server address-space 10.1.0.0/16
 route-server route-limit 1000000
 route-server total-limit 10000000
 route-server peering spoke
 route-server peering spoke address-space 10.2.0.0/16
 route-server peering spoke allow-gateway-transit
 route-server peering spoke remote-uses-gateway
 route-server peering spoke2
 route-server peering spoke2 address-space 10.3.0.0/16
 route-server neighbor {nva1} role nva
 route-server neighbor {nva2} role nva
 route-server fabric socket @AGENT_SOCKET@ instance 0 name rs-test-0
exit
""".format(rs=RS, nva1=NVA1, nva2=NVA2)

NVA_CONF = """hostname {name}
debug memstats-at-exit
router bgp {asn}
 bgp router-id {addr}
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor {rs} remote-as 65515
 neighbor {rs} timers connect 1
 address-family ipv4 unicast
{networks} exit-address-family
exit
"""

lab = None
tmpdir = None


def setup_module(mod):
    global lab, tmpdir
    tmpdir = tempfile.mkdtemp(prefix="vrs-fabt-")
    with open(os.path.join(tmpdir, "topology.json"), "w") as f:
        json.dump(TOPOLOGY, f, indent=1)
    confs = {"rs": RS_CONF,
             "nva1": NVA_CONF.format(name="nva1", asn=65001, addr=NVA1, rs=RS,
                                     networks="  network {}\n".format(ECMP_PFX)),
             "nva2": NVA_CONF.format(name="nva2", asn=65002, addr=NVA2, rs=RS,
                                     networks="  network {}\n  network {}\n".format(ECMP_PFX, NVA2_PFX))}
    for node, text in confs.items():
        os.makedirs(os.path.join(tmpdir, node))
        with open(os.path.join(tmpdir, node, "bgpd.conf"), "w") as f:
            f.write(text)
    lab = vrslab.Lab(vrslab.Topology(os.path.join(tmpdir, "topology.json")))
    lab.up(log=logger.info)


def teardown_module(mod):
    if lab is not None and lab.is_up():
        lab.down(log=logger.info)
    if tmpdir:
        subprocess.run(["rm", "-rf", tmpdir], check=False)


# ------------------------------------------------------------------ helpers

def fabric():
    return lab.vtysh_json("rs", "show route-server fabric json")


def agent():
    return lab.agent_status()


def agent_vnet(vnet):
    return agent().get("vnets", {}).get(vnet, {})


def slots(vnet, a=None):
    """The agent's two slot tables of a VNet ([] if it has none)."""
    a = a if a is not None else agent()
    return a.get("vnets", {}).get(vnet, {}).get("slots", [])


def publisher(a=None):
    a = a if a is not None else agent()
    return a.get("publishers", {}).get("0", {})


def kernel(vm, prefix):
    """Sorted next hops of the agent's route (proto 200) in vm's table."""
    return lab.vm_nexthops(vm, prefix)


def kernel_routes(vm):
    """Every proto 200 prefix in vm's table."""
    ns, table = lab.vm_table(vm)
    out = vrslab.run(["ip", "-n", ns, "-j", "route", "show", "table", str(table), "proto", "200"],
                     check=False).stdout
    try:
        return sorted(r["dst"] for r in json.loads(out or "[]"))
    except ValueError:
        return []


def kernel_count(vm):
    """How many proto 200 routes vm's table holds (cheap for big tables)."""
    ns, table = lab.vm_table(vm)
    out = vrslab.run(["ip", "-n", ns, "route", "show", "table", str(table), "proto", "200"],
                     check=False).stdout
    return len(out.splitlines())


STARTING = sorted([ECMP_PFX, NVA2_PFX])


def poll(predicate, timeout=30.0, what="condition", interval=0.05):
    value, waited = vrslab.wait_for(predicate, timeout=timeout, interval=interval)
    if not value:
        logger.info("fabric: %s", json.dumps(fabric()))
        logger.info("agent: %s", json.dumps(agent()))
        logger.info("rs:\n%s", lab.vtysh("rs", "show bgp ipv4 unicast summary",
                                         "show route-server effective-routes"))
        for vm in ("vm1", "vm2"):
            ns, table = lab.vm_table(vm)
            logger.info("%s: table %s in %s:\n%s", vm, table, ns,
                        vrslab.run(["ip", "-n", ns, "route", "show", "table", str(table)],
                                   check=False).stdout)
    assert value, "{} not reached within {:.1f} s".format(what, waited)
    return value, waited


def nva_conf(node, asn, *lines, af=True):
    cmds = ["configure terminal", "router bgp {}".format(asn)]
    if af:
        cmds.append("address-family ipv4 unicast")
    out = lab.vtysh(node, *(cmds + list(lines)))
    assert "%" not in out, out


def rs_conf(*lines):
    out = lab.vtysh("rs", "configure terminal", "router bgp 65515", *lines)
    assert "%" not in out, out


def established(peers=(NVA1, NVA2)):
    summ = lab.vtysh_json("rs", "show bgp ipv4 unicast summary json").get("peers", {})
    return all(summ.get(p, {}).get("state") == "Established" for p in peers)


def in_sync(f=None):
    f = f if f is not None else fabric()
    return f.get("state") == "established" and f.get("connected") is True and f.get("inSync") is True


def starting_state():
    """Sessions up, the starting routes in both VMs' tables, the client in
    sync with the agent, both VNets' slots programmed from instance 0."""
    def check():
        a = agent()
        return (established() and in_sync() and
                all(kernel(vm, ECMP_PFX) == [NVA1, NVA2] and kernel(vm, NVA2_PFX) == [NVA2]
                    and kernel(vm, SPOKE2_PFX) == [] for vm in ("vm1", "vm2")) and
                all(len(slots(v, a)) == 2 and all(s.get("instanceInUse") == 0 for s in slots(v, a))
                    for v in VNETS))

    _, waited = poll(check, timeout=90, what="starting state", interval=0.1)
    return waited


def delta(f0, f1, *keys):
    return {k: f1[k] - f0[k] for k in keys}


def fabric_memory():
    """Bytes the fabric client holds: its memory group in "show memory"
    ("vrs bgpd_rs fabric") and the bucket arrays of its route hashes
    (libfrr's typed hashes, counted under libfrr: the client reports
    their size as hashBucketBytes)."""
    out = lab.vtysh("rs", "show memory")
    group, fab_bytes = None, 0
    for line in out.splitlines():
        m = re.match(r"--- qmem (.*) ---", line)
        if m:
            group = m.group(1)
            continue
        if ":" not in line:
            continue
        name, _, rest = line.partition(":")
        nums = rest.split()
        if len(nums) < 3 or not nums[0].isdigit():
            continue
        if group == "vrs bgpd_rs fabric" and nums[2].isdigit():
            fab_bytes += int(nums[2])
    return fab_bytes, fabric()["hashBucketBytes"]


# ------------------------------------------------------------------ tests

def test_snapshot():
    """Case 1: one Snapshot (one frame), one table per VNet, ECMP in the
    kernel, skipped routes."""
    _, waited = poll(lambda: in_sync() and sorted(fabric().get("vnets", {})) == list(VNETS),
                     timeout=90, what="client connected and in sync with 2 VNets")
    logger.info("fabric in sync %.1f s after the test started", waited)
    starting_state()
    f = fabric()
    assert f["protocolVersion"] == 2, f
    assert f["snapshotsSent"] == 1 and f["snapshotFramesSent"] == 1, f
    assert f["connects"] == 1 and f["reconnects"] == 0, f
    assert f["instanceId"] == 0 and f["instanceName"] == "rs-test-0", f
    assert f["lastError"] == "", f
    assert f["routes"] == sum(f["vnets"].values()), f
    # Routes that share an ECMP set share one next-hop set.
    assert f["nexthopSets"] <= f["routes"], f
    # The VNetPeering routes (no next hop) are skipped by the client.
    assert f["routesSkipped"] > 0, f
    for vm in ("vm1", "vm2"):
        assert kernel_routes(vm) == STARTING, (vm, kernel_routes(vm))
    a = agent()
    pub = publisher(a)
    assert pub["connected"] and pub["synced"] and pub["instanceName"] == "rs-test-0", pub
    assert pub["errors"] == 0 and pub["snapshots"] == 1 and pub["tables"] == 2, pub
    assert pub["routes"] == f["routes"], (pub, f["routes"])
    assert a["publishers"]["1"]["connected"] is False, a["publishers"]
    for v in VNETS:
        for s in slots(v, a):
            assert s["routesApplied"] == 2 and s["lastError"] == "", (v, s)
            # The VnetLocal route (no next hop; the namespace has the
            # connected route) is skipped by the agent.
            assert s["routesSkipped"] >= 1, (v, s)


def test_one_prefix_one_delta():
    """Case 2: a route only the spoke gets: one Update, one delta, one
    prefix; the hub's slot tables are not touched."""
    starting_state()
    f0, a0 = fabric(), agent()
    nva_conf("nva1", 65001, "network " + SPOKE2_PFX)
    try:
        poll(lambda: kernel("vm2", SPOKE2_PFX) == [NVA1], what="vm2 gets " + SPOKE2_PFX)
        poll(in_sync, what="client in sync")
        f1, a1 = fabric(), agent()
        d = delta(f0, f1, "updatesSent", "deltasSent", "prefixesSent", "withdrawnSent",
                  "snapshotsSent", "removedTablesSent")
        logger.info("one prefix: %s", d)
        assert d == {"updatesSent": 1, "deltasSent": 1, "prefixesSent": 1, "withdrawnSent": 0,
                     "snapshotsSent": 0, "removedTablesSent": 0}, d
        assert f1["vnets"]["spoke"] == f0["vnets"]["spoke"] + 1, (f0["vnets"], f1["vnets"])
        assert f1["vnets"]["hub"] == f0["vnets"]["hub"], (f0["vnets"], f1["vnets"])
        assert publisher(a1)["updates"] == publisher(a0)["updates"] + 1, (publisher(a0), publisher(a1))
        for s0, s1 in zip(slots("spoke", a0), slots("spoke", a1)):
            assert s1["routesAdded"] == s0["routesAdded"] + 1, (s0, s1)
            assert s1["routesApplied"] == s0["routesApplied"] + 1, (s0, s1)
        # The hub was not in the Update at all: no program run.
        for s0, s1 in zip(slots("hub", a0), slots("hub", a1)):
            assert (s1["lastSeq"], s1["programRuns"]) == (s0["lastSeq"], s0["programRuns"]), (s0, s1)
        assert kernel("vm1", SPOKE2_PFX) == [], "the hub VM must not get a route inside a peered space"
    finally:
        nva_conf("nva1", 65001, "no network " + SPOKE2_PFX)
    poll(lambda: kernel("vm2", SPOKE2_PFX) == [], what="vm2 loses " + SPOKE2_PFX)
    poll(in_sync, what="client in sync")
    f2 = fabric()
    d = delta(f1, f2, "updatesSent", "deltasSent", "prefixesSent", "withdrawnSent")
    assert d == {"updatesSent": 1, "deltasSent": 1, "prefixesSent": 1, "withdrawnSent": 1}, d


def test_coalescing():
    """Case 3: 200 routes arriving in a burst are published in a few
    Updates, not one per route, each prefix once per VNet; all of them
    reach the kernel."""
    starting_state()
    pfx = ["10.30.{}.0/24".format(i) for i in range(200)]
    f0 = fabric()
    path = os.path.join(tmpdir, "burst.conf")
    with open(path, "w") as f:
        f.write("router bgp 65001\n address-family ipv4 unicast\n")
        f.write("".join("  network {}\n".format(p) for p in pfx))
    os.chmod(path, 0o644)
    t0 = time.monotonic()
    out = lab.exec("nva1", [vrslab.vtysh_path(), "-N", lab.pathspace("nva1"), "-f", path]).stdout
    assert "%" not in out, out
    try:
        poll(lambda: len(kernel_routes("vm1")) == 2 + len(pfx) and
             len(kernel_routes("vm2")) == 2 + len(pfx), timeout=60, what="200 routes in both VMs")
        poll(in_sync, what="client in sync")
        f1 = fabric()
        d = delta(f0, f1, "updatesSent", "prefixesSent", "deltasSent")
        logger.info("200 routes: in both VMs %.2f s after the config, %s", time.monotonic() - t0, d)
        assert 1 <= d["updatesSent"] <= 10, "{} Updates for one burst of 200 routes".format(d)
        assert d["prefixesSent"] == 2 * len(pfx), d
    finally:
        nva_conf("nva1", 65001, *["no network " + p for p in pfx])
    poll(lambda: kernel_routes("vm1") == STARTING, timeout=60, what="burst withdrawn from vm1")
    poll(in_sync, what="client in sync")
    f2 = fabric()
    assert f2["withdrawnSent"] - f1["withdrawnSent"] == 2 * len(pfx), (f1, f2)


def test_removed_vnet_grace_then_withdraw():
    """Case 4: a VNet no longer programmed by this route server (the spoke
    stops using the hub's gateway) is removed as a whole; its slot tables
    keep their routes for the agent's grace, then lose them; using the
    gateway again re-creates the table with an Update (no Snapshot)."""
    starting_state()
    f0 = fabric()
    rs_conf("no route-server peering spoke remote-uses-gateway")
    t0 = time.monotonic()
    try:
        poll(lambda: sorted(fabric().get("vnets", {})) == ["hub"] and in_sync(),
             what="spoke no longer published")
        f1 = fabric()
        assert f1["removedTablesSent"] == f0["removedTablesSent"] + 1, (f0, f1)
        poll(lambda: all(s.get("instanceInUse", 0) is None for s in slots("spoke")),
             what="agent: no instance for the spoke")
        assert all("graceRemainingSeconds" in s for s in slots("spoke")), slots("spoke")
        changed, _ = vrslab.wait_for(lambda: kernel_routes("vm2") != STARTING,
                                     timeout=GRACE / 2, interval=0.05)
        assert not changed, "vm2 routes changed inside the grace period: {}".format(kernel_routes("vm2"))
        poll(lambda: kernel_routes("vm2") == [], timeout=GRACE + 10, what="vm2 routes withdrawn")
        waited = time.monotonic() - t0
        logger.info("removed VNet: routes withdrawn %.1f s after the config (grace %d s)", waited, GRACE)
        assert waited >= GRACE - 1, "withdrawn before the grace period ({:.1f} s)".format(waited)
        assert kernel_routes("vm1") == STARTING
    finally:
        rs_conf("route-server peering spoke remote-uses-gateway")
    poll(lambda: kernel("vm2", ECMP_PFX) == [NVA1, NVA2] and in_sync(), what="vm2 re-installed")
    f2 = fabric()
    assert f2["snapshotsSent"] == f0["snapshotsSent"], (f0, f2)


def test_agent_restart_resync():
    """Case 5: agent down: the client backs off and the routes stay; agent
    back: exactly one more Snapshot, and no route is removed or re-added."""
    starting_state()
    f0 = fabric()
    lab._kill("agent")
    try:
        poll(lambda: fabric().get("state") in ("idle", "connecting") and not fabric().get("connected"),
             what="client notices the agent is gone")
        poll(lambda: fabric().get("connectFailures", 0) >= f0["connectFailures"] + 2, timeout=10,
             what="client retries")
        for vm in ("vm1", "vm2"):
            assert kernel(vm, ECMP_PFX) == [NVA1, NVA2], (vm, "routes must stay while the agent is down")
    finally:
        lab._start_agent()
    poll(lambda: in_sync() and fabric()["connects"] == f0["connects"] + 1, timeout=15,
         what="client reconnected and in sync")
    poll(lambda: publisher().get("synced") and all(s.get("lastSeq", 0) > 0 for v in VNETS for s in slots(v)),
         what="agent resynced")
    f1, a = fabric(), agent()
    assert f1["reconnects"] == f0["reconnects"] + 1, f1
    assert f1["snapshotsSent"] == f0["snapshotsSent"] + 1, (f0["snapshotsSent"], f1["snapshotsSent"])
    assert f1["updatesSent"] == f0["updatesSent"], "nothing changed: no Update after the Snapshot"
    assert publisher(a)["snapshots"] == 1 and publisher(a)["updates"] == 0, publisher(a)
    for v in VNETS:
        for s in slots(v, a):
            assert (s["routesAdded"], s["routesReplaced"], s["routesDeleted"]) == (0, 0, 0), (v, s)
            assert s["routesApplied"] == 2, (v, s)
    for vm in ("vm1", "vm2"):
        assert kernel_routes(vm) == STARTING


def test_keepalive():
    """Case 6: an idle client keeps its session with keepalives."""
    starting_state()
    k0 = fabric()["keepalivesSent"]
    interval = fabric()["keepaliveMs"] / 1000.0
    poll(lambda: fabric()["keepalivesSent"] >= k0 + 2, timeout=3 * interval + 2,
         what="two keepalives", interval=0.2)
    pub = publisher()
    assert pub["connected"] and pub["errors"] == 0 and pub["lastError"] == "", pub


def test_nexthops_down_before_deltas():
    """Case 12: nva2's session ends: its next hop goes out as nexthops_down
    in a frame of its own, before the recompute's deltas; the agent takes
    it out of the ECMP group at once; when nva2 is back, the Update that
    carries its routes declares it up."""
    starting_state()
    f0, a0 = fabric(), agent()
    groups0 = sum(n.get("groupReplaces", 0) for n in a0.get("netns", {}).values())
    nva_conf("nva2", 65002, "neighbor {} shutdown".format(RS), af=False)
    try:
        poll(lambda: all(kernel(vm, ECMP_PFX) == [NVA1] and kernel(vm, NVA2_PFX) == []
                         for vm in ("vm1", "vm2")) and in_sync(),
             what="nva2's routes gone from both VMs")
        f1, a1 = fabric(), agent()
        d = delta(f0, f1, "nexthopsDownSent", "nexthopsDownUpdates")
        logger.info("nva2 down: %s, down seq %d, last delta seq %d", d, f1["lastNexthopsDownSeq"],
                    f1["lastDeltaSeq"])
        assert d == {"nexthopsDownSent": 1, "nexthopsDownUpdates": 1}, d
        assert f1["nexthopsDown"] == 1, f1
        assert f1["lastNexthopsDownSeq"] > f0["lastSeqSent"], (f0, f1)
        # The recompute's deltas came after, in later frames.
        assert f1["lastDeltaSeq"] > f1["lastNexthopsDownSeq"], f1
        assert publisher(a1)["nexthopsDown"] == [NVA2], publisher(a1)
        groups1 = sum(n.get("groupReplaces", 0) for n in a1.get("netns", {}).values())
        assert groups1 > groups0, "the agent replaced no nexthop group ({} -> {})".format(groups0, groups1)
    finally:
        nva_conf("nva2", 65002, "no neighbor {} shutdown".format(RS), af=False)
    starting_state()
    f2, a2 = fabric(), agent()
    assert f2["nexthopsUpSent"] == f1["nexthopsUpSent"] + 1, (f1, f2)
    assert f2["nexthopsDown"] == 0 and publisher(a2)["nexthopsDownCount"] == 0, (f2, publisher(a2))


ABSENT = "10.1.0.99"


def test_absent_neighbor_no_republish():
    """Issue 11: every reconnect attempt to an absent neighbor (Connect <->
    Active, once per connect-retry second) used to recompute and publish
    every VM's table. Only a change into or out of Established changes
    what the VMs get: nothing is published while the absent role neighbor
    cycles through its connect attempts."""
    assert in_sync()
    rs_conf("neighbor {} remote-as 65099".format(ABSENT), "neighbor {} timers connect 1".format(ABSENT),
            "route-server neighbor {} role nva".format(ABSENT))
    try:
        seen = []

        def state():
            js = lab.vtysh_json("rs", "show bgp neighbors {} json".format(ABSENT)).get(ABSENT, {})
            st = js.get("bgpState")
            if st and (not seen or seen[-1] != st):
                seen.append(st)
            return st

        # The configuration change itself publishes once: start counting
        # after the first FSM transition (one connect-retry later).
        poll(lambda: state() and len(seen) >= 2, timeout=30, what="first FSM transition",
             interval=0.05)
        before = fabric()
        mark = len(seen)
        poll(lambda: state() and len(seen) >= mark + 4, timeout=60,
             what="4 more FSM transitions of the absent neighbor", interval=0.05)
        after = fabric()
        d = delta(before, after, "publishes", "deltaPublishes", "updatesSent")
        logger.info("absent neighbor: states %s, %s", seen, d)
        assert "Established" not in seen, seen
        assert d == {"publishes": 0, "deltaPublishes": 0, "updatesSent": 0}, \
            "{} for {} FSM transitions that change no route: {}".format(d, len(seen) - mark, seen)
    finally:
        rs_conf("no route-server neighbor {} role nva".format(ABSENT), "no neighbor {}".format(ABSENT))
    poll(in_sync, what="in sync after the absent neighbor is removed")


def _vnet_pub():
    return os.path.join(vrslab.build_dir(), "agent", "vnet-pub")


def test_duplicate_instance():
    """Case 7: instance 1 is held by vnet-pub: the agent refuses bgpd with
    Error 5; once vnet-pub exits, bgpd connects as instance 1."""
    starting_state()
    routes = os.path.join(tmpdir, "pub.json")
    with open(routes, "w") as f:
        json.dump({"tables": {"nosuchvnet": [{"prefix": "10.99.0.0/16", "nextHops": [NVA1]}]}}, f)
    pub = subprocess.Popen([_vnet_pub(), "--socket", lab.agent_socket(), "--file", routes,
                            "--instance", "pub-1", "--instance-id", "1", "--keepalive-ms", "200",
                            "--hold", "2"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        poll(lambda: agent()["publishers"]["1"].get("connected") and
             agent()["publishers"]["1"].get("instanceName") == "pub-1", timeout=10,
             what="vnet-pub holds instance 1")
        rs_conf("route-server fabric socket {} instance 1 name rs-test-1".format(lab.agent_socket()))
        want = "agent sent Error 5: instance 1 is already connected as 'pub-1'"
        poll(lambda: want in fabric().get("lastError", ""), timeout=10, what=want)
        out, _ = pub.communicate(timeout=15)
        assert pub.returncode == 0, out
        poll(lambda: in_sync() and fabric()["instanceId"] == 1, timeout=15,
             what="bgpd connected as instance 1 after vnet-pub left")
        a = agent()
        assert a["publishers"]["1"]["instanceName"] == "rs-test-1", a["publishers"]
    finally:
        if pub.poll() is None:
            pub.kill()
            pub.wait()
        rs_conf("route-server fabric socket {} instance 0 name rs-test-0".format(lab.agent_socket()))
    poll(lambda: in_sync() and fabric()["instanceId"] == 0 and
         all(s.get("instanceInUse") == 0 for v in VNETS for s in slots(v)), timeout=20,
         what="back to instance 0")
    for vm in ("vm1", "vm2"):
        assert kernel_routes(vm) == STARTING, (vm, kernel_routes(vm))


class FakeAgent(threading.Thread):
    """A unix server that answers every connection with a malformed frame
    (length 4, payload de ad be ef) and counts the connections."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.accepted = 0
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.stop = False

    def run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            try:
                conn.sendall(b"\x00\x00\x00\x04\xde\xad\xbe\xef")
            except OSError:
                pass
            conn.close()

    def close(self):
        self.stop = True
        self.join(timeout=5)
        self.sock.close()
        os.unlink(self.path)


def test_malformed_agent_message():
    """Case 8: garbage from the agent: bgpd logs why, reconnects, survives."""
    starting_state()
    path = os.path.join(lab.rundir, "fake.sock")
    fake = FakeAgent(path)
    fake.start()
    try:
        rs_conf("route-server fabric socket {} instance 0 name rs-test-0".format(path))
        poll(lambda: fake.accepted >= 2, timeout=15, what="bgpd connects to the fake agent twice")
        poll(lambda: "bad message from the agent" in fabric().get("lastError", ""),
             what="client reports the bad message")
        log = open(os.path.join(lab.node_dir("rs"), "bgpd.log")).read()
        assert "bgpd_rs: fabric: bad message from the agent" in log and "reconnecting" in log, \
            [l for l in log.splitlines() if "fabric" in l][-5:]
        pid = lab.state["pids"]["rs/bgpd"]
        assert os.path.exists("/proc/{}".format(pid)), "bgpd died"
    finally:
        rs_conf("route-server fabric socket {} instance 0 name rs-test-0".format(lab.agent_socket()))
        fake.close()
    poll(lambda: in_sync(), timeout=15, what="back on the real agent")


def test_vm_query():
    """The module asks the agent about a VM (its status socket, "vm NAME"):
    `show route-server effective-routes vm NAME` works for a VM the
    route server was never told about, and says so for an unknown one."""
    starting_state()
    q0 = fabric()["vmQueries"]
    out = lab.vtysh("rs", "show route-server effective-routes vm vm1")
    assert ECMP_PFX in out and "%" not in out, out
    out = lab.vtysh("rs", "show route-server effective-routes vm nosuchvm")
    assert "%" in out and "nosuchvm" in out, out
    f = fabric()
    assert f["vmQueries"] == q0 + 2 and f["vmQueryFailures"] == 0, f


def test_bgpd_killed_grace_then_withdraw():
    """Case 10: bgpd killed: the routes stay for the grace, then go; a new
    bgpd re-installs them."""
    starting_state()
    lab.fail("bgpd", "rs")
    t0 = time.monotonic()
    try:
        changed, _ = vrslab.wait_for(lambda: kernel_routes("vm1") != STARTING,
                                     timeout=GRACE / 2, interval=0.05)
        assert not changed, kernel_routes("vm1")
        poll(lambda: kernel_routes("vm1") == [] and kernel_routes("vm2") == [], timeout=GRACE + 10,
             what="routes withdrawn after the grace")
        waited = time.monotonic() - t0
        logger.info("bgpd killed: routes withdrawn after %.1f s (grace %d s)", waited, GRACE)
        assert waited >= GRACE - 1, waited
    finally:
        lab.restore("bgpd", "rs")
    starting_state()


class Injector:
    """scripts/bgp-inject.py send in the inj host's namespace: BIG_N /24s
    from BIG_BASE with next hop INJ, AS 65003."""

    def __init__(self, count):
        inject = os.path.join(vrstest.TOP, "scripts", "bgp-inject.py")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", lab.ns("inj"), "/usr/bin/python3", inject, "send", RS,
             "--as", "65003", "--id", INJ, "--count", str(count), "--base", BIG_BASE],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def line(self, prefix, timeout):
        box = []
        t = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)
        t.start()
        t.join(timeout)
        got = box[0] if box else ""
        assert got.startswith(prefix), "bgp-inject.py: expected {!r}, got {!r}".format(prefix, got)

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def test_big_table_chunked():
    """Case 9: a table of BIG_N + 2 routes (bgp-inject.py): the Updates
    that bring them and the Snapshot after an agent restart are split
    across frames (the table across chunks; nothing is left out because
    the table grew), the agent programs all of them and, after the
    restart, changes nothing in the kernel. Memory per route held by the
    client is measured ("show memory", group "vrs bgpd_rs fabric")."""
    starting_state()
    try:
        _big_table()
    finally:
        rs_conf("no route-server neighbor {} role nva".format(INJ), "no neighbor {}".format(INJ),
                "route-server peering spoke remote-uses-gateway")
    starting_state()


def _big_table():
    # Only the hub: two slot tables of BIG_N routes instead of four.
    rs_conf("no route-server peering spoke remote-uses-gateway")
    rs_conf("neighbor {} remote-as 65003".format(INJ), "neighbor {} ebgp-multihop 255".format(INJ),
            "neighbor {} disable-connected-check".format(INJ),
            "address-family ipv4 unicast", "neighbor {} soft-reconfiguration inbound".format(INJ),
            "neighbor {} route-map VRS-RS-IN in".format(INJ),
            "neighbor {} route-map VRS-RS-OUT-NVA out".format(INJ), "exit-address-family",
            "route-server neighbor {} role nva".format(INJ))
    poll(lambda: sorted(fabric().get("vnets", {})) == ["hub"] and in_sync(), what="hub only")
    mem0, buckets0 = fabric_memory()
    f0 = fabric()
    inj = Injector(BIG_N)
    try:
        inj.line("established", 60)
        poll(lambda: established((INJ,)), timeout=30, what="injector session Established")
        t0 = time.monotonic()
        inj.go()
        inj.line("sent", 120)
        want = f0["vnets"]["hub"] + BIG_N
        poll(lambda: fabric().get("vnets", {}).get("hub") == want and in_sync(), timeout=300,
             what="{} routes published and acked".format(want), interval=1.0)
        secs = time.monotonic() - t0
        f1 = fabric()
        d = delta(f0, f1, "updatesSent", "prefixesSent", "bytesSent")
        logger.info("big table: %d routes published and acked %.1f s after the injector's go: %s",
                    BIG_N, secs, d)
        assert d["prefixesSent"] >= BIG_N, d
        assert d["updatesSent"] >= math.ceil(BIG_N / FRAME_ROUTES), d
        poll(lambda: all(s.get("routesApplied") == want - f0["vnets"]["hub"] + 2
                         for s in slots("hub")), timeout=300, interval=1.0,
             what="agent: both hub slot tables complete")
        assert kernel_count("vm1") == BIG_N + 2, kernel_count("vm1")
        mem1, buckets1 = fabric_memory()
        per_route = (mem1 - mem0) / BIG_N
        per_route_all = (mem1 - mem0 + buckets1 - buckets0) / BIG_N
        logger.info("big table: fabric client memory %.1f bytes per route (group 'vrs bgpd_rs fabric', "
                    "%d bytes), %.1f with its hash buckets (%d bytes); %d next-hop sets",
                    per_route, mem1, per_route_all, buckets1, f1["nexthopSets"])
        assert per_route_all < 100, (mem0, mem1, buckets0, buckets1)

        # Agent restart: one Snapshot, split across chunks, changes nothing.
        lab._kill("agent")
        poll(lambda: not fabric().get("connected"), what="client notices the agent is gone")
        lab._start_agent()
        t0 = time.monotonic()
        poll(lambda: in_sync() and fabric()["connects"] == f1["connects"] + 1, timeout=300,
             what="client reconnected and in sync", interval=0.5)
        poll(lambda: publisher().get("synced") and
             all(s.get("routesApplied") == BIG_N + 2 for s in slots("hub")),
             timeout=300, interval=1.0, what="agent resynced the big table")
        secs = time.monotonic() - t0
        f2, a2 = fabric(), agent()
        d = delta(f1, f2, "snapshotsSent", "snapshotFramesSent", "snapshotRoutesSent", "updatesSent")
        logger.info("big table: agent restart, Snapshot %s, in sync after %.1f s", d, secs)
        assert d["snapshotsSent"] == 1 and d["updatesSent"] == 0, d
        assert d["snapshotRoutesSent"] == f2["routes"], (d, f2["routes"])
        assert d["snapshotFramesSent"] >= math.ceil(BIG_N / FRAME_ROUTES), d
        assert publisher(a2)["snapshots"] == 1 and publisher(a2)["routes"] == f2["routes"], publisher(a2)
        for s in slots("hub", a2):
            assert (s["routesAdded"], s["routesDeleted"]) == (0, 0), s
    finally:
        inj.stop()
    poll(lambda: fabric().get("vnets", {}).get("hub") == f0["vnets"]["hub"] and in_sync(), timeout=300,
         what="the big table withdrawn", interval=1.0)
    poll(lambda: kernel_routes("vm1") == STARTING, timeout=300, interval=1.0,
         what="vm1 back to the starting routes")


def test_no_module_leaks():
    """Case 11: bgpd's memstats-at-exit shows no 'vrs' group left."""
    starting_state()
    pids = vrstest.lab_down_assert_no_leaks(lab)
    assert sorted(pids) == ["nva1", "nva2", "rs"], pids
