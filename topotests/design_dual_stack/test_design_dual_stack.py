#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Design (a) dual-stack (configs/dual-stack-aa), end to end.

The dual-homed active/active spoke of design_dual_homed with IPv6 added:
the spoke (10.2.0.0/16, fd00:2::/48) has its own route server (instances
rs0, rs1) and two dual-stack VMs, the hubs' NVAs peer both instances,
on-prem (192.168.0.0/16, fd00:192:168::/48) is behind both NVAs. IPv4
and IPv6 are separate BGP sessions: the IPv4 neighbors carry ipv4 unicast
only, the IPv6 neighbors (the NVAs' and route servers' IPv6 addresses)
ipv6 unicast only.

IPv4 must work as in design (a) (sessions, ECMP, pings, failover); IPv6
the same way: every IPv6 session Established with BFD, on-prem's IPv6
prefix in the VMs' slot tables via both NVAs' IPv6 addresses, pings over
IPv6, an NVA failure taking its IPv6 next hop out while the pings go on
through the other NVA. The fabric's own IPv6 (addresses, gateway, system
routes, the main-first rule) is the lab's and is checked on its own.
"""

import json
import os
import sys
import time


CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topolog import logger  # noqa: E402

import vrstest  # noqa: E402

TOPO = vrstest.load_topology("dual-stack-aa")
import vrslab  # noqa: E402  (on sys.path through load_topology)

VMS = ("vm1", "vm2")
ONPREM = {4: "192.168.0.0/16", 6: "fd00:192:168::/48"}
ONPREM_HOST = {4: "192.168.1.10", 6: "fd00:192:168:1::10"}
NVA1 = {4: "10.1.0.10", 6: "fd00:1::10"}
NVA2 = {4: "10.3.0.10", 6: "fd00:3::10"}
RS = {4: ("10.2.0.4", "10.2.0.5"), 6: ("fd00:2::4", "fd00:2::5")}
SITE = {4: ("172.16.1.1", "172.16.2.1"), 6: ("fd00:172:16:1::1", "fd00:172:16:2::1")}
ONPREM_PEER = {4: ("172.16.1.2", "172.16.2.2"), 6: ("fd00:172:16:1::2", "fd00:172:16:2::2")}
SPACES = {4: ("10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"), 6: ("fd00:1::/48", "fd00:2::/48", "fd00:3::/48")}
DEFAULT = {4: "0.0.0.0/0", 6: "::/0"}
AFI = {4: "ipv4", 6: "ipv6"}
LAB = None


def setup_module(mod):
    global LAB
    LAB = vrslab.Lab(TOPO)
    LAB.up(log=logger.info)


def teardown_module(mod):
    if LAB and LAB.is_up():
        LAB.down(log=logger.info)


def both(fam):
    return sorted([NVA1[fam], NVA2[fam]])


def kernel_nexthops(vm, fam=4):
    """Next hops of the agent's route for on-prem in the VM's table."""
    return LAB.vm_nexthops(vm, ONPREM[fam])


def wait_nexthops(vm, want, fam=4, timeout=30):
    return vrslab.wait_for(lambda: kernel_nexthops(vm, fam) == sorted(want),
                           timeout=timeout, interval=0.01)


def ping(vm, fam=4, dest=None, count=1):
    dest = dest or ONPREM_HOST[fam]
    res = LAB.exec(vm, ["ping", "-{}".format(fam), "-c", str(count), "-i", "0.2", "-W", "1", dest])
    return res.returncode == 0


def established(node, peers, fam=4):
    summ = LAB.vtysh_json(node, "show bgp {} unicast summary json".format(AFI[fam]))
    got = summ.get("peers", {})
    return all(got.get(p, {}).get("state") == "Established" for p in peers)


def sessions(fam):
    """{node: peers} of every BGP session of one family."""
    return {"rs0": [NVA1[fam], NVA2[fam]], "rs1": [NVA1[fam], NVA2[fam]],
            "nva1": [RS[fam][0], RS[fam][1], ONPREM_PEER[fam][0]],
            "nva2": [RS[fam][0], RS[fam][1], ONPREM_PEER[fam][1]],
            "onprem": list(SITE[fam])}


def not_established(fam):
    return {n: p for n, p in sessions(fam).items() if not established(n, p, fam)}


def agent_slot(slot, st=None):
    st = st if st is not None else LAB.agent_status()
    slots = st.get("vnets", {}).get("spoke", {}).get("slots", [])
    return slots[slot] if len(slots) == 2 else {}


def agent_in_sync(st=None):
    """Both instances connected and resynced, each slot table of the spoke
    from its own instance without error, every VM on its instance and
    bound to the table the lab computes for it."""
    st = st if st is not None else LAB.agent_status()
    pubs = st.get("publishers", {})
    vms = st.get("vms", {})
    return (all(vrslab.publisher_synced(pubs.get(i, {})) for i in ("0", "1")) and
            all(agent_slot(s, st).get("instanceInUse") == s and
                agent_slot(s, st).get("lastError", "") == "" for s in (0, 1)) and
            sorted(vms) == list(VMS) and
            all(v.get("instanceInUse") is not None and v.get("instanceInUse") == v.get("assignedInstance")
                and v.get("table") == LAB.vm_table(n)[1] for n, v in vms.items()))


def starting_state(families=(4, 6), timeout=90):
    """Poll for the state a test starts from (any test can run alone with
    -k): the sessions of the families Established, both VMs' on-prem
    routes via both NVAs in each family, the agent in sync."""
    def check():
        return (all(not not_established(f) for f in families) and
                all(kernel_nexthops(vm, f) == both(f) for vm in VMS for f in families) and
                agent_in_sync())

    ok, secs = vrslab.wait_for(check, timeout=timeout, interval=0.2)
    if not ok:
        dead = sorted(k for k, v in LAB.state.get("pids", {}).items() if not LAB._alive(v))
        assert ok, ("starting state ({}) not reached in {:.0f} s: sessions down {}, routes {}, agent {}, "
                    "processes not running: {}").format(
            "/".join("IPv{}".format(f) for f in families), secs,
            {f: not_established(f) for f in families},
            {(vm, f): kernel_nexthops(vm, f) for vm in VMS for f in families},
            json.dumps(LAB.agent_status()), dead or "none")
    return secs


def effective(node="rs0"):
    """{prefix: entry} of the spoke's effective routes on a route server."""
    eff = LAB.vtysh_json(node, "show route-server effective-routes json")
    return {r["prefix"]: r for r in eff.get("vnets", {}).get("spoke", [])}


# ---------------------------------------------------------------- IPv4

def test_ipv4_sessions_up():
    ok, _ = vrslab.wait_for(lambda: not not_established(4), timeout=60, interval=0.2)
    assert ok, "IPv4 sessions not Established: {}\n{}".format(not_established(4), LAB.vtysh("rs0", "show route-server"))


def test_ipv4_vms_ecmp_and_ping():
    starting_state((4,))
    for vm in VMS:
        assert kernel_nexthops(vm, 4) == both(4), (vm, kernel_nexthops(vm, 4))
        ok, _ = vrslab.wait_for(lambda: ping(vm, 4), timeout=10, interval=0.2)
        assert ok, "{} cannot reach {}".format(vm, ONPREM_HOST[4])


def test_ipv4_system_routes_win():
    starting_state((4,))
    got = vrslab.table_nexthops(*LAB.vm_table("vm1"))
    assert ONPREM[4] in got, got
    for space in SPACES[4]:
        assert space not in got, "BGP route for system route {}: {}".format(space, got)


# ------------------------------------------------------- the fabric's IPv6

def test_ipv6_fabric_plumbing():
    """The lab's own IPv6 (no BGP involved): the VMs' addresses and default
    route via the VNet's IPv6 gateway, the spoke fabric's gateway, its
    peering routes to the hubs' IPv6 spaces and the IPv6 rule that consults
    the main table first; packets reach a route server in the VNet and an
    NVA in a peered hub over IPv6 at once (no duplicate address detection
    to wait for)."""
    ns = LAB.vnet_ns("spoke")
    addrs = vrslab.run(["ip", "-n", ns, "-6", "addr", "show", "dev", "lan"]).stdout
    assert "fd00:2::1/48" in addrs and "tentative" not in addrs, addrs
    rules = vrslab.run(["ip", "-n", ns, "-6", "rule", "show"]).stdout
    assert any(l.startswith("100:") and "lookup main suppress_prefixlength 0" in l
               for l in rules.splitlines()), rules
    system = LAB.vm_system_routes("vm1", 6)
    for space in SPACES[6]:
        assert any(l.startswith(space + " ") for l in system.splitlines()), (space, system)
    assert "default" not in system, system
    for vm in VMS:
        routes = LAB.exec(vm, ["ip", "-6", "route", "show", "default"], check=True).stdout
        assert routes.startswith("default via fd00:2::1 "), (vm, routes)
        addr = LAB.exec(vm, ["ip", "-6", "addr", "show", "dev", "{}-eth0".format(vm)], check=True).stdout
        assert TOPO.vm_ip(vm, 6) + "/48" in addr and "tentative" not in addr, addr
    for dest in ("fd00:2::1", RS[6][0], NVA1[6], NVA2[6]):
        ok, _ = vrslab.wait_for(lambda: ping("vm1", 6, dest), timeout=10, interval=0.2)
        assert ok, "vm1 cannot reach {} over IPv6".format(dest)


def test_sessions_carry_one_family_each():
    """IPv4 neighbors carry ipv4 unicast only, IPv6 neighbors ipv6 unicast
    only: neither summary lists a session of the other family."""
    ok, _ = vrslab.wait_for(lambda: not not_established(4), timeout=60, interval=0.2)
    assert ok, not_established(4)
    for node, peers in sessions(4).items():
        v6 = LAB.vtysh_json(node, "show bgp ipv6 unicast summary json").get("peers", {})
        assert not set(peers) & set(v6), (node, sorted(v6))
    for node, peers in sessions(6).items():
        v4 = LAB.vtysh_json(node, "show bgp ipv4 unicast summary json").get("peers", {})
        assert not set(peers) & set(v4), (node, sorted(v4))


# ---------------------------------------------------------------- IPv6

def test_ipv6_sessions_up_with_bfd():
    ok, _ = vrslab.wait_for(lambda: not not_established(6), timeout=60, interval=0.2)
    assert ok, "IPv6 sessions not Established: {}\n{}".format(not_established(6), LAB.vtysh("rs0", "show route-server"))

    def bfd_up():
        out = LAB.vtysh("rs0", "show bfd peers json", daemon="bfdd")
        try:
            peers = {p.get("peer"): p.get("status") for p in json.loads(out)}
        except ValueError:
            return False
        return all(peers.get(a) == "up" for a in (NVA1[6], NVA2[6]))

    ok, _ = vrslab.wait_for(bfd_up, timeout=30, interval=0.2)
    assert ok, LAB.vtysh("rs0", "show bfd peers brief", daemon="bfdd")


def test_ipv6_agent_rules():
    """vnet-agent binds each VM's IPv6 address to the same slot table as
    its IPv4 address (one rule per family)."""
    for vm in VMS:
        _, table = LAB.vm_table(vm)
        ok, _ = vrslab.wait_for(lambda: LAB.vm_rule(vm, 6) and LAB.vm_rule(vm, 4), timeout=30)
        assert ok, "{}: rules IPv4 {!r}, IPv6 {!r}".format(vm, LAB.vm_rule(vm, 4), LAB.vm_rule(vm, 6))
        for fam in (4, 6):
            rule = LAB.vm_rule(vm, fam)
            assert "from {} ".format(TOPO.vm_ip(vm, fam)) in rule + " " and \
                "lookup {}".format(table) in rule, (vm, fam, rule)


def test_ipv6_effective_routes_ecmp():
    def ecmp():
        r = effective().get(ONPREM[6], {})
        return sorted(r.get("nextHops", [])) == both(6) and r.get("state") == "Active"

    ok, _ = vrslab.wait_for(ecmp, timeout=30)
    assert ok, LAB.vtysh("rs0", "show route-server effective-routes")


def test_ipv6_vm_kernel_routes_ecmp():
    for vm in VMS:
        ok, _ = wait_nexthops(vm, both(6), fam=6)
        assert ok, "{}: IPv6 kernel next hops {} (agent: {})\n{}".format(
            vm, kernel_nexthops(vm, 6), LAB.agent_vm(vm), LAB.vm_routes(vm, 6))


def test_ipv6_vm_pings_onprem():
    for vm in VMS:
        ok, _ = vrslab.wait_for(lambda: ping(vm, 6), timeout=10, interval=0.2)
        assert ok, "{} cannot reach {} over IPv6".format(vm, ONPREM_HOST[6])


def test_ipv6_system_routes_win():
    starting_state()
    got = vrslab.table_nexthops(*LAB.vm_table("vm1"), family=6)
    assert ONPREM[6] in got, got
    for space in SPACES[6]:
        assert space not in got, "BGP route for system route {}: {}".format(space, got)


def test_default_route_like_ipv4():
    """The Internet default: an effective route of the VNet in each family
    (source Default, next hop type Internet), and, as for IPv4, not
    programmed into the slot tables (the route server publishes no
    Internet default; the VMs' own default route points at the fabric)."""
    starting_state()
    eff = effective()
    for fam in (4, 6):
        r = eff.get(DEFAULT[fam], {})
        assert r.get("nextHopType") == "Internet" and r.get("state") == "Active", (fam, r)
        for vm in VMS:
            assert LAB.vm_nexthops(vm, DEFAULT[fam]) == [], (vm, fam, LAB.vm_routes(vm, fam))
            out = LAB.exec(vm, ["ip", "-{}".format(fam), "route", "show", "default"], check=True).stdout
            gw = TOPO.vnet_gateway("spoke", fam).split("/")[0]
            assert out.startswith("default via {} ".format(gw)), (vm, fam, out)


def test_silent_nva_failover_dual_stack():
    """hub1's NVA goes silent: BFD takes both of its sessions down at each
    instance; the VMs lose its IPv4 and IPv6 next hops and keep reaching
    on-prem over both families through nva2."""
    starting_state()
    LAB.fail("silent", "nva1")
    try:
        t0 = time.monotonic()
        for fam in (4, 6):
            ok, _ = wait_nexthops("vm1", [NVA2[fam]], fam=fam, timeout=20)
            assert ok, "vm1 IPv{} still routes via {}".format(fam, kernel_nexthops("vm1", fam))
        logger.info("silent NVA -> vm1 IPv4 and IPv6 routes via hub2 after %.3f s", time.monotonic() - t0)
        for fam in (4, 6):
            ok, _ = wait_nexthops("vm2", [NVA2[fam]], fam=fam, timeout=5)
            assert ok, kernel_nexthops("vm2", fam)
            for vm in VMS:
                ok, _ = vrslab.wait_for(lambda: ping(vm, fam), timeout=10, interval=0.2)
                assert ok, "{} lost on-prem over IPv{} after the failover".format(vm, fam)
    finally:
        LAB.restore("silent", "nva1")
    for fam in (4, 6):
        ok, _ = wait_nexthops("vm1", both(fam), fam=fam, timeout=30)
        assert ok, "nva1 not back in IPv{}: {}".format(fam, kernel_nexthops("vm1", fam))


def test_nva_link_down_failover_dual_stack():
    """hub1's NVA loses carrier: both families fail over to nva2, and come
    back when the link does (its IPv6 addresses survive the link down)."""
    starting_state()
    LAB.fail("link", "nva1")
    try:
        for fam in (4, 6):
            ok, secs = wait_nexthops("vm1", [NVA2[fam]], fam=fam, timeout=20)
            assert ok, (fam, kernel_nexthops("vm1", fam))
            ok, _ = vrslab.wait_for(lambda: ping("vm1", fam), timeout=10, interval=0.2)
            assert ok, "vm1 lost on-prem over IPv{} with nva1's link down".format(fam)
    finally:
        LAB.restore("link", "nva1")
    for fam in (4, 6):
        ok, _ = wait_nexthops("vm1", both(fam), fam=fam, timeout=60)
        assert ok, "nva1 not back in IPv{}: {}".format(fam, kernel_nexthops("vm1", fam))


def test_killed_nva_bgpd_failover_ipv6():
    starting_state()
    LAB.fail("bgpd", "nva1")
    try:
        ok, secs = wait_nexthops("vm1", [NVA2[6]], fam=6, timeout=20)
        assert ok, kernel_nexthops("vm1", 6)
        logger.info("NVA bgpd killed -> vm1 IPv6 route via hub2 after %.3f s", secs)
        ok, _ = vrslab.wait_for(lambda: ping("vm1", 6), timeout=10, interval=0.2)
        assert ok
    finally:
        LAB.restore("bgpd", "nva1")
    ok, _ = wait_nexthops("vm1", both(6), fam=6, timeout=30)
    assert ok, kernel_nexthops("vm1", 6)


def test_agent_restart_resyncs_both_families():
    starting_state()
    before = {(vm, f): kernel_nexthops(vm, f) for vm in VMS for f in (4, 6)}
    LAB.restart_agent()
    changed = []

    def resynced():
        now = {k: kernel_nexthops(*k) for k in before}
        if now != before:
            changed.append(now)
        return agent_in_sync()

    ok, secs = vrslab.wait_for(resynced, timeout=30)
    assert ok, json.dumps(LAB.agent_status(), indent=1)
    assert not changed, "routes changed during the agent restart: {}".format(changed[:3])
    logger.info("agent restart: both instances resynced after %.2f s", secs)
    assert ping("vm1", 4) and ping("vm1", 6)


def test_clean_shutdown_no_module_leaks():
    vrstest.lab_down_assert_no_leaks(LAB)
