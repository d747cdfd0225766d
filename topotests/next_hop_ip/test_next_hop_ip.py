#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Next hop IP (configs/next-hop-ip), end to end.

Two NVAs in the hub VNet advertise on-prem (192.168.0.0/16) to the spoke's
route server (rs0, rs1) with a third-party next hop: 10.1.0.100, the
frontend of an internal-load-balancer-like node (ilb) in the hub that
forwards to both NVAs. The contract (docs: route-server-semantics.md §4,
§9 "Next hop IP"): the route server programs the next hop the NVA sent,
unchanged, into the VMs. Checked on the route server's BGP table, its
effective routes per VM, the VMs' kernel routes (the spoke fabric's slot
tables that vnet-agent programs and binds the VMs to) and with real packets: VM -> ilb -> NVA
-> on-prem, and nothing reaches on-prem once the frontend is silent.
"""

import json
import os
import re
import sys

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topolog import logger  # noqa: E402

import vrstest  # noqa: E402

TOPO = vrstest.load_topology("next-hop-ip")
import vrslab  # noqa: E402  (on sys.path through load_topology)

ONPREM = "192.168.0.0/16"
ONPREM_HOST = "192.168.1.10"
FRONTEND = "10.1.0.100"
NVAS = ["10.1.0.10", "10.1.0.11"]
VMS = ("vm1", "vm2")
LAB = None


def setup_module(mod):
    global LAB
    LAB = vrslab.Lab(TOPO)
    LAB.up(log=logger.info)


def teardown_module(mod):
    if LAB and LAB.is_up():
        vrstest.lab_down_assert_no_leaks(LAB)


def established(node, peers):
    got = LAB.vtysh_json(node, "show bgp ipv4 unicast summary json").get("peers", {})
    return all(got.get(p, {}).get("state") == "Established" for p in peers)


def rs_paths(rs):
    """(peer, next hop) of every path the route server holds for on-prem."""
    out = LAB.vtysh_json(rs, "show bgp ipv4 unicast {} json".format(ONPREM))
    return sorted((p.get("peer", {}).get("peerId"), p.get("nexthops", [{}])[0].get("ip"))
                  for p in out.get("paths", []))


def effective(rs, vm):
    """The on-prem entry of a VM's effective routes on a route server."""
    eff = LAB.vtysh_json(rs, "show route-server effective-routes vm {} json".format(vm))
    for r in eff.get("vnets", {}).get("spoke", []):
        if r.get("prefix") == ONPREM:
            return r
    return {}


def kernel_nexthops(vm):
    return LAB.vm_nexthops(vm, ONPREM)


def ping(vm, count=1):
    res = LAB.exec(vm, ["ping", "-c", str(count), "-i", "0.2", "-W", "1", ONPREM_HOST])
    return res.returncode == 0


def ilb_tx_packets():
    """Packets the frontend node sent on its VNet interface (forwarded
    packets leave where they came in: the hub VNet)."""
    res = LAB.exec("ilb", ["ip", "-s", "-j", "link", "show", TOPO.ifname("ilb", 0)], check=True)
    return json.loads(res.stdout)[0]["stats64"]["tx"]["packets"]


def starting_state(timeout=60):
    def check():
        return (established("rs0", NVAS) and established("rs1", NVAS) and
                established("onprem", ["172.16.1.1", "172.16.2.1"]) and
                all(kernel_nexthops(vm) == [FRONTEND] for vm in VMS))

    ok, secs = vrslab.wait_for(check, timeout=timeout, interval=0.2)
    assert ok, "starting state not reached in {:.0f} s: rs0 paths {}, vm1 {}, vm2 {}, agent {}".format(
        secs, rs_paths("rs0"), kernel_nexthops("vm1"), kernel_nexthops("vm2"),
        json.dumps(LAB.agent_status()))
    return secs


def test_nvas_send_the_frontend_as_next_hop():
    """Both instances hold one path per NVA, each with next hop 10.1.0.100
    (not the NVA's own address): the module accepts a third-party next hop."""
    starting_state()
    want = [(nva, FRONTEND) for nva in NVAS]
    for rs in ("rs0", "rs1"):
        ok, _ = vrslab.wait_for(lambda: rs_paths(rs) == want, timeout=30, interval=0.2)
        assert ok, "{}: paths {} (want {})\n{}".format(
            rs, rs_paths(rs), want, LAB.vtysh(rs, "show bgp ipv4 unicast " + ONPREM))


def test_effective_routes_use_the_frontend():
    starting_state()
    for rs in ("rs0", "rs1"):
        for vm in VMS:
            ok, _ = vrslab.wait_for(lambda: effective(rs, vm).get("nextHops") == [FRONTEND],
                                    timeout=30, interval=0.2)
            r = effective(rs, vm)
            assert ok, "{} {}: effective route {} (want next hop {} only)".format(rs, vm, r, FRONTEND)
            assert r.get("state") == "Active", r
            assert not set(r.get("nextHops", [])) & set(NVAS), r


def test_vm_kernel_routes_use_the_frontend():
    starting_state()
    for vm in VMS:
        ns, table = LAB.vm_table(vm)
        # The agent's route (proto 200), its nexthop object resolved.
        got = vrslab.table_nexthops(ns, table, ONPREM, proto="200")
        assert got == {ONPREM: [FRONTEND]}, "{} (table {}): {}".format(vm, table, got)
        # A packet from the VM takes it (the agent's rule, then the table).
        ip = next(i for n, _, i, _ in TOPO.vms() if n == vm)
        out = vrslab.run(["ip", "-n", ns, "-4", "route", "get", ONPREM_HOST, "from", ip, "iif", "lan"]).stdout
        assert " via {} ".format(FRONTEND) in out and "table {}".format(table) in out, "{}: {}".format(vm, out)


def test_packets_go_through_the_frontend():
    """Pings reach on-prem, and the frontend node forwards them."""
    starting_state()
    for vm in VMS:
        ok, _ = vrslab.wait_for(lambda: ping(vm), timeout=10, interval=0.2)
        assert ok, "{} cannot reach {}".format(vm, ONPREM_HOST)
    before = ilb_tx_packets()
    assert ping("vm1", count=5), "vm1 lost on-prem"
    forwarded = ilb_tx_packets() - before
    assert forwarded >= 5, "the frontend forwarded {} packets of 5 pings".format(forwarded)


def test_silent_frontend_stops_traffic():
    """Control: with the frontend silent (the NVAs and their routes still
    up), nothing reaches on-prem; back when it answers again."""
    starting_state()
    LAB.fail("silent", "ilb")
    try:
        lost, secs = vrslab.wait_for(lambda: not ping("vm1"), timeout=10, interval=0.2)
        assert lost, "vm1 still reaches on-prem with the frontend silent"
        assert kernel_nexthops("vm1") == [FRONTEND], kernel_nexthops("vm1")
    finally:
        LAB.restore("silent", "ilb")
    ok, _ = vrslab.wait_for(lambda: ping("vm1"), timeout=10, interval=0.2)
    assert ok, "vm1 does not reach on-prem after the frontend is back"


def test_one_nva_down_keeps_the_frontend():
    """The frontend is served by two NVAs: with one NVA's bgpd gone, the
    route servers keep the other NVA's path, still via the frontend."""
    starting_state()
    LAB.fail("bgpd", "nva1")
    try:
        for rs in ("rs0", "rs1"):
            ok, _ = vrslab.wait_for(lambda: rs_paths(rs) == [(NVAS[1], FRONTEND)], timeout=20, interval=0.1)
            assert ok, "{}: paths {}".format(rs, rs_paths(rs))
        for vm in VMS:
            assert kernel_nexthops(vm) == [FRONTEND], "{}: {}".format(vm, kernel_nexthops(vm))
    finally:
        LAB.restore("bgpd", "nva1")
    starting_state()


def test_lab_routes_shows_it():
    """scripts/lab routes: the VM's kernel routes use the frontend; the
    frontend node (no bgpd) shows its RIB with both NVAs."""
    starting_state()
    lab = os.path.join(vrstest.TOP, "scripts", "lab")
    res = vrslab.run([lab, "routes", TOPO.path, "vm1"])
    # A nexthop object (nhid) holds the gateway: the kernel prints both.
    assert re.search(r"^192\.168\.0\.0/16 (nhid \d+ )?via 10\.1\.0\.100 dev lan proto 200", res.stdout,
                     re.M), res.stdout
    res = vrslab.run([lab, "routes", TOPO.path, "ilb"])
    assert "192.168.0.0/16" in res.stdout and all("via {}".format(n) in res.stdout for n in NVAS), res.stdout
