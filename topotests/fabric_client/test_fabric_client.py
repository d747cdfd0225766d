#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bgpd_rs publishing effective routes to the real vnet-agent (the cases of
README.md in this directory), run with the lab engine on a topology that
this test writes to its own directory (name fabt-<pid>):

  hub 10.1.0.0/16: rs .4 (bgpd + bgpd_rs, AS 65515), nva1 .10 (65001),
                   nva2 .11 (65002), vm1 10.1.1.10
  spoke 10.2.0.0/16 (peered with hub, uses the hub's route server): vm2 10.2.1.10

The route server also has a peering "spoke2" (10.3.0.0/16) that the lab does
not build: a BGP route inside 10.3.0.0/16 is covered by a system route in
the hub (Invalid, not programmed) but not in the spoke, so it changes vm2's
table only. Both NVAs offer 10.20.0.0/16 (ECMP), nva2 also
192.168.50.0/24. The agent's grace is 5 s so that withdrawal is observable.
Every wait polls the published state (the route server's "show
route-server fabric json", the agent's status, the kernel); nothing
depends on when the module first publishes after a start.
"""

import json
import os
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
RS, NVA1, NVA2 = "10.1.0.4", "10.1.0.10", "10.1.0.11"
ECMP_PFX, NVA2_PFX = "10.20.0.0/16", "192.168.50.0/24"
SPOKE2_PFX = "10.3.7.0/24"

TOPOLOGY = {
    "name": NAME,
    "description": "fabric_client topotest: one route server programming a hub VM and a spoke VM",
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
 route-server peering spoke
 route-server peering spoke address-space 10.2.0.0/16
 route-server peering spoke allow-gateway-transit
 route-server peering spoke remote-uses-gateway
 route-server peering spoke2
 route-server peering spoke2 address-space 10.3.0.0/16
 route-server neighbor {nva1} role nva
 route-server neighbor {nva2} role nva
 route-server fabric socket @AGENT_SOCKET@ instance 0 name rs-test-0
 route-server vm vm1 vnet hub
 route-server vm vm2 vnet spoke
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


def agent_vm(vm):
    return agent().get("vms", {}).get(vm, {})


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


def poll(predicate, timeout=30.0, what="condition", interval=0.05):
    value, waited = vrslab.wait_for(predicate, timeout=timeout, interval=interval)
    if not value:
        logger.info("fabric: %s", json.dumps(fabric()))
        logger.info("agent: %s", json.dumps(agent()))
        logger.info("rs:\n%s", lab.vtysh("rs", "show bgp ipv4 unicast summary",
                                         "show route-server effective-routes"))
    assert value, "{} not reached within {:.1f} s".format(what, waited)
    return value, waited


def nva_conf(node, asn, *lines):
    out = lab.vtysh(node, "configure terminal", "router bgp {}".format(asn),
                    "address-family ipv4 unicast", *lines)
    assert "%" not in out, out


def rs_conf(*lines):
    out = lab.vtysh("rs", "configure terminal", "router bgp 65515", *lines)
    assert "%" not in out, out


def established():
    summ = lab.vtysh_json("rs", "show bgp ipv4 unicast summary json").get("peers", {})
    return all(summ.get(p, {}).get("state") == "Established" for p in (NVA1, NVA2))


def in_sync(f=None):
    f = f if f is not None else fabric()
    return f.get("state") == "established" and f.get("connected") is True and f.get("inSync") is True


def starting_state():
    """Sessions up, the starting routes in both VMs' tables, the client in
    sync with the agent, both VMs programmed by instance 0."""
    def check():
        a = agent()
        vms = a.get("vms", {})
        return (established() and in_sync() and
                all(kernel(vm, ECMP_PFX) == [NVA1, NVA2] and kernel(vm, NVA2_PFX) == [NVA2]
                    and kernel(vm, SPOKE2_PFX) == [] for vm in ("vm1", "vm2")) and
                all(vms.get(vm, {}).get("instanceInUse") == 0 for vm in ("vm1", "vm2")))

    _, waited = poll(check, timeout=90, what="starting state", interval=0.1)
    return waited


# ------------------------------------------------------------------ tests

def test_snapshot():
    """Case 1: one Snapshot, both VMs, ECMP in the kernel, skipped routes."""
    _, waited = poll(lambda: in_sync() and fabric().get("vms") == 2, timeout=90,
                     what="client connected and in sync with 2 VMs")
    logger.info("fabric in sync %.1f s after the test started", waited)
    starting_state()
    f = fabric()
    assert f["snapshotsSent"] == 1 and f["connects"] == 1 and f["reconnects"] == 0, f
    assert f["instanceId"] == 0 and f["instanceName"] == "rs-test-0", f
    assert f["lastError"] == "", f
    # The VNetPeering routes (no next hop) are skipped by the client.
    assert f["routesSkipped"] > 0, f
    for vm in ("vm1", "vm2"):
        assert kernel_routes(vm) == sorted([ECMP_PFX, NVA2_PFX]), (vm, kernel_routes(vm))
    a = agent()
    pub = a["publishers"]["0"]
    assert pub["connected"] and pub["instanceName"] == "rs-test-0" and pub["errors"] == 0, pub
    assert a["publishers"]["1"]["connected"] is False, a["publishers"]
    for vm in ("vm1", "vm2"):
        v = a["vms"][vm]
        assert v["routesApplied"] == 2 and v["lastError"] == "", (vm, v)
        # The VnetLocal route (no next hop; the namespace has the connected
        # route) is skipped by the agent.
        assert v["routesSkipped"] >= 1, (vm, v)


def test_update_only_changed_vm():
    """Case 2: a route only the spoke VM gets: one Update, vm1 untouched."""
    starting_state()
    f0, a0 = fabric(), agent()["vms"]
    nva_conf("nva1", 65001, "network " + SPOKE2_PFX)
    try:
        poll(lambda: kernel("vm2", SPOKE2_PFX) == [NVA1], what="vm2 gets " + SPOKE2_PFX)
        poll(lambda: in_sync(), what="client in sync")
        f1, a1 = fabric(), agent()["vms"]
        assert f1["updatesSent"] == f0["updatesSent"] + 1, (f0["updatesSent"], f1["updatesSent"])
        assert f1["snapshotsSent"] == f0["snapshotsSent"], f1
        assert a1["vm2"]["lastSeq"] > a0["vm2"]["lastSeq"], (a0["vm2"], a1["vm2"])
        assert a1["vm2"]["routesAdded"] == a0["vm2"]["routesAdded"] + 1, (a0["vm2"], a1["vm2"])
        # vm1 was not in the Update at all: same seq, no program run.
        assert a1["vm1"]["lastSeq"] == a0["vm1"]["lastSeq"], (a0["vm1"], a1["vm1"])
        assert a1["vm1"]["programRuns"] == a0["vm1"]["programRuns"], (a0["vm1"], a1["vm1"])
        assert kernel("vm1", SPOKE2_PFX) == [], "the hub VM must not get a route inside a peered space"
    finally:
        nva_conf("nva1", 65001, "no network " + SPOKE2_PFX)
    poll(lambda: kernel("vm2", SPOKE2_PFX) == [], what="vm2 loses " + SPOKE2_PFX)


def test_coalescing():
    """Case 3: 200 routes arriving in a burst are published in a few
    messages, not one per route; all of them reach the kernel."""
    starting_state()
    pfx = ["10.30.{}.0/24".format(i) for i in range(200)]
    u0 = fabric()["updatesSent"]
    path = os.path.join(tmpdir, "burst.conf")
    with open(path, "w") as f:
        f.write("router bgp 65001\n address-family ipv4 unicast\n")
        f.write("".join("  network {}\n".format(p) for p in pfx))
    os.chmod(path, 0o644)
    t0 = time.monotonic()
    out = lab.exec("nva1", [vrslab.vtysh_path(), "-N", lab.pathspace("nva1"), "-f", path]).stdout
    assert "%" not in out, out
    try:
        _, waited = poll(lambda: len(kernel_routes("vm1")) == 2 + len(pfx) and
                         len(kernel_routes("vm2")) == 2 + len(pfx), timeout=60,
                         what="200 routes in both VMs")
        poll(in_sync, what="client in sync")
        sent = fabric()["updatesSent"] - u0
        logger.info("200 routes: in both VMs %.2f s after the config, %d Update(s)",
                    time.monotonic() - t0, sent)
        assert 1 <= sent <= 10, "{} Updates for one burst of 200 routes".format(sent)
    finally:
        nva_conf("nva1", 65001, *["no network " + p for p in pfx])
    poll(lambda: kernel_routes("vm1") == sorted([ECMP_PFX, NVA2_PFX]), timeout=60,
         what="burst withdrawn from vm1")


def test_removed_vm_grace_then_withdraw():
    """Case 4: a VM no longer published keeps its routes for the agent's
    grace, then loses them; publishing it again re-installs them."""
    starting_state()
    rs_conf("no route-server vm vm2 vnet spoke")
    t0 = time.monotonic()
    try:
        poll(lambda: fabric().get("vms") == 1 and in_sync(), what="vm2 no longer published")
        poll(lambda: agent_vm("vm2").get("instanceInUse", 0) is None, what="agent: no instance for vm2")
        assert "graceRemainingSeconds" in agent_vm("vm2"), agent_vm("vm2")
        changed, _ = vrslab.wait_for(lambda: kernel_routes("vm2") != sorted([ECMP_PFX, NVA2_PFX]),
                                     timeout=GRACE / 2, interval=0.05)
        assert not changed, "vm2 routes changed inside the grace period: {}".format(kernel_routes("vm2"))
        _, _ = poll(lambda: kernel_routes("vm2") == [], timeout=GRACE + 10, what="vm2 routes withdrawn")
        waited = time.monotonic() - t0
        logger.info("removed VM: routes withdrawn %.1f s after the config (grace %d s)", waited, GRACE)
        assert waited >= GRACE - 1, "withdrawn before the grace period ({:.1f} s)".format(waited)
        # vm1 is untouched.
        assert kernel_routes("vm1") == sorted([ECMP_PFX, NVA2_PFX])
    finally:
        rs_conf("route-server vm vm2 vnet spoke")
    poll(lambda: kernel("vm2", ECMP_PFX) == [NVA1, NVA2], what="vm2 re-installed")


def test_agent_restart_resync():
    """Case 5: agent down: the client backs off and the routes stay; agent
    back: one more Snapshot, and no route is removed or re-added."""
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
    f1 = fabric()
    assert f1["reconnects"] == f0["reconnects"] + 1, f1
    assert f1["snapshotsSent"] == f0["snapshotsSent"] + 1, f1
    poll(lambda: all(agent_vm(vm).get("lastSeq", 0) > 0 for vm in ("vm1", "vm2")), what="agent resynced")
    for vm in ("vm1", "vm2"):
        v = agent_vm(vm)
        assert (v["routesAdded"], v["routesReplaced"], v["routesDeleted"]) == (0, 0, 0), (vm, v)
        assert v["routesApplied"] == 2, (vm, v)
        assert kernel_routes(vm) == sorted([ECMP_PFX, NVA2_PFX])


def test_keepalive():
    """Case 6: an idle client keeps its session with keepalives."""
    starting_state()
    k0 = fabric()["keepalivesSent"]
    interval = fabric()["keepaliveMs"] / 1000.0
    poll(lambda: fabric()["keepalivesSent"] >= k0 + 2, timeout=3 * interval + 2,
         what="two keepalives", interval=0.2)
    pub = agent()["publishers"]["0"]
    assert pub["connected"] and pub["errors"] == 0 and pub["lastError"] == "", pub


ABSENT = "10.1.0.99"


def test_absent_neighbor_no_republish():
    """Issue 11: every reconnect attempt to an absent neighbor (Connect <->
    Active, once per connect-retry second) used to recompute and publish
    every VM's table. Only a change into or out of Established changes
    what the VMs get: the publish count stays put while the absent role
    neighbor cycles through its connect attempts."""
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
        before = fabric()["publishes"]
        mark = len(seen)
        poll(lambda: state() and len(seen) >= mark + 4, timeout=60,
             what="4 more FSM transitions of the absent neighbor", interval=0.05)
        after = fabric()["publishes"]
        logger.info("absent neighbor: states %s, publishes %d -> %d", seen, before, after)
        assert "Established" not in seen, seen
        assert after == before, "{} publishes for {} FSM transitions that change no route: {}".format(
            after - before, len(seen) - mark, seen)
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
        json.dump({"vms": {"nosuchvm": [{"prefix": "10.99.0.0/16", "nextHops": [NVA1]}]}}, f)
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
         all(agent_vm(vm).get("instanceInUse") == 0 for vm in ("vm1", "vm2")), timeout=20,
         what="back to instance 0")
    for vm in ("vm1", "vm2"):
        assert kernel_routes(vm) == sorted([ECMP_PFX, NVA2_PFX]), (vm, kernel_routes(vm))


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


def test_bgpd_killed_grace_then_withdraw():
    """Case 10: bgpd killed: the routes stay for the grace, then go; a new
    bgpd re-installs them."""
    starting_state()
    lab.fail("bgpd", "rs")
    t0 = time.monotonic()
    try:
        changed, _ = vrslab.wait_for(lambda: kernel_routes("vm1") != sorted([ECMP_PFX, NVA2_PFX]),
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


def test_no_module_leaks():
    """Case 11: bgpd's memstats-at-exit shows no 'vrs' group left."""
    starting_state()
    pids = vrstest.lab_down_assert_no_leaks(lab)
    assert sorted(pids) == ["nva1", "nva2", "rs"], pids
