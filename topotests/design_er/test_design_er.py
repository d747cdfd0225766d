#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Dual-homed spoke with ExpressRoute (design (c), contract section 8), run
with the lab engine (scripts/vrslab.py) on configs/dual-homed-er:

                      spoke 10.2.0.0/16: rs0 .4, rs1 .5 (bgpd_rs), vm1, vm2
                     /                                          \\
  hub1 10.1.0.0/16: hrs1 .4 (RS), nva1 .10 (65001),   hub2 10.3.0.0/16: hrs2 .4, nva2 .10 (65002),
                    ergw1 .20 (65515)                                  ergw2 .20 (65515)
                         \\ er1                                  er2 /
                          +------------ msee (12076) ------------+
                                           | site
                                  onprem (65100) 192.168.0.0/16

On-prem routes: MSEE -> ER gateway -> hub RS (branch-to-branch) -> NVA ->
spoke RS (as-override) -> spoke VMs. The spoke prefix: spoke RS -> NVA ->
hub RS -> ER gateway -> MSEE -> on-prem, which sees "12076" only.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topolog import logger  # noqa: E402

import vrstest  # noqa: E402

TOPO = vrstest.load_topology("dual-homed-er")  # puts scripts/ on sys.path
import vrslab  # noqa: E402

pytestmark = [pytest.mark.bgpd, pytest.mark.bfdd]

SPOKE = "10.2.0.0/16"
ONPREM = "192.168.0.0/16"
ONPREM_HOST = "192.168.1.10"
NVA1, NVA2 = "10.1.0.10", "10.3.0.10"
HRS1, HRS2 = "10.1.0.4", "10.3.0.4"
SPOKE_RS = ("10.2.0.4", "10.2.0.5")
HUB1_NODES = ("hrs1", "nva1", "ergw1")

# Every BGP session of the design: node -> peers.
SESSIONS = {
    "rs0": (NVA1, NVA2),
    "rs1": (NVA1, NVA2),
    "hrs1": (NVA1, "10.1.0.20"),
    "hrs2": (NVA2, "10.3.0.20"),
    "nva1": (HRS1,) + SPOKE_RS,
    "nva2": (HRS2,) + SPOKE_RS,
    "ergw1": (HRS1, "172.16.11.2"),
    "ergw2": (HRS2, "172.16.12.2"),
    "msee": ("172.16.11.1", "172.16.12.1", "172.16.0.2"),
    "onprem": ("172.16.0.1",),
}

lab = None


def setup_module(mod):
    global lab
    lab = vrslab.Lab(TOPO)
    lab.up(log=logger.info)


def teardown_module(mod):
    if lab is not None and lab.is_up():
        # Leave no injected failure behind, whatever failed.
        for key in list(lab.state.get("failed", {})):
            node, what = key.split("/")
            lab.restore(what, node)
        lab.down(log=logger.info)


# ------------------------------------------------------------------ helpers

def diag():
    """Log the state that explains most failures of this design."""
    for node in ("rs0", "rs1", "hrs1", "hrs2", "nva1", "nva2", "msee"):
        logger.info("%s:\n%s", node, lab.vtysh(node, "show bgp ipv4 unicast summary",
                                               "show bgp ipv4 unicast", "show bfd peers brief"))
    for node in ("rs0", "rs1"):
        logger.info("%s detail:\n%s", node, lab.vtysh(node, "show bgp ipv4 unicast {}".format(ONPREM),
                                                      "show bgp nexthop detail", "show ip nht",
                                                      "show ip route"))
    for vm in ("vm1", "vm2"):
        logger.info("%s kernel on-prem route: %s", vm, kernel_onprem(vm))
    logger.info("agent: %s", json.dumps(lab.agent_status()))


def poll(predicate, timeout=30.0, what="condition"):
    value, waited = vrslab.wait_for(predicate, timeout=timeout)
    if not value:
        diag()
    assert value, "{} not reached within {:.0f} s".format(what, waited)
    return value, waited


def bgp_paths(node, prefix, cmd="show bgp ipv4 unicast {} json"):
    return lab.vtysh_json(node, cmd.format(prefix)).get("paths", [])


def received_from(node, peer, prefix):
    """Paths of prefix on node whose BGP peer is peer."""
    return [p for p in bgp_paths(node, prefix) if p.get("peer", {}).get("peerId") == peer]


def learned(rs, nva):
    cmd = "show route-server neighbor {} learned-routes json".format(nva)
    return lab.vtysh_json(rs, cmd).get("learnedRoutes", {})


def effective_onprem(rs="rs0"):
    """Next hops of the on-prem route rs programs into the spoke VMs."""
    eff = lab.vtysh_json(rs, "show route-server effective-routes vnet spoke json")
    for r in eff.get("vnets", {}).get("spoke", []):
        if r.get("prefix") == ONPREM and r.get("state") == "Active":
            return sorted(r.get("nextHops", []))
    return []


def kernel_onprem(vm="vm1"):
    """Next hops of the agent's (proto 200) on-prem route in vm's table."""
    return lab.vm_nexthops(vm, ONPREM)


def ping(node, dest, count=1, wait=1):
    res = lab.exec(node, ["ping", "-n", "-q", "-c", str(count), "-W", str(wait), dest])
    return res.returncode == 0


def vtysh_conf(node, *lines):
    out = lab.vtysh(node, "configure terminal", *lines)
    assert "%" not in out, "{}: {}".format(node, out)


def all_up():
    """(True or None, the sessions that are not Established)."""
    down = []
    for node, peers in SESSIONS.items():
        summ = lab.vtysh_json(node, "show bgp ipv4 unicast summary json").get("peers", {})
        down += ["{}->{}".format(node, p) for p in peers
                 if summ.get(p, {}).get("state") != "Established"]
    return not down or None, down


def starting_state(timeout=90):
    """Poll for the state every test starts from, so that any test can run
    alone (pytest -k): every session Established, both spoke RS instances
    and both VMs' kernel routes via both NVAs, the MSEE with the spoke
    prefix from both hubs."""
    def check():
        return (all_up()[0] and
                all(effective_onprem(rs) == [NVA1, NVA2] for rs in ("rs0", "rs1")) and
                all(kernel_onprem(vm) == [NVA1, NVA2] for vm in ("vm1", "vm2")) and
                len(bgp_paths("msee", SPOKE)) == 2)

    _, waited = poll(check, timeout=timeout, what="starting state (sessions, routes via both hubs)")
    return waited


# ------------------------------------------------------------------ tests

def test_sessions_up():
    value, waited = vrslab.wait_for(lambda: all_up()[0], timeout=60)
    assert value, "sessions not established: {}".format(all_up()[1])
    logger.info("all %d sessions established after %.1f s",
                sum(len(p) for p in SESSIONS.values()), waited)


def test_onprem_sees_spoke_as_12076():
    def path():
        paths = bgp_paths("onprem", SPOKE)
        return paths and paths[0].get("aspath", {}).get("string")

    poll(lambda: path() == "12076", what="on-prem path 12076 for " + SPOKE)
    # The MSEE has it from both ER gateways (65515 + the NVA's AS twice):
    # polled, the second gateway's path may arrive after the first.
    poll(lambda: len(bgp_paths("msee", SPOKE)) == 2, what="msee has the spoke prefix from both hubs")
    msee = sorted(p["aspath"]["string"] for p in bgp_paths("msee", SPOKE))
    assert msee == ["65515 65001 65001", "65515 65002 65002"], msee
    paths = bgp_paths("onprem", SPOKE)
    assert [p["aspath"]["string"] for p in paths] == ["12076"], paths


def test_no_transit_between_hubs():
    """A hub's routes reaching the other hub's ER gateway carry 65515: dropped."""
    starting_state()
    # The MSEE has each hub's space (from that hub's gateway) and offers it
    # to the other gateway: its absence there is the policy, not a race.
    for hub_space, gw_addr in (("10.1.0.0/16", "172.16.11.1"), ("10.3.0.0/16", "172.16.12.1")):
        poll(lambda: [p["nexthops"][0]["ip"] for p in bgp_paths("msee", hub_space)] == [gw_addr],
             what="msee has {} from {} only".format(hub_space, gw_addr))
    for gw, other in (("ergw1", "10.3.0.0/16"), ("ergw2", "10.1.0.0/16")):
        assert not bgp_paths(gw, other), "{} accepted {} through the MSEE".format(gw, other)
        paths = bgp_paths(gw, SPOKE)
        assert paths and all(p.get("peer", {}).get("type") != "external" for p in paths), \
            "{}: spoke prefix must come from its hub RS only: {}".format(gw, paths)


def test_nvas_learn_onprem_from_hub_rs():
    for nva, hrs, gw in (("nva1", HRS1, "10.1.0.20"), ("nva2", HRS2, "10.3.0.20")):
        paths, _ = poll(lambda: received_from(nva, hrs, ONPREM), what="{} on-prem via {}".format(nva, hrs))
        p = paths[0]
        assert p["aspath"]["string"] == "65515 12076 65100", p
        assert p["nexthops"][0]["ip"] == gw, p
        assert p.get("bestpath", {}).get("overall"), "{}: hub RS path not best: {}".format(nva, p)


def test_spoke_rs_accepts_nva_routes():
    for rs in ("rs0", "rs1"):
        for nva, asn in ((NVA1, "65001"), (NVA2, "65002")):
            r, _ = poll(lambda: learned(rs, nva).get(ONPREM), what="{} learns on-prem from {}".format(rs, nva))
            assert r["status"] == "accepted", r
            assert r["asPath"] == "{0} {0} 12076 65100".format(asn), r


def test_effective_routes_via_both_nvas():
    for rs in ("rs0", "rs1"):
        poll(lambda: effective_onprem(rs) == [NVA1, NVA2], what="{} effective routes via both NVAs".format(rs))


def test_vm_kernel_route():
    for vm in ("vm1", "vm2"):
        poll(lambda: kernel_onprem(vm) == [NVA1, NVA2],
             what="{} fabric table: {} proto 200 via both NVAs".format(vm, ONPREM))


def test_ping_onprem():
    for vm in ("vm1", "vm2"):
        poll(lambda: ping(vm, ONPREM_HOST), timeout=15, what="{} -> {}".format(vm, ONPREM_HOST))


def test_negative_no_as_override():
    """Without as-override towards rs0, nva1's on-prem route carries 65515: dropped."""
    starting_state()
    try:
        vtysh_conf("nva1", "router bgp 65001", "address-family ipv4 unicast",
                   "no neighbor 10.2.0.4 as-override")
        lab.vtysh("nva1", "clear bgp ipv4 unicast 10.2.0.4 soft out")
        r, _ = poll(lambda: (learned("rs0", NVA1).get(ONPREM, {}).get("status") == "dropped"
                             and learned("rs0", NVA1)[ONPREM]),
                    what="rs0 drops nva1's on-prem route")
        assert r.get("reason") == "asLoop", r
        assert r["asPath"] == "65001 65515 12076 65100", r
        poll(lambda: effective_onprem("rs0") == [NVA2], what="rs0 programs on-prem via nva2 only")
        # rs1 still gets it with as-override.
        assert learned("rs1", NVA1)[ONPREM]["status"] == "accepted"
    finally:
        vtysh_conf("nva1", "router bgp 65001", "address-family ipv4 unicast",
                   "neighbor 10.2.0.4 as-override")
        lab.vtysh("nva1", "clear bgp ipv4 unicast 10.2.0.4 soft out")
    poll(lambda: learned("rs0", NVA1).get(ONPREM, {}).get("status") == "accepted",
         what="rs0 accepts nva1's on-prem route again")
    poll(lambda: effective_onprem("rs0") == [NVA1, NVA2], what="rs0 back to both NVAs")


def test_negative_branch_to_branch_off():
    """Branch-to-branch off on hrs1: no on-prem routes from hrs1 to nva1."""
    starting_state()
    adv = "show route-server neighbor {} advertised-routes json".format(NVA1)
    try:
        vtysh_conf("hrs1", "router bgp 65515", "no route-server branch-to-branch")
        poll(lambda: not received_from("nva1", HRS1, ONPREM), what="nva1 loses on-prem from hrs1")
        assert ONPREM not in lab.vtysh_json("hrs1", adv).get("advertisedRoutes", {})
        # The ER gateway no longer gets the spoke prefix from the NVA either.
        poll(lambda: not bgp_paths("ergw1", SPOKE), what="ergw1 loses the spoke prefix")
        # nva1 still knows on-prem, but only through the spoke RS (nva2's route).
        poll(lambda: bgp_paths("nva1", ONPREM) and
             all(p["peer"]["peerId"] in SPOKE_RS for p in bgp_paths("nva1", ONPREM)),
             what="nva1 has on-prem only from the spoke RS")
        # ... and does not echo it back to the spoke RS.
        poll(lambda: ONPREM not in learned("rs0", NVA1), what="nva1 echoes nothing to rs0")
        poll(lambda: effective_onprem("rs0") == [NVA2], what="rs0 programs on-prem via nva2 only")
    finally:
        vtysh_conf("hrs1", "router bgp 65515", "route-server branch-to-branch")
    poll(lambda: received_from("nva1", HRS1, ONPREM), what="nva1 gets on-prem from hrs1 again")
    poll(lambda: len(bgp_paths("msee", SPOKE)) == 2, what="msee has the spoke prefix from both hubs")
    poll(lambda: effective_onprem("rs0") == [NVA1, NVA2], what="rs0 back to both NVAs")


def _loss_window(out):
    """Longest gap between consecutive replies of 'ping -D' output (seconds)."""
    stamps = []
    for line in out.splitlines():
        if line.startswith("[") and "bytes from" in line:
            stamps.append(float(line[1:line.index("]")]))
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    return max(gaps) if gaps else None, len(stamps)


def test_hub1_failure():
    """All of hub1 silent: vm1 reaches on-prem via hub2 only."""
    starting_state()
    poll(lambda: kernel_onprem("vm1") == [NVA1, NVA2], what="vm1 route via both NVAs")
    ns = lab.ns("vm1")
    pinger = subprocess.Popen(["ip", "netns", "exec", ns, "ping", "-n", "-D", "-i", "0.02",
                               "-W", "1", ONPREM_HOST],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        poll(lambda: ping("vm1", ONPREM_HOST), timeout=10, what="vm1 ping before failure")
        t0 = time.monotonic()
        for node in HUB1_NODES:
            lab.fail("silent", node)
        poll(lambda: kernel_onprem("vm1") == [NVA2], timeout=20,
             what="vm1 fabric route via nva2 only")
        t_kernel = time.monotonic() - t0
        poll(lambda: effective_onprem("rs0") == [NVA2], what="rs0 effective routes via nva2 only")
        poll(lambda: ping("vm1", ONPREM_HOST), timeout=20, what="vm1 reaches on-prem via hub2")
        # The return path: the MSEE uses ergw2 only.
        poll(lambda: [p["nexthops"][0]["ip"] for p in bgp_paths("msee", SPOKE)] == ["172.16.12.1"],
             what="msee: spoke prefix via ergw2 only")
        poll(lambda: ping("vm2", ONPREM_HOST), timeout=10, what="vm2 reaches on-prem via hub2")
        t_ping = time.monotonic() - t0
    finally:
        pinger.send_signal(signal.SIGINT)
        out, _ = pinger.communicate(timeout=10)
    gap, replies = _loss_window(out)
    logger.info("hub1 failure: vm1 fabric route changed after %.2f s, all checks passed after %.2f s; "
                "ping loss window %s s (%d replies at 20 ms)",
                t_kernel, t_ping, "%.2f" % gap if gap is not None else "?", replies)

    for node in HUB1_NODES:
        lab.restore("silent", node)
    poll(lambda: kernel_onprem("vm1") == [NVA1, NVA2], timeout=30,
         what="vm1 route via both NVAs after restore")
    poll(lambda: len(bgp_paths("msee", SPOKE)) == 2, what="msee has both hubs after restore")
    poll(lambda: ping("vm1", ONPREM_HOST), timeout=10, what="vm1 ping after restore")


def test_zz_no_module_leaks():
    """Stop the lab; bgpd's memstats-at-exit must show no 'vrs' group left."""
    pids = vrstest.lab_down_assert_no_leaks(lab)
    assert len(pids) == 10, pids
