#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault matrix, fabric level (issue 10, item 5): design dual-homed-aa
(configs/fault-fabric: the same design, agent grace 6 s).

Every fault checks the VMs' tables in the spoke fabric exactly (prefix ->
next hops of the agent's proto-200 routes, nexthop objects resolved:
nothing stale, nothing lost) and counts the route events of the VMs' slot
tables and the nexthop object events with "ip monitor route nexthop",
started before the faults and proven running by marker routes. Where no
route really changes, the churn must be zero.

 a  kill -9 of vnet-agent in the middle of a change (frozen with the
    Update unread, then while the change is being published), restart:
    churn only for the prefixes that changed.
 b  rs0's bgpd killed and restarted while its NVA sessions are held back
    (nftables drops TCP 179 in rs0's namespace): rs0 must not publish
    before End-of-RIB from every neighbor (show route-server fabric json:
    "startup"); the agent keeps using rs1's tables: zero churn.
 c  both route-server instances down beyond the agent's grace: withdrawn
    exactly once after the grace, back exactly once, no intermediate state.
 d  a storm of 50 flaps of nva1's sessions to both instances (neighbor
    shutdown / no shutdown on nva1, each time until re-established):
    tables exact afterwards; from the end of the first flap (buffers kept
    for reuse have their size) to the end of the storm, the vrs memory
    groups of every bgpd back to the same counts and RSS growth of the rs
    bgpds, nva1's bgpd and the agent bounded.

Numbers go to the log and to <rundir>/fault_fabric_summary.json.
"""

import os
import signal
import sys
import time

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))
sys.path.append(CWD)

from lib.topolog import logger  # noqa: E402
from lib.topotest import g_extra_config  # noqa: E402

import vrstest  # noqa: E402

TOPO = vrstest.load_topology("fault-fabric")
import vrslab  # noqa: E402  (on sys.path through load_topology)
import fm  # noqa: E402

VMS = ("vm1", "vm2")
RS = ("rs0", "rs1")
NVA1, NVA2 = "10.1.0.10", "10.3.0.10"
NH = sorted([NVA1, NVA2])
RS_ADDR = {"rs0": "10.2.0.4", "rs1": "10.2.0.5"}
ONPREM = "192.168.0.0/16"
P1, P2 = "172.31.1.0/24", "172.31.2.0/24"  # on-prem prefixes the faults change
BGP_PREFIXES = (ONPREM, P1, P2)
BASE = {ONPREM: NH, P1: NH}  # the VM tables between faults
GRACE = float(TOPO.data.get("agentGrace", 10))
FLAPS = int(os.environ.get("FM_FLAPS", "50"))
HOLD_MS = 6000  # longer than the old fixed 5 s publish settle
# RSS growth bounds: the route servers and the agent (the project's code
# paths) 4 MiB; nva1's bgpd (Debian's bgpd, whose per-peer buffers are
# reallocated at every session) 8 MiB.
RSS_BOUND_KIB = {"rs0/bgpd": 4096, "rs1/bgpd": 4096, "agent": 4096, "nva1/bgpd": 8192}

LAB = None
MON = None
TABLES = {}
SUMMARY = fm.Summary(os.path.join(g_extra_config.get("rundir") or "/tmp/topotests",
                                  "fault_fabric_summary.json"), logger.info)


def setup_module(mod):
    global LAB, MON
    LAB = fm.FaultLab(TOPO)
    LAB.up(log=logger.info)
    out = onprem_networks(add=[P1])
    assert "%" not in out, out
    ok, secs, got = wait_tables({vm: BASE for vm in VMS}, timeout=60)
    assert ok, "lab did not converge: {}".format(got)
    logger.info("fault-fabric converged in %.1f s: %s", secs, got)
    for vm in VMS:
        TABLES[str(LAB.vm_table(vm)[1])] = vm
    ns = LAB.vm_table(VMS[0])[0]
    MON = fm.RouteMonitor(ns, TABLES, LAB.vm_table(VMS[0])[1])
    MON.start()


def teardown_module(mod):
    if MON:
        MON.stop()
    if LAB and LAB.is_up():
        LAB.unblock_bgp("rs0")
        LAB.down(log=logger.info)


# ------------------------------------------------------------------ helpers

def onprem_networks(add=(), remove=()):
    """Announce/withdraw on-prem prefixes in one configuration transaction."""
    lines = ["configure terminal", "router bgp 65100", "address-family ipv4 unicast"]
    lines += ["no network {}".format(p) for p in remove]
    lines += ["network {}".format(p) for p in add]
    return LAB.vtysh("onprem", *lines)


def wait_tables(want, timeout=30):
    """Poll until every VM's proto-200 table is exactly want[vm]."""
    got = {}

    def check():
        got.clear()
        got.update(LAB.vm_tables(want))
        return got == want

    ok, secs = vrslab.wait_for(check, timeout=timeout, interval=0.05)
    return ok, secs, dict(got)


def agent_in_sync():
    """Both publishers connected, every VM on its assigned instance."""
    st = LAB.agent_status()
    pubs = st.get("publishers", {})
    if not all(pubs.get(str(i), {}).get("connected") for i in (0, 1)):
        return False
    vms = st.get("vms", {})
    return all(vms.get(vm, {}).get("instanceInUse") == vms.get(vm, {}).get("assignedInstance")
               and vms.get(vm, {}).get("lastError") == "" for vm in VMS)


def bgp_routes(node):
    """The BGP prefixes (not system routes) node computes for the spoke."""
    return {p: nh for p, nh in LAB.effective(node, "spoke").items() if p in BGP_PREFIXES}


def settled(want=BASE, timeout=60):
    """Starting state of a fault: sessions up, tables exact, agent in sync,
    both instances publishing the same BGP routes."""
    def check():
        return (all(LAB.established(rs, [NVA1, NVA2]) for rs in RS)
                and all(bgp_routes(rs) == want for rs in RS)
                and LAB.vm_tables(VMS) == {vm: want for vm in VMS}
                and agent_in_sync())

    ok, secs = vrslab.wait_for(check, timeout=timeout, interval=0.1)
    assert ok, "not settled: tables {}, rs0 {}, rs1 {}, agent {}".format(
        LAB.vm_tables(VMS), bgp_routes("rs0"), bgp_routes("rs1"), LAB.agent_status())
    return secs


def churn(events):
    return fm.churn_by(events, TABLES)


def describe(events, t0):
    return ["+{:.3f}s {}".format(e.t - t0, e.line.replace("\\", " ").replace("\t", ""))
            for e in events]


def agent_vms():
    return LAB.agent_status().get("vms", {})


def ensure_agent_running():
    pid = LAB.agent_pid()
    if pid and LAB._alive(pid):
        os.kill(pid, signal.SIGCONT)
        return
    if pid:
        LAB.kill9_agent()
    LAB.start_agent()


# ------------------------------------------------------------------ tests

def test_monitor_running_and_tables_exact():
    assert MON.running()
    idx = MON.mark("baseline")
    settled()
    idx2 = MON.mark("baseline end")
    assert MON.between(idx, idx2) == [], "churn in a quiet lab: {}".format(MON.between(idx, idx2))
    assert MON.nexthop_events(idx, idx2) == [], \
        "nexthop objects changed in a quiet lab: {}".format(MON.nexthop_events(idx, idx2))


def test_a_agent_kill9_mid_change():
    settled()
    res = {}
    # Round 1: the agent is frozen, the rs instances publish the change
    # (an Update is written to the agent's socket, never read), kill -9.
    start = MON.mark("a1 start")
    seq0 = {rs: LAB.fabric(rs).get("lastSeqSent", 0) for rs in RS}
    new = {ONPREM: NH, P2: NH}
    LAB.stop_agent()
    try:
        t0 = time.monotonic()
        out = onprem_networks(add=[P2], remove=[P1])
        assert "%" not in out, out
        ok, secs = vrslab.wait_for(
            lambda: all(bgp_routes(rs) == new and LAB.fabric(rs).get("lastSeqSent", 0) > seq0[rs]
                        for rs in RS), timeout=20, interval=0.02)
        assert ok, "change not published: rs0 {} rs1 {}".format(
            LAB.fabric("rs0"), LAB.fabric("rs1"))
        unacked = {rs: [LAB.fabric(rs).get(k) for k in ("lastSeqSent", "lastSeqAcked")] for rs in RS}
        at_kill = LAB.vm_tables(VMS)
        LAB.kill9_agent()
    finally:
        ensure_agent_running()
    t_restart = time.monotonic()
    ok, secs, got = wait_tables({vm: new for vm in VMS}, timeout=30)
    assert ok, "after kill -9 and restart: {}".format(got)
    resync = time.monotonic() - t_restart
    ok, _ = vrslab.wait_for(agent_in_sync, timeout=30, interval=0.1)
    assert ok, LAB.agent_status()
    end = MON.mark("a1 end")
    ev = MON.between(start, end)
    c1 = churn(ev)
    res["round1"] = {"publishedSeqSentAcked": unacked, "tablesAtKill": at_kill,
                     "resyncSeconds": round(resync, 3), "churn": c1,
                     "events": describe(ev, t0)}
    SUMMARY.put("a_agent_kill9", round1=res["round1"])
    assert at_kill == {vm: BASE for vm in VMS}, \
        "the frozen agent applied the change before kill -9: {}".format(at_kill)
    # Exactly the real change: P1 deleted once, P2 added once, per VM.
    for vm in VMS:
        assert c1.get(vm) == {P1: 1, P2: 1}, "round 1 churn {}: {}".format(c1, describe(ev, t0))
    assert all(e.deleted for e in ev if e.prefix == P1)
    assert all(not e.deleted and NVA1 in e.line and NVA2 in e.line for e in ev if e.prefix == P2)

    # Round 2: kill -9 as soon as an instance starts publishing the change
    # back (the agent may have applied none, part or all of it).
    settled(new)
    start = MON.mark("a2 start")
    seq0 = {rs: LAB.fabric(rs).get("lastSeqSent", 0) for rs in RS}
    t0 = time.monotonic()
    out = onprem_networks(add=[P1], remove=[P2])
    assert "%" not in out, out
    try:
        ok, secs = vrslab.wait_for(
            lambda: any(LAB.fabric(rs).get("lastSeqSent", 0) > seq0[rs] for rs in RS),
            timeout=20, interval=0.005)
        assert ok, "change not published"
        LAB.kill9_agent()
        t_kill = time.monotonic() - t0
        at_kill = LAB.vm_tables(VMS)
    finally:
        ensure_agent_running()
    t_restart = time.monotonic()
    ok, secs, got = wait_tables({vm: BASE for vm in VMS}, timeout=30)
    assert ok, "after kill -9 and restart: {}".format(got)
    resync = time.monotonic() - t_restart
    ok, _ = vrslab.wait_for(agent_in_sync, timeout=30, interval=0.1)
    assert ok, LAB.agent_status()
    settled()
    end = MON.mark("a2 end")
    ev = MON.between(start, end)
    c2 = churn(ev)
    res["round2"] = {"killAfterChangeSeconds": round(t_kill, 3), "tablesAtKill": at_kill,
                     "resyncSeconds": round(resync, 3), "churn": c2, "events": describe(ev, t0)}
    SUMMARY.put("a_agent_kill9", round2=res["round2"])
    # Before the kill the agent follows what the publishers send, BGP's
    # own transients included (path hunting: an NVA briefly re-advertises
    # a withdrawn prefix it learned from the other route-server
    # instance). What kill -9 and the resync add is bounded: at most one
    # intermediate state per changed prefix (one next hop first).
    after = churn([e for e in ev if e.t >= t0 + t_kill])
    res["round2"]["churnAfterKill"] = after
    SUMMARY.put("a_agent_kill9", round2=res["round2"])
    for vm in VMS:
        per = c2.get(vm, {})
        assert set(per) <= {P1, P2}, "churn of unchanged routes in {}: {}".format(vm, describe(ev, t0))
        # At least the real change (P2 gone, P1 back).
        assert per.get(P1, 0) >= 1 and per.get(P2, 0) >= 1, (vm, per, describe(ev, t0))
        assert sum(after.get(vm, {}).values()) <= 4, (vm, after, describe(ev, t0))


def test_b_rs_restart_slow_nvas():
    """rs0 restarts while its NVAs cannot reach it: it must hold its
    publication until End-of-RIB from both NVAs (or its bounded wait), so
    the VMs that rs0 programs keep rs1's routes: zero churn."""
    settled()
    assigned = {vm: v.get("assignedInstance") for vm, v in agent_vms().items()}
    on_rs0 = [vm for vm, i in assigned.items() if i == 0]
    assert on_rs0, "no VM assigned to rs0: {}".format(assigned)
    start = MON.mark("b start")
    problems = []
    history = []
    in_use = {}
    LAB.fail("bgpd", "rs0")  # kill -9
    LAB.block_bgp("rs0")
    try:
        t0 = time.monotonic()
        LAB.restore("bgpd", "rs0")  # the lab's own start function

        def held():
            fab = LAB.fabric("rs0")
            st = fab.get("startup")
            key = (st or {}).get("state"), (st or {}).get("readyReason"), fab.get("published")
            if not history or history[-1][1:] != key:
                history.append((round(time.monotonic() - t0, 3),) + key)
            for vm, v in agent_vms().items():
                in_use.setdefault(vm, set()).add(v.get("instanceInUse"))
            # heldMs and the wall clock: the module's start time may be
            # second-granular, so heldMs alone can run ahead of real time.
            return (bool(st) and st.get("state") == "waitingForEndOfRib"
                    and st.get("heldMs", 0) > HOLD_MS and time.monotonic() - t0 > HOLD_MS / 1000.0)

        ok, secs = vrslab.wait_for(held, timeout=HOLD_MS / 1000.0 + 4, interval=0.2)
        startup = LAB.fabric("rs0").get("startup")
        tables_held = LAB.vm_tables(VMS)
        dropped = LAB.bgp_blocked_packets("rs0")
        hold_churn = MON.since(start)
        if not ok:
            problems.append("rs0 did not hold its publication for {} ms while its NVAs were "
                            "blocked: startup = {}, published = {} after {:.1f} s".format(
                                HOLD_MS, startup, LAB.fabric("rs0").get("published"), secs))
        if startup and startup.get("maxWaitMs", 0) <= HOLD_MS:
            problems.append("maxWaitMs {} not above the test's hold {}".format(startup.get("maxWaitMs"), HOLD_MS))
        if startup and sorted(startup.get("waitingFor", [])) != NH:
            problems.append("startup.waitingFor {} (want {})".format(startup.get("waitingFor"), NH))
        if tables_held != {vm: BASE for vm in VMS}:
            problems.append("VM tables while rs0 held: {}".format(tables_held))
    finally:
        LAB.unblock_bgp("rs0")
    t_unblock = time.monotonic()

    def ready():
        fab = LAB.fabric("rs0")
        st = fab.get("startup") or {}
        key = st.get("state"), st.get("readyReason"), fab.get("published")
        if not history or history[-1][1:] != key:
            history.append((round(time.monotonic() - t0, 3),) + key)
        return st.get("state") == "ready" and st

    st_ready, ready_secs = None, 0.0
    if any(h[1] for h in history):  # a module without "startup": nothing to wait for
        st_ready, ready_secs = vrslab.wait_for(ready, timeout=30, interval=0.1)
    if not st_ready:
        problems.append("rs0 never reported startup state ready: {}".format(
            LAB.fabric("rs0").get("startup")))
    elif st_ready.get("readyReason") != "endOfRib":
        problems.append("rs0 ready by {} (want endOfRib): {}".format(st_ready.get("readyReason"), st_ready))
    secs = settled(timeout=40)
    end = MON.mark("b end")
    ev = MON.between(start, end)
    nh_ev = MON.nexthop_events(start, end)
    SUMMARY.put("b_rs_restart_slow_nvas", vmsOnRs0=on_rs0,
                holdSeconds=round(t_unblock - t0, 3), bgpPacketsDropped=dropped,
                startupAtUnblock=startup, startupReady=st_ready or None,
                readyAfterUnblockSeconds=round(ready_secs, 3),
                settledAfterUnblockSeconds=round(time.monotonic() - t_unblock, 3),
                instanceInUseDuringHold={vm: sorted(v, key=str) for vm, v in in_use.items()},
                startupHistory=history, churnDuringHold=len(hold_churn),
                churn=churn(ev), events=describe(ev, t0),
                nexthopEvents=describe(nh_ev, t0))
    if nh_ev:
        problems.insert(0, "nexthop objects changed during rs0's restart ({} events):\n  {}".format(
            len(nh_ev), "\n  ".join(describe(nh_ev, t0))))
    if ev:
        problems.insert(0, "VM route churn during rs0's restart ({} events, times from the "
                        "restart; NVAs unblocked at +{:.3f}s):\n  {}".format(
                            len(ev), t_unblock - t0, "\n  ".join(describe(ev, t0))))
    assert not problems, "\n".join(problems)


def test_c_both_rs_down_beyond_grace():
    settled()
    start = MON.mark("c start")
    LAB.fail("bgpd", "rs0")
    LAB.fail("bgpd", "rs1")
    t0 = time.monotonic()
    try:
        ok, secs, got = wait_tables({vm: {} for vm in VMS}, timeout=GRACE + 20)
        assert ok, "routes not withdrawn after the grace: {}".format(got)
        withdrawn = time.monotonic() - t0
        vms = agent_vms()
        assert all(vms[vm].get("instanceInUse") is None and vms[vm].get("routesApplied") == 0
                   for vm in VMS), vms
    finally:
        LAB.restore("bgpd", "rs0")
        LAB.restore("bgpd", "rs1")
    t1 = time.monotonic()
    ok, secs, got = wait_tables({vm: BASE for vm in VMS}, timeout=45)
    assert ok, "routes not back: {}".format(got)
    back = time.monotonic() - t1
    settled()
    end = MON.mark("c end")
    ev = MON.between(start, end)
    down = [e for e in ev if e.t < t1]
    up = [e for e in ev if e.t >= t1]
    first = min((e.t - t0 for e in down), default=None)
    SUMMARY.put("c_both_rs_down", graceSeconds=GRACE, withdrawnAfterSeconds=round(withdrawn, 3),
                firstWithdrawEventSeconds=round(first, 3) if first is not None else None,
                backAfterRestartSeconds=round(back, 3),
                churnDown=churn(down), churnUp=churn(up), events=describe(ev, t0))
    assert first is not None and first >= GRACE - 0.5, \
        "withdrawn before the grace ({} s): {}".format(first, describe(ev, t0))
    want = {vm: {p: 1 for p in BASE} for vm in VMS}
    assert churn(down) == want and all(e.deleted for e in down), \
        "withdraw: {}".format(describe(down, t0))
    # Back exactly once, complete (both next hops) at the first add.
    assert churn(up) == want, "return: {}".format(describe(up, t0))
    assert all(not e.deleted and NVA1 in e.line and NVA2 in e.line for e in up), describe(up, t0)


def flap_nva1(i, per_flap):
    """One hard reset of nva1's sessions to both instances (Cease /
    Administrative Shutdown: the instances drop nva1's routes; "no
    shutdown" restarts them at once), until both are re-established."""
    cfg = ["configure terminal", "router bgp 65001"]
    nb0 = LAB.vtysh_json("nva1", "show bgp neighbors json")
    c0 = {a: nb0.get(a, {}).get("connectionsEstablished", 0) for a in RS_ADDR.values()}
    tf = time.monotonic()
    out = LAB.vtysh("nva1", *cfg + ["neighbor {} shutdown".format(a) for a in RS_ADDR.values()])
    assert "%" not in out, out
    ok, _ = vrslab.wait_for(lambda: all(LAB.peer_state("nva1", a) != "Established"
                                        for a in RS_ADDR.values()), timeout=10, interval=0.02)
    assert ok, "flap {}: nva1 sessions did not go down".format(i)
    out = LAB.vtysh("nva1", *cfg + ["no neighbor {} shutdown".format(a) for a in RS_ADDR.values()])
    assert "%" not in out, out

    def back():
        nb = LAB.vtysh_json("nva1", "show bgp neighbors json")
        return all(nb.get(a, {}).get("bgpState") == "Established"
                   and nb.get(a, {}).get("connectionsEstablished", 0) > c0[a]
                   for a in RS_ADDR.values())

    ok, secs = vrslab.wait_for(back, timeout=20, interval=0.02)
    assert ok, "flap {}: nva1 sessions not back: {}".format(i, LAB.vtysh("nva1", "show bgp summary"))
    per_flap.append(time.monotonic() - tf)


def test_d_nva_flap_storm():
    settled()
    nodes = ("rs0", "rs1", "nva1", "nva2")
    procs = ("rs0/bgpd", "rs1/bgpd", "nva1/bgpd", "agent")
    conn0 = {rs: LAB.connections_established(rs, NVA1) for rs in RS}
    start = MON.mark("d start")
    t0 = time.monotonic()
    per_flap = []
    # The first flap warms up what a flap uses and keeps for the next one
    # (the dirty-prefix list, the next-hops-down set: buffers that grow to
    # their working size once); memory is compared from there on, so any
    # growth measured is growth per flap.
    flap_nva1(0, per_flap)
    settled(timeout=60)
    mem0 = {n: LAB.vrs_memory(n) for n in nodes}
    assert all(mem0[n] for n in nodes), "no vrs memory groups: {}".format(mem0)
    rss0 = {p: LAB.rss_kib(p) for p in procs}
    for i in range(1, FLAPS):
        flap_nva1(i, per_flap)
    storm = time.monotonic() - t0
    secs = settled(timeout=60)
    end = MON.mark("d end")
    ev = MON.between(start, end)
    flaps_seen = {rs: LAB.connections_established(rs, NVA1) - conn0[rs] for rs in RS}

    # Memory: the vrs groups back to the same counts (poll: a write queue
    # entry or a coalescing timer may still be in flight).
    mem1 = {}

    def same_counts():
        for n in nodes:
            mem1[n] = LAB.vrs_memory(n)
        return all(not fm.counts_changed(mem0[n], mem1[n]) for n in nodes)

    ok_mem, _ = vrslab.wait_for(same_counts, timeout=10, interval=0.2)
    rss1 = {p: LAB.rss_kib(p) for p in procs}
    rss_delta = {p: (rss1[p] - rss0[p]) if rss0[p] is not None and rss1[p] is not None else None
                 for p in procs}
    mem_delta = {}
    for n in nodes:
        c0m, c1m = fm.memory_counts(mem0[n]), fm.memory_counts(mem1[n])
        mem_delta[n] = {"countsBefore": sum(c0m.values()), "countsAfter": sum(c1m.values()),
                        "bytesBefore": fm.memory_bytes(mem0[n]), "bytesAfter": fm.memory_bytes(mem1[n]),
                        "changed": fm.counts_changed(mem0[n], mem1[n])}
    c = churn(ev)
    SUMMARY.put("d_nva_flap_storm", flaps=FLAPS, stormSeconds=round(storm, 3),
                flapSecondsMinMax=[round(min(per_flap), 3), round(max(per_flap), 3)],
                settledAfterStormSeconds=round(secs, 3), rsSawEstablished=flaps_seen,
                churn=c, churnEvents=len(ev), events=describe(ev, t0)[:40],
                rssKiBBefore=rss0, rssKiBAfter=rss1,
                rssKiBDelta=rss_delta, vrsMemory=mem_delta)
    assert all(v >= FLAPS for v in flaps_seen.values()), flaps_seen
    for vm in VMS:
        per = c.get(vm, {})
        # Every BGP route has nva1 as a next hop: it may change at each flap
        # (withdraw, re-add): at most two events per flap and prefix.
        assert set(per) <= set(BASE), (vm, per)
        assert all(n <= 2 * FLAPS for n in per.values()), (vm, per)
    assert ok_mem, "vrs memory groups not back to their counts: {}".format(
        {n: d["changed"] for n, d in mem_delta.items() if d["changed"]})
    big = {p: d for p, d in rss_delta.items() if d is None or d > RSS_BOUND_KIB.get(p, 0)}
    assert not big, "RSS grew more than {} KiB: {}".format(RSS_BOUND_KIB, big)


def test_zz_clean_shutdown_no_module_leaks():
    MON.stop()
    vrstest.lab_down_assert_no_leaks(LAB)
