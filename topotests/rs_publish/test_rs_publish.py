#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bgpd_rs publishing to a real vnet-agent (configs/next-hop-ip).

The route server publishes one table per VNet; a route change goes out as
a delta of its prefix alone (one TableDelta, one prefix on the wire, no
full recompute), and a role neighbor that leaves Established has the next
hops only it provided declared down at once (`nexthops_down`, before the
deltas), but never a next hop another Established neighbor also provides:
here both NVAs advertise on-prem via the load-balancer frontend 10.1.0.100.
Counters: `show route-server fabric json` (the fabric client's wire
counters, and the module's "recompute" object).
"""

import json
import os
import sys

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topolog import logger  # noqa: E402

import vrstest  # noqa: E402

TOPO = vrstest.load_topology("next-hop-ip")
import vrslab  # noqa: E402  (on sys.path through load_topology)

ONPREM = "192.168.0.0/16"
FRONTEND = "10.1.0.100"
NVA1, NVA2 = "10.1.0.10", "10.1.0.11"
NEW = "10.240.0.0/16"  # nva1 adds it (a delta)
OWN = "10.241.0.0/16"  # nva1 sends it with its own next hop
LAB = None


def no_import_check():
    # nva1 originates what the tests add without a RIB route of its own
    # (again after a restart of its bgpd: the file does not say it).
    out = LAB.vtysh("nva1", "configure terminal", "router bgp 65001",
                    "no bgp network import-check")
    assert "%" not in out, out


def setup_module(mod):
    global LAB
    LAB = vrslab.Lab(TOPO)
    LAB.up(log=logger.info)
    no_import_check()


def teardown_module(mod):
    if LAB and LAB.is_up():
        vrstest.lab_down_assert_no_leaks(LAB)


def fabric(rs="rs0"):
    return LAB.vtysh_json(rs, "show route-server fabric json")


def established(node, peers):
    got = LAB.vtysh_json(node, "show bgp ipv4 unicast summary json").get("peers", {})
    return all(got.get(p, {}).get("state") == "Established" for p in peers)


def quiet(rs="rs0"):
    """Synced with the agent, nothing pending in the module or the client."""
    f = fabric(rs)
    rc = f.get("recompute", {})
    return (f.get("inSync") and f.get("connected") and rc.get("published") and
            rc.get("dirtyPending") == 0 and f.get("dirtyVnets") == 0)


def starting_state(timeout=90):
    def parts():
        return {"rs0": established("rs0", [NVA1, NVA2]), "rs1": established("rs1", [NVA1, NVA2]),
                "vms": [LAB.vm_nexthops(vm, ONPREM) for vm in ("vm1", "vm2")],
                "quiet": quiet()}

    def check():
        p = parts()
        return p["rs0"] and p["rs1"] and p["vms"] == [[FRONTEND]] * 2 and p["quiet"]

    ok, secs = vrslab.wait_for(check, timeout=timeout, interval=0.2)
    assert ok, "starting state not reached in {:.0f} s: {}\n{}\n{}".format(
        secs, parts(), json.dumps(fabric()), json.dumps(LAB.agent_status()))


def wait_fabric(check, timeout=30, rs="rs0"):
    last = {}

    def probe():
        last["v"] = fabric(rs)
        return check(last["v"])

    ok, _ = vrslab.wait_for(probe, timeout=timeout, interval=0.1)
    assert ok, json.dumps(last.get("v"), indent=1)
    return last["v"]


def nva1_conf(*lines, check=True):
    out = LAB.vtysh("nva1", "configure terminal", *lines)
    assert not check or "%" not in out, out


def test_one_prefix_is_one_delta():
    """nva1 adds one prefix: rs0 sends one TableDelta with one route (no
    Snapshot, no full recompute), the VMs get it via the frontend; its
    withdrawal is one withdrawn prefix."""
    starting_state()
    base = fabric()
    nva1_conf("router bgp 65001", "address-family ipv4 unicast", "network " + NEW)
    try:
        f = wait_fabric(lambda f: f["prefixesSent"] > base["prefixesSent"] and quiet())
        assert f["deltasSent"] == base["deltasSent"] + 1, (base, f)
        assert f["prefixesSent"] == base["prefixesSent"] + 1, (base, f)
        assert f["snapshotsSent"] == base["snapshotsSent"], (base, f)
        assert f["recompute"]["full"] == base["recompute"]["full"], (base["recompute"], f["recompute"])
        assert f["recompute"]["incremental"] > base["recompute"]["incremental"], f["recompute"]
        ok, _ = vrslab.wait_for(lambda: LAB.vm_nexthops("vm1", NEW) == [FRONTEND], timeout=10)
        assert ok, LAB.vm_nexthops("vm1", NEW)
        base = f
    finally:
        nva1_conf("router bgp 65001", "address-family ipv4 unicast", "no network " + NEW,
                  check=False)
    f = wait_fabric(lambda f: f["withdrawnSent"] > base["withdrawnSent"] and quiet())
    assert f["withdrawnSent"] == base["withdrawnSent"] + 1, (base, f)
    assert f["deltasSent"] == base["deltasSent"] + 1, (base, f)
    assert f["recompute"]["full"] == base["recompute"]["full"], f["recompute"]
    ok, _ = vrslab.wait_for(lambda: LAB.vm_nexthops("vm1", NEW) == [], timeout=10)
    assert ok, LAB.vm_nexthops("vm1", NEW)


def own_nexthop(add):
    """nva1 sends OWN with its own address as next hop (everything else
    goes via the frontend: its route-map TO-RS sets it)."""
    if add:
        nva1_conf("ip prefix-list OWN seq 5 permit " + OWN,
                  "route-map TO-RS permit 3", "match ip address prefix-list OWN", "exit",
                  "router bgp 65001", "address-family ipv4 unicast", "network " + OWN)
    else:
        # Cleanup: also after a failed test (what is not there is no error).
        nva1_conf("router bgp 65001", "address-family ipv4 unicast", "no network " + OWN,
                  "exit", "exit", "no route-map TO-RS permit 3", "no ip prefix-list OWN",
                  check=False)


def test_nva_down_declares_its_own_nexthop_only():
    """nva1's bgpd dies: rs0 declares 10.1.0.10 down at once (only nva1
    provided it), not the frontend (nva2 provides it too); when nva1 is
    back its next hop is declared up again."""
    starting_state()
    own_nexthop(True)
    try:
        ok, _ = vrslab.wait_for(lambda: LAB.vm_nexthops("vm1", OWN) == [NVA1] and quiet(),
                                timeout=30)
        assert ok, LAB.vm_nexthops("vm1", OWN)
        base = fabric()
        LAB.fail("bgpd", "nva1")
        try:
            f = wait_fabric(lambda f: f["nexthopsDownSent"] > base["nexthopsDownSent"])
            assert f["nexthopsDownSent"] == base["nexthopsDownSent"] + 1, (base, f)
            assert f["recompute"]["lastNeighborLoss"] == NVA1, f["recompute"]
            assert f["recompute"]["lastNexthopsDown"] == [NVA1], f["recompute"]
            assert f["recompute"]["nexthopsDeclaredDown"] == \
                base["recompute"]["nexthopsDeclaredDown"] + 1, f["recompute"]
            # Seen before bgpd processed the session's end (bgp_rs_hangup.c:
            # its TCP socket or NOTIFICATION), not after bgpd's clearing.
            assert f["recompute"]["neighborLossesSeenEarly"] == \
                base["recompute"]["neighborLossesSeenEarly"] + 1, f["recompute"]
            assert f["recompute"]["neighborLossesWithNexthopsDown"] == \
                base["recompute"]["neighborLossesWithNexthopsDown"] + 1, f["recompute"]
            # The frontend stays: on-prem still goes through it. OWN no
            # longer goes via nva1: via the frontend while on-prem still
            # holds nva1's copy (nva2 learned it through on-prem), gone
            # once on-prem's own session to nva1 times out (a race with
            # this check, so both are right).
            f = wait_fabric(lambda f: quiet())
            for vm in ("vm1", "vm2"):
                ok, _ = vrslab.wait_for(lambda: LAB.vm_nexthops(vm, OWN) in ([FRONTEND], []),
                                        timeout=10)
                assert ok, (vm, LAB.vm_nexthops(vm, OWN))
                assert LAB.vm_nexthops(vm, ONPREM) == [FRONTEND], LAB.vm_nexthops(vm, ONPREM)
            base = f
        finally:
            LAB.restore("bgpd", "nva1")
        # A restarted bgpd reads its file: OWN again, via 10.1.0.10.
        ok, _ = vrslab.wait_for(lambda: established("nva1", ["10.2.0.4"]), timeout=60)
        assert ok, "nva1 not back"
        no_import_check()
        own_nexthop(True)
        f = wait_fabric(lambda f: f["nexthopsUpSent"] > base["nexthopsUpSent"] and quiet(),
                        timeout=60)
        assert f["nexthopsDown"] == 0, f
        ok, _ = vrslab.wait_for(lambda: LAB.vm_nexthops("vm1", OWN) == [NVA1], timeout=30)
        assert ok, LAB.vm_nexthops("vm1", OWN)
    finally:
        own_nexthop(False)
    starting_state()


def test_shared_frontend_is_never_declared_down():
    """Everything nva1 sends goes via the frontend, which nva2 provides
    too: losing nva1 never declares the frontend down (a full recompute
    follows). From a clean start (a full walk after the last change of
    nva1's next hops) it declares nothing at all."""
    starting_state()
    # nva1's routes (via the frontend) are there before nva2's session is
    # reset: otherwise nva2 alone provides the frontend at that moment,
    # and declaring it down is right.
    wait_fabric(lambda f: NVA1 in f["recompute"]["nexthopProviders"].get(FRONTEND, []))
    # A full walk: forget next hops nva1 used in the test before.
    LAB.vtysh("rs0", "clear bgp ipv4 unicast {}".format(NVA2))
    ok, _ = vrslab.wait_for(lambda: established("rs0", [NVA1, NVA2]), timeout=60)
    assert ok
    starting_state()
    # nva2's routes come a moment after its session: both provide the
    # frontend once they are there.
    base = wait_fabric(lambda f: {k: sorted(v) for k, v in
                                  f["recompute"]["nexthopProviders"].items()} ==
                       {FRONTEND: [NVA1, NVA2]} and quiet())
    LAB.fail("bgpd", "nva1")
    try:
        f = wait_fabric(lambda f: f["recompute"]["full"] > base["recompute"]["full"] and quiet())
        assert f["recompute"]["lastFullReason"] == "neighbor", f["recompute"]
        # lastNexthopsDown is the last loss that declared something: nva1's
        # loss declared nothing if nothing changed there.
        assert f["recompute"]["lastNeighborLoss"] != NVA1 or \
            FRONTEND not in f["recompute"]["lastNexthopsDown"], \
            (json.dumps(base["recompute"]), json.dumps(f["recompute"]))
        assert f["nexthopsDownSent"] == base["nexthopsDownSent"], (base["recompute"], f["recompute"])
        assert f["recompute"]["neighborLossesWithNexthopsDown"] == \
            base["recompute"]["neighborLossesWithNexthopsDown"], f["recompute"]
        assert LAB.vm_nexthops("vm1", ONPREM) == [FRONTEND], LAB.vm_nexthops("vm1", ONPREM)
    finally:
        LAB.restore("bgpd", "nva1")
        ok, _ = vrslab.wait_for(lambda: established("nva1", ["10.2.0.4"]), timeout=60)
        no_import_check()
    starting_state()
