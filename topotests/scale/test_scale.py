#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The fabric at scale (protocol 2): 2,000 VMs x 1,000 routes, correctness.

The rig of scripts/bench-scale (not its timings): one VNet with 2,000 VMs
given to vnet-agent in a --config file (4 of them network namespaces, the
rest addresses), a route server (bgpd -Z with bgpd_rs, instance 0) that
learns 1,000 /24s from two speakers (scripts/bgp-inject.py, ECMP) and one
more prefix from a third. Checked: every VM has exactly its rule (from
its address to the slot table fnv1a32(name) % 2) and the agent says the
same; both slot tables complete with ECMP through nexthop objects; real
packets from the VM namespaces; one prefix change reaches every VM (both
tables); a speaker's session ending takes its member out of the group,
then every route via the other speaker; a withdrawal leaves both tables.
"""

import importlib.machinery
import importlib.util
import os
import shutil
import sys
import tempfile
import time

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topolog import logger  # noqa: E402

import vrstest  # noqa: E402


def _load_bench():
    path = os.path.join(vrstest.TOP, "scripts", "bench-scale")
    loader = importlib.machinery.SourceFileLoader("bench_scale", path)
    spec = importlib.util.spec_from_loader("bench_scale", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


BS = _load_bench()
VMS, REAL, ROUTES = 2000, 4, 1000
S1, S2, S3 = (a for a, _ in BS.SPEAKERS)
CHANGE_ADDR = "31.0.0.1"
RIG = None
WORKDIR = None


def setup_module(mod):
    global RIG, WORKDIR
    WORKDIR = tempfile.mkdtemp(prefix="vrs-tt-scale-")
    os.chmod(WORKDIR, 0o755)
    RIG = BS.Rig(VMS, REAL, ROUTES, vrstest.BUILD, WORKDIR, log=logger.info)
    t0 = time.monotonic()
    try:
        RIG.up()
        secs = RIG.start_agent()
        logger.info("scale: %d VM rules after %.2f s", VMS, secs)
        RIG.start_bgpd()
        RIG.start_speakers()
    except BaseException:
        RIG.down()
        raise
    logger.info("scale: rig up after %.1f s", time.monotonic() - t0)


def teardown_module(mod):
    if RIG:
        RIG.down()
    if WORKDIR:
        shutil.rmtree(WORKDIR, ignore_errors=True)


def synced(timeout=60):
    """The starting state of most tests: speakers 1 and 2 up with their
    routes sent, both slot tables exactly the routes via both."""
    RIG.ensure_speaker(0)
    RIG.ensure_speaker(1)
    problem = [""]

    def check():
        ok, problem[0] = RIG.tables_are(ROUTES, [S1, S2])
        return ok

    ok, _ = BS.wait_for(check, timeout, 0.1)
    assert ok, "slot tables not complete: {}".format(problem[0])


# ------------------------------------------------------------------ tests

def test_every_vm_has_its_rule():
    rules = RIG.rules()
    assert len(rules) == VMS, "{} agent rules for {} VMs".format(len(rules), VMS)
    wrong = [(n, ip, t, rules.get(ip)) for n, ip, t in RIG.vms() if rules.get(ip) != (t, 1000)]
    assert not wrong, "{} VMs without their rule (pref 1000, slot table), e.g. {}".format(
        len(wrong), wrong[:3])
    per_table = {t: sum(1 for _, _, tt in RIG.vms() if tt == t) for t in BS.TABLES}
    assert all(n > VMS // 3 for n in per_table.values()), per_table
    st = RIG.agent_status()
    assert st.get("vmCount") == VMS, {k: v for k, v in st.items() if k != "vms"}
    assert len(st.get("vms", {})) == 0, "per-VM detail above 1000 VMs: {} entries".format(
        len(st.get("vms", {})))
    vnet = st.get("vnets", {}).get(BS.VNET, {})
    assert vnet.get("tables") == list(BS.TABLES), vnet
    # The per-VM query answers at any scale.
    for i in (0, 1, VMS - 1):
        name, ip, table = RIG.vm(i)
        res = BS.sh(RIG.agent_bin, "--status", "--socket", RIG.sock, "--vm", name)
        got = BS.json.loads(res.stdout)
        assert got.get("found") is True and got.get("table") == table and got.get("ip") == ip \
            and got.get("vnet") == BS.VNET, got
    res = BS.sh(RIG.agent_bin, "--status", "--socket", RIG.sock, "--vm", "nosuchvm", check=False)
    assert BS.json.loads(res.stdout or "{}").get("found") is False, res.stdout


def test_full_sync_both_slot_tables_ecmp():
    t0 = time.monotonic()
    synced()
    logger.info("scale: %d routes x 2 slot tables (ECMP) after %.2f s", ROUTES, time.monotonic() - t0)
    grp, gws = RIG.groups()
    assert [S1, S2] in grp.values(), "no nexthop group of both speakers: {}".format(grp)
    # Shared objects: one per gateway, not one per route or per table.
    assert len(grp) <= 4 and len(gws) <= 6, (grp, gws)
    st = RIG.agent_status()
    slots = st.get("vnets", {}).get(BS.VNET, {}).get("slots", [])
    assert len(slots) == 2 and all(s.get("instanceInUse") == 0 for s in slots), slots
    assert all(s.get("routesApplied", 0) >= ROUTES for s in slots), slots


def test_vm_packets_use_their_table():
    synced()
    for i in range(REAL):
        ok, _ = BS.wait_for(lambda: RIG.ping(i), 10, 0.2)
        assert ok, "VM namespace {} cannot reach {} through the fabric".format(i, BS.PROBE)
    # Every 50th VM: its lookup goes through its rule to its slot table.
    for i in range(0, VMS, 50):
        _, ip, table = RIG.vm(i)
        res = BS.sh("ip", "-n", RIG.fab, "-4", "route", "get", "32.0.3.1", "from", ip, "iif", "lan")
        assert "table {}".format(table) in res.stdout and (
            " via {} ".format(S1) in res.stdout or " via {} ".format(S2) in res.stdout), \
            "VM {} ({}): {}".format(i, ip, res.stdout)


def test_one_prefix_change_reaches_every_vm():
    synced()
    RIG.ensure_speaker(2)
    probes = RIG.probe_vms()
    t0 = time.monotonic()
    ok, _ = BS.wait_for(lambda: all(RIG.route_get(CHANGE_ADDR, ip) == S3 for ip in probes.values()),
                        30, 0.005)
    assert ok, "{} not in both slot tables: {}".format(
        BS.CHANGE_PREFIX, {t: RIG.route_get(CHANGE_ADDR, ip) for t, ip in probes.items()})
    logger.info("scale: one prefix in both slot tables after %.3f s", time.monotonic() - t0)
    for t in BS.TABLES:
        assert RIG.table(t).get(BS.CHANGE_PREFIX) == [S3], (t, RIG.table(t).get(BS.CHANGE_PREFIX))
    for i in range(0, VMS, 97):
        _, ip, _ = RIG.vm(i)
        assert RIG.route_get(CHANGE_ADDR, ip) == S3, "VM {} ({}) misses the change".format(i, ip)


def test_failover_takes_the_member_out_of_the_group():
    synced()
    grp, _ = RIG.groups()
    assert [S1, S2] in grp.values(), grp
    t0 = time.monotonic()
    RIG.kill_speaker(0)
    ok, _ = BS.wait_for(lambda: not any(S1 in m for m in RIG.groups()[0].values()), 10, 0.002)
    assert ok, "nexthop groups still hold {}: {}".format(S1, RIG.groups()[0])
    logger.info("scale: speaker 1 gone -> no group holds it after %.3f s", time.monotonic() - t0)
    problem = [""]

    def moved():
        ok, problem[0] = RIG.tables_are(ROUTES, [S2])
        return ok

    ok, _ = BS.wait_for(moved, 30, 0.1)
    assert ok, "routes not via {} only: {}".format(S2, problem[0])
    logger.info("scale: every route via speaker 2 after %.3f s", time.monotonic() - t0)
    # Back: the group is whole again.
    synced()


def test_withdrawal_leaves_both_tables():
    synced()
    RIG.ensure_speaker(2)
    probes = RIG.probe_vms()
    ok, _ = BS.wait_for(lambda: all(RIG.route_get(CHANGE_ADDR, ip) == S3 for ip in probes.values()),
                        30, 0.005)
    assert ok, "the change prefix is not there to withdraw"
    RIG.kill_speaker(2)
    ok, _ = BS.wait_for(lambda: all(RIG.route_get(CHANGE_ADDR, ip) is None for ip in probes.values()),
                        30, 0.005)
    assert ok, "{} still in a slot table".format(BS.CHANGE_PREFIX)
    for t in BS.TABLES:
        assert BS.CHANGE_PREFIX not in RIG.table(t), t
    synced(10)
