#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Dual-homed spoke, active/active (configs/dual-homed-aa), end to end.

The spoke's route server (instances rs0, rs1: Debian's bgpd with bgpd_rs)
learns on-prem (192.168.0.0/16) from the NVAs of hub1 and hub2 and
programs the spoke VMs through vnet-agent: real kernel routes in the
spoke fabric's per-VM tables, real pings from the VMs to on-prem.

Covers issue #5 (fabric) and design (a) of issue #6: ECMP, failover on a
silent NVA (BFD) and on a killed NVA bgpd, the one-instance peering trap,
agent restart without stale or lost routes, one route-server instance
down, and clean shutdown without module leaks.
"""

import json
import os
import sys
import time


CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topolog import logger  # noqa: E402

import vrstest  # noqa: E402

TOPO = vrstest.load_topology("dual-homed-aa")
import vrslab  # noqa: E402  (on sys.path through load_topology)

ONPREM = "192.168.0.0/16"
ONPREM_HOST = "192.168.1.10"
NVA1, NVA2 = "10.1.0.10", "10.3.0.10"
LAB = None


def setup_module(mod):
    global LAB
    LAB = vrslab.Lab(TOPO)
    LAB.up(log=logger.info)


def teardown_module(mod):
    if LAB and LAB.is_up():
        LAB.down(log=logger.info)


def kernel_nexthops(vm, prefix=ONPREM):
    """Next hops of the agent's route in the VM's table in the fabric."""
    return LAB.vm_nexthops(vm, prefix)


def wait_nexthops(vm, want, timeout=30):
    got, secs = vrslab.wait_for(lambda: kernel_nexthops(vm) == sorted(want),
                                timeout=timeout, interval=0.01)
    return got, secs


def ping(vm, dest=ONPREM_HOST, count=1):
    res = LAB.exec(vm, ["ping", "-c", str(count), "-i", "0.2", "-W", "1", dest])
    return res.returncode == 0


def agent_vm(vm):
    return LAB.agent_status().get("vms", {}).get(vm, {})


def agent_slot(slot, st=None):
    """The agent's status of one slot (instance) of the spoke VNet."""
    st = st if st is not None else LAB.agent_status()
    slots = st.get("vnets", {}).get("spoke", {}).get("slots", [])
    return slots[slot] if len(slots) == 2 else {}


def slot_nexthops(slot, prefix=ONPREM):
    """Next hops of the agent's route in one slot table of the spoke."""
    ns, _ = LAB.vm_table("vm1")
    table = TOPO.vnet_tables()["spoke"][slot]
    return vrslab.table_nexthops(ns, table, prefix).get(prefix, [])


def established(node, peers):
    summ = LAB.vtysh_json(node, "show bgp ipv4 unicast summary json")
    got = summ.get("peers", {})
    return all(got.get(p, {}).get("state") == "Established" for p in peers)


def agent_in_sync(st=None):
    """Both route-server instances connected to the agent and resynced,
    each slot table of the spoke programmed from its own instance without
    error, and every VM on its assigned instance, bound to the table the
    lab computes for it (the agent's status JSON, agent/README.md)."""
    st = st if st is not None else LAB.agent_status()
    pubs = st.get("publishers", {})
    vms = st.get("vms", {})
    return (all(vrslab.publisher_synced(pubs.get(i, {})) for i in ("0", "1")) and
            all(agent_slot(s, st).get("instanceInUse") == s and
                agent_slot(s, st).get("lastError", "") == "" for s in (0, 1)) and
            sorted(vms) == ["vm1", "vm2"] and
            all(v.get("instanceInUse") is not None and v.get("instanceInUse") == v.get("assignedInstance")
                and v.get("table") == LAB.vm_table(n)[1] for n, v in vms.items()))


def starting_state(timeout=90):
    """Poll for the state every test starts from (so that any test can run
    alone with -k): all sessions Established, both VMs' kernel routes via
    both NVAs, the agent in sync with both instances."""
    def check():
        return (established("rs0", [NVA1, NVA2]) and established("rs1", [NVA1, NVA2]) and
                established("onprem", ["172.16.1.1", "172.16.2.1"]) and
                all(kernel_nexthops(vm) == [NVA1, NVA2] for vm in ("vm1", "vm2")) and
                agent_in_sync())

    ok, secs = vrslab.wait_for(check, timeout=timeout, interval=0.2)
    if not ok:
        pid = LAB.state.get("pids", {}).get("agent")
        alive = {k: LAB._alive(v) for k, v in LAB.state.get("pids", {}).items()}
        dead = sorted(k for k, v in alive.items() if not v)
        assert ok, ("starting state not reached in {:.0f} s: vm1 {}, vm2 {}, agent (pid {}) {}, "
                    "processes not running: {}").format(
            secs, kernel_nexthops("vm1"), kernel_nexthops("vm2"), pid,
            json.dumps(LAB.agent_status()), dead or "none")
    return secs


def test_sessions_up():
    for rs in ("rs0", "rs1"):
        ok, _ = vrslab.wait_for(lambda: established(rs, [NVA1, NVA2]), timeout=60)
        assert ok, "{}: NVA sessions not established: {}".format(
            rs, LAB.vtysh(rs, "show route-server"))
    ok, _ = vrslab.wait_for(lambda: established("onprem", ["172.16.1.1", "172.16.2.1"]), timeout=60)
    assert ok, LAB.vtysh("onprem", "show bgp ipv4 unicast summary")


def test_effective_routes_ecmp():
    def ecmp():
        eff = LAB.vtysh_json("rs0", "show route-server effective-routes json")
        for r in eff.get("vnets", {}).get("spoke", []):
            if r["prefix"] == ONPREM:
                return sorted(r["nextHops"]) == [NVA1, NVA2] and r["state"] == "Active"
        return False

    ok, _ = vrslab.wait_for(ecmp, timeout=30)
    assert ok, LAB.vtysh("rs0", "show route-server effective-routes")


def test_vm_kernel_routes_ecmp():
    for vm in ("vm1", "vm2"):
        ok, _ = wait_nexthops(vm, [NVA1, NVA2])
        assert ok, "{}: kernel next hops {} (agent: {})".format(vm, kernel_nexthops(vm), agent_vm(vm))


def test_vm_pings_onprem():
    for vm in ("vm1", "vm2"):
        ok, _ = vrslab.wait_for(lambda: ping(vm), timeout=10, interval=0.2)
        assert ok, "{} cannot reach {}".format(vm, ONPREM_HOST)


def test_system_routes_win():
    starting_state()
    # The spoke's own space and the peered hubs are system routes: the VM
    # tables get no BGP route for them (the agent owns only proto 200).
    ns, table = LAB.vm_table("vm1")
    out = vrslab.run(["ip", "-n", ns, "route", "show", "table", str(table), "proto", "200"]).stdout
    assert ONPREM in out, out
    for space in ("10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"):
        assert space not in out, "BGP route for system route {}: {}".format(space, out)


def test_silent_nva_failover():
    """hub1's NVA stops answering (carrier up): BFD, then re-programming."""
    starting_state()
    LAB.fail("silent", "nva1")
    try:
        t0 = time.monotonic()
        ok, _ = wait_nexthops("vm1", [NVA2], timeout=20)
        took = time.monotonic() - t0
        assert ok, "vm1 still routes via {}".format(kernel_nexthops("vm1"))
        logger.info("silent NVA failure -> VM kernel route via hub2 after %.3f s", took)
        ok, _ = wait_nexthops("vm2", [NVA2], timeout=5)
        assert ok, kernel_nexthops("vm2")
        ok, _ = vrslab.wait_for(lambda: ping("vm1"), timeout=10, interval=0.2)
        assert ok, "vm1 lost on-prem after failover"
    finally:
        LAB.restore("silent", "nva1")
    ok, _ = wait_nexthops("vm1", [NVA1, NVA2], timeout=30)
    assert ok, "nva1 not back: {}".format(kernel_nexthops("vm1"))


def test_nva_link_down_failover():
    starting_state()
    LAB.fail("link", "nva1")
    try:
        ok, secs = wait_nexthops("vm1", [NVA2], timeout=20)
        assert ok, kernel_nexthops("vm1")
        logger.info("NVA link down -> VM kernel route via hub2 after %.3f s", secs)
        ok, _ = vrslab.wait_for(lambda: ping("vm1"), timeout=10, interval=0.2)
        assert ok
    finally:
        LAB.restore("link", "nva1")
    ok, _ = wait_nexthops("vm1", [NVA1, NVA2], timeout=60)
    assert ok, kernel_nexthops("vm1")


def test_killed_nva_bgpd_failover():
    starting_state()
    LAB.fail("bgpd", "nva1")
    try:
        t0 = time.monotonic()
        ok, _ = wait_nexthops("vm1", [NVA2], timeout=20)
        assert ok, kernel_nexthops("vm1")
        logger.info("NVA bgpd killed -> VM kernel route via hub2 after %.3f s",
                    time.monotonic() - t0)
        ok, _ = vrslab.wait_for(lambda: ping("vm1"), timeout=10, interval=0.2)
        assert ok
    finally:
        LAB.restore("bgpd", "nva1")
    ok, _ = wait_nexthops("vm1", [NVA1, NVA2], timeout=30)
    assert ok, kernel_nexthops("vm1")


def test_one_instance_peering_trap():
    """nva1 peers only instance rs0: the VMs that instance rs1 programs
    never get nva1's routes (the cloud's trap, reproduced): slot table 1
    (from rs1) lacks nva1 and the VMs bound to it route via nva2 only,
    while slot table 0 and its VMs keep both."""
    starting_state()
    status = {vm: agent_vm(vm).get("instanceInUse") for vm in ("vm1", "vm2")}
    assert sorted(status.values()) == [0, 1], "VMs not spread over both instances: {}".format(status)
    out = LAB.vtysh("nva1", "configure terminal", "router bgp 65001",
                    "neighbor 10.2.0.5 shutdown")
    assert "%" not in out, out
    try:
        for vm, inst in status.items():
            want = [NVA1, NVA2] if inst == 0 else [NVA2]
            ok, _ = wait_nexthops(vm, want, timeout=20)
            assert ok, "{} (instance {}): {}".format(vm, inst, kernel_nexthops(vm))
        assert slot_nexthops(0) == [NVA1, NVA2] and slot_nexthops(1) == [NVA2], \
            (slot_nexthops(0), slot_nexthops(1))
        # Not a failover: both slots still draw from their own instance.
        st = LAB.agent_status()
        assert [agent_slot(s, st).get("instanceInUse") for s in (0, 1)] == [0, 1], st.get("vnets")
        warn = LAB.vtysh_json("nva1", "show route-server-peering json")
        assert any("only one route-server instance" in w
                   for w in warn["instances"]["default"]["warnings"]), warn
    finally:
        LAB.vtysh("nva1", "configure terminal", "router bgp 65001",
                  "no neighbor 10.2.0.5 shutdown")
    for vm in ("vm1", "vm2"):
        ok, _ = wait_nexthops(vm, [NVA1, NVA2], timeout=30)
        assert ok, kernel_nexthops(vm)


def test_agent_restart_resyncs_without_loss():
    starting_state()
    before = {vm: kernel_nexthops(vm) for vm in ("vm1", "vm2")}
    assert before == {"vm1": [NVA1, NVA2], "vm2": [NVA1, NVA2]}, before
    LAB.restart_agent()
    st = LAB.agent_status()
    # A new agent: it has not heard from any instance yet (so the resync
    # below is real, not the old agent's counters).
    assert st.get("agent", {}).get("uptimeSeconds", 99) < 5, st
    # Both instances reconnect and resync (full snapshot); the routes stay
    # in place all along (no blackhole): sampled at every poll.
    changed = []

    def resynced():
        now = {vm: kernel_nexthops(vm) for vm in before}
        if now != before:
            changed.append(now)
        return agent_in_sync()

    ok, secs = vrslab.wait_for(resynced, timeout=30)
    assert ok, json.dumps(LAB.agent_status(), indent=1)
    assert not changed, "routes changed during the agent restart: {}".format(changed[:3])
    logger.info("agent restart: both instances resynced after %.2f s", secs)
    for vm in ("vm1", "vm2"):
        assert kernel_nexthops(vm) == before[vm]
    for slot in (0, 1):
        assert agent_slot(slot).get("routesApplied", 0) >= 1, agent_slot(slot)
    assert ping("vm1")


def test_route_server_instance_down():
    """Instance rs1 goes away: the agent moves its VMs to rs0's routes."""
    starting_state()
    LAB.fail("bgpd", "rs1")
    try:
        ok, _ = vrslab.wait_for(lambda: all(agent_vm(vm).get("instanceInUse") == 0
                                            for vm in ("vm1", "vm2")), timeout=30)
        assert ok, {vm: agent_vm(vm) for vm in ("vm1", "vm2")}
        for vm in ("vm1", "vm2"):
            assert kernel_nexthops(vm) == [NVA1, NVA2], kernel_nexthops(vm)
        assert ping("vm2")
    finally:
        LAB.restore("bgpd", "rs1")
    ok, _ = vrslab.wait_for(agent_in_sync, timeout=40)
    assert ok, {vm: agent_vm(vm) for vm in ("vm1", "vm2")}


def test_both_instances_down_grace_then_withdraw():
    """Both route-server instances gone (maintenance gone wrong): the agent
    keeps the VMs' last routes for its grace period (10 s in this lab),
    then withdraws them; they come back when a route server returns."""
    starting_state()
    grace = TOPO.data.get("agentGrace", 10)
    ok, _ = wait_nexthops("vm1", [NVA1, NVA2], timeout=60)
    assert ok, kernel_nexthops("vm1")
    LAB.fail("bgpd", "rs0")
    LAB.fail("bgpd", "rs1")
    t0 = time.monotonic()
    try:
        # The routes do not move during the first half of the grace period ...
        changed, _ = vrslab.wait_for(lambda: kernel_nexthops("vm1") != [NVA1, NVA2],
                                     timeout=grace / 2, interval=0.05)
        assert not changed, "routes changed inside the grace period: {}".format(kernel_nexthops("vm1"))
        # ... and withdrawn once it has passed.
        ok, secs = vrslab.wait_for(lambda: kernel_nexthops("vm1") == [], timeout=grace + 20)
        assert ok, kernel_nexthops("vm1")
        waited = time.monotonic() - t0
        logger.info("both instances down: routes withdrawn after %.1f s (grace %s s)", waited, grace)
        assert waited >= grace - 1, "withdrawn before the grace period ({:.1f} s)".format(waited)
    finally:
        LAB.restore("bgpd", "rs0")
        LAB.restore("bgpd", "rs1")
    ok, _ = wait_nexthops("vm1", [NVA1, NVA2], timeout=60)
    assert ok, kernel_nexthops("vm1")


def test_clean_shutdown_no_module_leaks():
    vrstest.lab_down_assert_no_leaks(LAB)
