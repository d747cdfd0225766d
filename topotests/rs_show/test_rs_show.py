#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Explain a route, and the az-shaped output (issue 13, items 1 and 2).

Topology configs/rs-contract (rs_contract/rsc.py): nva1 (65001) and nva2
(65002), an ExpressRoute (er) and a VPN (vpn) gateway stand-in around the
route server (AS 65515, .4, VNet hub 10.1.0.0/16). The speakers' configs
give the cases: 10.202.0.0/16 carries 65515 (asLoop), 10.203.0.0/16
NO_ADVERTISE, 10.250.0.0/16 comes from nva1 (3 hops), vpn (2) and er (1),
10.220.0.0/16 from both NVAs (ECMP), 10.1.5.0/24 lies inside the VNet.

The az shapes are checked against field sets recorded from Microsoft's
documentation (URLs next to each set); the README section "Explain a
route, and az-shaped output" is run as written.
"""

import json
import os
import re
import socket
import sys
import threading

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "..", "rs_contract"))
sys.path.append(os.path.join(CWD, ".."))

import rsc  # noqa: E402
import vrstest  # noqa: E402
from rsc import ER, NVA1, NVA2, RS, VPN, r, rs_conf  # noqa: E402

pytestmark = [pytest.mark.bgpd]

# az network routeserver show: the example output of
# https://learn.microsoft.com/en-us/azure/route-server/quickstart-create-route-server-cli
AZ_ROUTESERVER_FIELDS = {
    "allowBranchToBranchTraffic", "etag", "hubRoutingPreference", "id", "kind",
    "location", "name", "provisioningState", "resourceGroup", "routeTable",
    "routingState", "sku", "type", "virtualHubRouteTableV2s", "virtualRouterAsn",
    "virtualRouterAutoScaleConfiguration", "virtualRouterIps",
}
# hubRoutingPreference values: "ExpressRoute" | "VpnGateway" | "ASPath"
# (https://learn.microsoft.com/en-us/azure/route-server/hub-routing-preference)

# az network routeserver peering list-learned-routes: PeerRoute
# (https://learn.microsoft.com/en-us/javascript/api/@azure/arm-network/peerroute),
# grouped per instance, e.g. {"RouteServiceRole_IN_0": [{"asPath": "65005",
# "localAddress": "172.16.150.68", "network": "0.0.0.0/0", "nextHop":
# "172.16.150.20", "origin": "EBgp", "sourcePeer": "172.16.150.20",
# "weight": 32768}], "RouteServiceRole_IN_1": [...]}
AZ_LEARNED_FIELDS = {"asPath", "localAddress", "network", "nextHop", "origin",
                     "sourcePeer", "weight"}
# list-advertised-routes prints no sourcePeer: {"asPath": "65515",
# "localAddress": "10.1.2.4", "network": "10.1.0.0/16", "nextHop":
# "10.1.2.4", "origin": "Igp", "weight": 0}; longer paths "65515-12076-64631".
AZ_ADVERTISED_FIELDS = {"asPath", "localAddress", "network", "nextHop", "origin",
                        "weight"}

# az network nic show-effective-route-table: {"value": [EffectiveRoute]}
# (https://learn.microsoft.com/en-us/rest/api/virtualnetwork/network-interfaces/get-effective-route-table,
#  https://learn.microsoft.com/en-us/javascript/api/@azure/arm-network/effectiveroute)
AZ_EFFECTIVE_FIELDS = {"addressPrefix", "disableBgpRoutePropagation", "name",
                       "nextHopIpAddress", "nextHopType", "source", "state"}
AZ_EFFECTIVE_SOURCES = {"Default", "User", "VirtualNetworkGateway", "Unknown"}
AZ_NEXT_HOP_TYPES = {"VirtualNetworkGateway", "VnetLocal", "VNetPeering", "Internet",
                     "VirtualAppliance", "None"}

README = os.path.join(CWD, "..", "..", "README.md")
SECTION = "### Explain a route, and az-shaped output"


class FakeAgentStatus:
    """The status socket (PATH.status) of a vnet-agent, protocol 2: a
    client sends `vm NAME` and gets one JSON object about that VM. The VMs
    belong to the agent; the route server asks it which VNet a VM is in
    (`effective-routes vm`, `explain ... vm`). vms: {name: (vnet, ip)}.
    Nothing listens on PATH itself: nothing is programmed here."""

    def __init__(self, path, vms, instance=0):
        self.path = path + ".status"
        self.vms = vms
        self.instance = instance
        self.queries = []
        self.sock = None
        self.thread = None

    def answer(self, line):
        words = line.split()
        if len(words) != 2 or words[0] != "vm":
            return {"error": "unknown query"}
        name = words[1]
        self.queries.append(name)
        if name not in self.vms:
            return {"vm": name, "found": False}
        vnet, ip = self.vms[name]
        return {"vm": name, "vnet": vnet, "ip": ip, "assignedInstance": self.instance,
                "instanceInUse": self.instance, "table": 1100 + self.instance,
                "netns": "vrs-fake-" + vnet, "found": True}

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\n" not in data:
                        chunk = conn.recv(256)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(json.dumps(self.answer(data.decode().strip())).encode() + b"\n")
                except OSError:
                    pass

    def __enter__(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)  # bgpd runs as user frr
        self.sock.listen(8)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(5)
        if os.path.exists(self.path):
            os.unlink(self.path)


SOCK = "/tmp/vrs-rs-show-{}.sock".format(os.getpid())
HUB_VMS = {"vm1": ("hub", "10.1.1.10"), "vmx": ("elsewhere", "10.77.0.10")}


def setup_module(mod):
    rsc.setup(mod)


def teardown_module(mod):
    rsc.teardown(mod)


def show(cmd):
    return r("rs").vtysh_cmd(cmd, isjson=False)


def show_json(cmd):
    out = show(cmd)
    try:
        return json.loads(out)
    except ValueError:
        pytest.fail("{}: not JSON: {}".format(cmd, out))


def explain(prefix, vm=None):
    return show_json("show route-server explain {}{} json".format(
        prefix, " vm " + vm if vm else ""))


def cand(js, addr):
    for c in js["candidates"]:
        if c["neighbor"] == addr:
            return c
    pytest.fail("no candidate {} in {}".format(addr, js["candidates"]))


def outb(js, addr):
    for o in js["outbound"]:
        if o["neighbor"] == addr:
            return o
    pytest.fail("no outbound {} in {}".format(addr, js["outbound"]))


def wait_explain(prefix, check, vm=None, timeout=30):
    last = {}

    def probe():
        last["v"] = explain(prefix, vm)
        return check(last["v"])

    ok, _ = vrstest.wait_for(probe, timeout=timeout, interval=0.25)
    assert ok, json.dumps(last.get("v"), indent=1)
    return last["v"]


def test_sessions_up():
    rsc.tgen_ok()


# The two show defects -----------------------------------------------------

def test_advertised_routes_as_the_peer_receives_them():
    """nva2 receives the VNet route with next hop 10.0.0.4 and path 65515,
    nva1's route with nva1's next hop and 65515 prepended: the show says
    exactly what nva2's own table holds."""
    rsc.tgen_ok()
    ok, _ = rsc.wait_routes("nva2", present=("10.1.0.0/16", "10.201.0.0/16"))
    assert ok
    adv = show_json("show route-server neighbor {} advertised-routes json".format(NVA2))
    got = adv["advertisedRoutes"]
    assert got["10.1.0.0/16"]["nextHop"] == RS and got["10.1.0.0/16"]["asPath"] == "65515", got
    assert got["10.201.0.0/16"]["nextHop"] == NVA1, got
    assert got["10.201.0.0/16"]["asPath"] == "65515 65001", got
    # What nva2 really has.
    for pfx in ("10.1.0.0/16", "10.201.0.0/16"):
        path = rsc.bgp_routes("nva2")[pfx][0]
        nh = path["nexthops"][0]["ip"]
        assert nh == got[pfx]["nextHop"] and path["path"] == got[pfx]["asPath"], (pfx, path)
    text = show("show route-server neighbor {} advertised-routes".format(NVA2))
    line = [ln for ln in text.splitlines() if ln.startswith("10.1.0.0/16")]
    assert line and RS in line[0] and "65515" in line[0] and "0.0.0.0" not in line[0], text


def test_fabric_text_without_json():
    rsc.tgen_ok()
    out = show("show route-server fabric")
    assert not out.lstrip().startswith("{"), out
    assert "state:" in out and "enabled:" in out, out
    js = show_json("show route-server fabric json")
    assert "state" in js and "enabled" in js, js


# az shapes ----------------------------------------------------------------

def test_az_routeserver_show():
    rsc.tgen_ok()
    js = show_json("show route-server az")
    assert set(js) == AZ_ROUTESERVER_FIELDS, set(js) ^ AZ_ROUTESERVER_FIELDS
    assert js["allowBranchToBranchTraffic"] is False, js
    assert js["hubRoutingPreference"] == "ExpressRoute", js
    assert js["virtualRouterAsn"] == 65515 and js["virtualRouterIps"] == [RS], js
    assert js["kind"] == "RouteServer" and js["type"] == "Microsoft.Network/virtualHubs", js
    rs_conf("route-server branch-to-branch", "route-server hub-routing-preference as-path")
    try:
        js = show_json("show route-server az")
        assert js["allowBranchToBranchTraffic"] is True, js
        assert js["hubRoutingPreference"] == "ASPath", js
        rs_conf("route-server hub-routing-preference vpn-gateway")
        assert show_json("show route-server az")["hubRoutingPreference"] == "VpnGateway"
    finally:
        rs_conf("no route-server branch-to-branch", "no route-server hub-routing-preference")
    assert show_json("show route-server az")["hubRoutingPreference"] == "ExpressRoute"


def test_az_learned_routes():
    rsc.tgen_ok()
    js = show_json("show route-server neighbor {} learned-routes az".format(NVA1))
    assert set(js) == {"RouteServiceRole_IN_0"}, js
    routes = {e["network"]: e for e in js["RouteServiceRole_IN_0"]}
    for e in routes.values():
        assert set(e) == AZ_LEARNED_FIELDS, e
    assert routes["10.201.0.0/16"] == {
        "asPath": "65001", "localAddress": RS, "network": "10.201.0.0/16",
        "nextHop": NVA1, "origin": "EBgp", "sourcePeer": NVA1, "weight": 32768}, routes
    assert routes["10.250.0.0/16"]["asPath"] == "65001-65001-65001", routes
    # Dropped inbound (65515 in the path): not learned.
    assert "10.202.0.0/16" not in routes, routes
    js = show_json("show route-server neighbor {} learned-routes az".format(ER))
    er = {e["network"]: e for e in js["RouteServiceRole_IN_0"]}
    assert er["10.100.0.0/16"]["origin"] == "IBgp", er


def test_az_advertised_routes():
    rsc.tgen_ok()
    ok, _ = rsc.wait_routes("nva2", present=("10.1.0.0/16", "10.201.0.0/16"))
    assert ok
    js = show_json("show route-server neighbor {} advertised-routes az".format(NVA2))
    assert set(js) == {"RouteServiceRole_IN_0"}, js
    routes = {e["network"]: e for e in js["RouteServiceRole_IN_0"]}
    for e in routes.values():
        assert set(e) == AZ_ADVERTISED_FIELDS, e
    assert routes["10.1.0.0/16"] == {
        "asPath": "65515", "localAddress": RS, "network": "10.1.0.0/16",
        "nextHop": RS, "origin": "Igp", "weight": 0}, routes
    assert routes["10.201.0.0/16"]["asPath"] == "65515-65001", routes
    assert routes["10.201.0.0/16"]["nextHop"] == NVA1, routes
    # Branch-to-branch off: nothing from the gateways.
    assert "10.100.0.0/16" not in routes and "10.110.0.0/16" not in routes, routes


def test_az_effective_routes():
    """effective-routes vm NAME asks the agent which VNet the VM is in,
    then prints that VNet's table: the same as vnet NAME."""
    rsc.tgen_ok()
    rs_conf("route-server fabric socket {} instance 0".format(SOCK))
    try:
        with FakeAgentStatus(SOCK, HUB_VMS) as agent:
            js = show_json("show route-server effective-routes vm vm1 az")
            assert agent.queries == ["vm1"], agent.queries
            assert js == show_json("show route-server effective-routes vnet hub az")
        assert set(js) == {"value"}, js
        for e in js["value"]:
            assert set(e) == AZ_EFFECTIVE_FIELDS, e
            assert e["source"] in AZ_EFFECTIVE_SOURCES and e["nextHopType"] in AZ_NEXT_HOP_TYPES, e
            assert e["state"] in ("Active", "Invalid") and len(e["addressPrefix"]) == 1, e
        by = {e["addressPrefix"][0]: e for e in js["value"]}
        assert by["10.1.0.0/16"]["source"] == "Default", by
        assert by["10.1.0.0/16"]["nextHopType"] == "VnetLocal", by
        assert by["10.1.0.0/16"]["nextHopIpAddress"] == [], by
        ecmp = by["10.220.0.0/16"]
        assert ecmp["source"] == "VirtualNetworkGateway", ecmp
        assert ecmp["nextHopType"] == "VirtualNetworkGateway", ecmp
        assert ecmp["nextHopIpAddress"] == [NVA1, NVA2] and ecmp["state"] == "Active", ecmp
        assert by["10.1.5.0/24"]["state"] == "Invalid", by
        out = show("show route-server effective-routes az")
        assert out.startswith("%"), out
    finally:
        rs_conf("no route-server fabric")


def test_effective_routes_vnet():
    """effective-routes vnet NAME needs no agent: the VNet's table."""
    rsc.tgen_ok()
    js = show_json("show route-server effective-routes vnet hub json")
    assert set(js["vnets"]) == {"hub"}, js
    by = {e["prefix"]: e for e in js["vnets"]["hub"]}
    assert by["10.220.0.0/16"]["nextHops"] == [NVA1, NVA2], by
    assert by["10.1.0.0/16"]["source"] == "VnetLocal", by
    text = show("show route-server effective-routes vnet hub")
    assert text.startswith("VNet hub") and "10.220.0.0/16" in text, text
    out = show("show route-server effective-routes vnet nosuch")
    assert out.startswith("% this route server does not program VNet nosuch"), out


def test_effective_routes_vm_errors():
    """A VM is the agent's: without a fabric, with an agent that does not
    answer, for a VM it does not know, or one in a VNet this route server
    does not program, a clear % line."""
    rsc.tgen_ok()
    out = show("show route-server effective-routes vm vm1")
    assert out.startswith("% no VM vm1:") and "vnet-agent" in out, out
    assert len(out.strip().splitlines()) == 1, out
    rs_conf("route-server fabric socket {} instance 0".format(SOCK))
    try:
        # Nothing listens on the status socket.
        out = show("show route-server effective-routes vm vm1 json")
        assert out.startswith("% no VM vm1:"), out
        with FakeAgentStatus(SOCK, HUB_VMS) as agent:
            out = show("show route-server effective-routes vm nosuch")
            assert out.startswith("% no VM nosuch"), out
            out = show("show route-server effective-routes vm vmx")
            assert out.startswith("% VM vmx is in VNet elsewhere, which this route server does not program"), out
            js = show_json("show route-server effective-routes vm vm1 json")
            assert js["vm"] == {"name": "vm1", "vnet": "hub", "ip": "10.1.1.10",
                                "assignedInstance": 0, "instanceInUse": 0, "table": 1100,
                                "netns": "vrs-fake-hub"}, js["vm"]
            assert set(js["vnets"]) == {"hub"}, js
            text = show("show route-server effective-routes vm vm1")
            assert text.startswith("VM vm1 (VNet hub, 10.1.1.10;"), text
            assert agent.queries == ["nosuch", "vmx", "vm1", "vm1"], agent.queries
    finally:
        rs_conf("no route-server fabric")


def test_route_server_vm_refused():
    """The old per-VM line is refused with the reason, nothing is written."""
    rsc.tgen_ok()
    before = r("rs").vtysh_cmd("show running-config", daemon="bgpd")
    for line in ("route-server vm vm1 vnet hub", "no route-server vm vm1"):
        out = rs_conf(line)
        assert "% route-server vm is no longer a route-server setting: VMs are declared to vnet-agent (--vm NAME=VNET,ip=ADDR" in out, out
    assert r("rs").vtysh_cmd("show running-config", daemon="bgpd") == before


def recompute():
    return show_json("show route-server fabric json").get("recompute", {})


def wait_recompute(check, timeout=30):
    last = {}

    def probe():
        last["v"] = recompute()
        return check(last["v"])

    ok, _ = vrstest.wait_for(probe, timeout=timeout, interval=0.2)
    assert ok, json.dumps(last.get("v"), indent=1)
    return last["v"]


def test_incremental_publish():
    """With a fabric (no agent needed: the client holds the state), a route
    change of one prefix is published as that prefix alone: one
    incremental publish, no full recompute; a session change recomputes
    everything."""
    rsc.tgen_ok()
    rs_conf("route-server fabric socket {} instance 0 startup-wait 1".format(SOCK))
    pfx = "10.231.0.0/16"
    try:
        base = wait_recompute(lambda j: j.get("published") and j["dirtyPending"] == 0)
        assert base["dirtyMax"] == 50000, base
        out = rsc.speaker_conf("nva1", "router bgp 65001", "address-family ipv4 unicast",
                               "network " + pfx)
        assert "%" not in out, out
        js = wait_recompute(lambda j: j["incremental"] > base["incremental"])
        assert js["full"] == base["full"], (base, js)
        assert js["prefixesRecomputed"] == base["prefixesRecomputed"] + 1, (base, js)
        assert js["routesChanged"] == base["routesChanged"] + 1, (base, js)
        fab = show_json("show route-server explain {} vnet hub json".format(pfx))
        assert fab["vnet"]["fabric"]["routePublished"], fab["vnet"]
        base = js
        rsc.speaker_conf("nva1", "router bgp 65001", "address-family ipv4 unicast",
                         "no network " + pfx)
        js = wait_recompute(lambda j: j["routesWithdrawn"] > base["routesWithdrawn"])
        assert js["full"] == base["full"] and js["incremental"] == base["incremental"] + 1, (base, js)
        fab = show_json("show route-server explain {} vnet hub json".format(pfx))
        assert not fab["vnet"]["fabric"]["routePublished"], fab["vnet"]
        # A session change: everything.
        base = js
        r("rs").vtysh_cmd("clear bgp ipv4 unicast {}".format(VPN))
        js = wait_recompute(lambda j: j["full"] > base["full"])
        assert js["lastFullReason"] == "neighbor", js
    finally:
        rsc.speaker_conf("nva1", "router bgp 65001", "address-family ipv4 unicast",
                         "no network " + pfx)
        rs_conf("no route-server fabric")
    rsc.all_established()


def test_fast_path_nexthops_down():
    """A role neighbor leaving Established: the next hops only it provided
    are declared down at once (nva2's own 10.0.0.12); a next hop another
    Established neighbor also provides is not (nva1 advertises a prefix via
    10.0.0.12 too, like two NVAs behind one load-balancer frontend)."""
    rsc.tgen_ok()
    rs_conf("route-server fabric socket {} instance 0 startup-wait 1".format(SOCK))
    shared = "10.232.0.0/16"
    try:
        base = wait_recompute(lambda j: j.get("published") and j["dirtyPending"] == 0)
        r("rs").vtysh_cmd("clear bgp ipv4 unicast {}".format(NVA2))
        js = wait_recompute(lambda j: j["neighborLossesWithNexthopsDown"] >
                            base["neighborLossesWithNexthopsDown"])
        assert js["nexthopsDeclaredDown"] == base["nexthopsDeclaredDown"] + 1, (base, js)
        assert js["lastNeighborLoss"] == NVA2, js
        rsc.all_established()
        # nva1 also provides 10.0.0.12 now.
        base = wait_recompute(lambda j: j["dirtyPending"] == 0)
        out = rsc.speaker_conf("nva1", "ip prefix-list SHARED seq 5 permit " + shared,
                               "route-map TO-RS permit 25", "match ip address prefix-list SHARED",
                               "set ip next-hop " + NVA2, "exit",
                               "router bgp 65001", "address-family ipv4 unicast",
                               "network " + shared)
        assert "%" not in out, out
        ok, _ = vrstest.wait_for(
            lambda: [p.get("nexthops", [{}])[0].get("ip")
                     for p in rsc.bgp_routes("rs").get(shared, [])] == [NVA2],
            timeout=30, interval=0.25)
        assert ok, rsc.bgp_routes("rs").get(shared)
        base = wait_recompute(lambda j: j["routesChanged"] > base["routesChanged"] and
                              j["dirtyPending"] == 0)
        r("rs").vtysh_cmd("clear bgp ipv4 unicast {}".format(NVA2))
        js = wait_recompute(lambda j: j["full"] > base["full"])
        assert js["neighborLossesWithNexthopsDown"] == base["neighborLossesWithNexthopsDown"], (base, js)
    finally:
        rsc.speaker_conf("nva1", "router bgp 65001", "address-family ipv4 unicast",
                         "no network " + shared, "exit", "exit",
                         "no route-map TO-RS permit 25", "no ip prefix-list SHARED")
        rs_conf("no route-server fabric")
    rsc.all_established()


# explain ------------------------------------------------------------------

def test_explain_as_loop():
    rsc.tgen_ok()
    js = explain("10.202.0.0/16")
    c = cand(js, NVA1)
    assert c["verdict"] == "dropped" and c["reason"] == "asLoop", c
    assert "65515" in c["asPath"] and "65515" in c["reasonText"], c
    assert js["selection"]["ecmp"] == [], js
    assert "asLoop" in js["summary"], js["summary"]
    text = show("show route-server explain 10.202.0.0/16")
    assert "dropped" in text and "asLoop" in text, text


def test_explain_no_advertise():
    rsc.tgen_ok()
    js = explain("10.203.0.0/16")
    c = cand(js, NVA1)
    assert c["verdict"] == "accepted" and c["noAdvertise"] and c["selected"], c
    for peer in (NVA2, ER, VPN):
        o = outb(js, peer)
        assert o["verdict"] == "withheld" and o["reason"] == "noAdvertise" and not o["sent"], o
    # nva1 is withheld for NO_ADVERTISE too (before any other rule).
    assert outb(js, NVA1)["reason"] == "noAdvertise", js["outbound"]
    cov = {v["vnet"]: v for v in js["coverage"]}
    assert cov["hub"]["state"] == "active", cov
    assert "10.203.0.0/16" not in rsc.rs_paths_from("nva2")


def test_explain_branch_to_branch_off():
    rsc.tgen_ok()
    js = explain("10.210.0.0/16")
    assert js["branchToBranch"] is False
    for gw in (ER, VPN):
        o = outb(js, gw)
        assert o["verdict"] == "withheld" and o["reason"] == "branchToBranchOff", o
    o = outb(js, NVA1)
    assert o["verdict"] == "advertised" and o["sent"], o
    assert o["nextHop"] == NVA2 and o["asPath"] == "65515 65002", o
    # bgpd echoes eBGP routes to their source; explain says so.
    o = outb(js, NVA2)
    assert o["reason"] == "echo" and o["sent"] and o["asPath"] == "65515 65002", o
    assert "10.210.0.0/16" not in rsc.rs_paths_from("er")
    # The VNet's own space: a system route, advertised to the NVAs only.
    js = explain("10.1.0.0/16")
    assert {v["vnet"]: v["state"] for v in js["coverage"]} == {"hub": "systemRoute"}, js
    for nva in (NVA1, NVA2):
        o = outb(js, nva)
        assert o["sent"] and o["nextHop"] == RS and o["asPath"] == "65515", o
    for gw in (ER, VPN):
        assert outb(js, gw)["reason"] == "branchToBranchOff", outb(js, gw)
    text = show("show route-server explain 10.210.0.0/16")
    assert "branchToBranchOff" in text, text


def test_explain_preference_loss():
    rsc.tgen_ok()
    js = explain("10.250.0.0/16")
    assert js["selection"]["ecmp"] == [ER], js["selection"]
    assert js["selection"]["hubRoutingPreference"] == "expressroute"
    for peer, n in ((NVA1, 3), (VPN, 2)):
        c = cand(js, peer)
        assert not c["selected"] and c["lossReason"] == "hubRoutingPreference", c
        assert c["lostTo"] == ER and c["asPathLength"] == n, c
    assert cand(js, ER)["selected"] and cand(js, ER)["asPathLength"] == 1
    rs_conf("route-server hub-routing-preference as-path")
    try:
        js = wait_explain("10.250.0.0/16",
                          lambda j: j["selection"]["hubRoutingPreference"] == "as-path")
        assert js["selection"]["ecmp"] == [ER], js["selection"]
        for peer in (NVA1, VPN):
            assert cand(js, peer)["lossReason"] == "asPathLength", cand(js, peer)
    finally:
        rs_conf("no route-server hub-routing-preference")
    # ECMP: equal AS-path lengths from both NVAs.
    js = explain("10.220.0.0/16")
    assert js["selection"]["ecmp"] == [NVA1, NVA2], js["selection"]
    assert js["selection"]["nextHops"] == [NVA1, NVA2], js["selection"]


def test_explain_covered_by_system_route():
    rsc.tgen_ok()
    js = explain("10.1.5.0/24")
    assert cand(js, NVA1)["selected"], js["candidates"]
    cov = {v["vnet"]: v for v in js["coverage"]}
    assert cov["hub"]["state"] == "coveredBySystemRoute", cov
    assert cov["hub"]["coveredBy"] == "10.1.0.0/16", cov
    assert "10.1.0.0/16" in js["summary"], js["summary"]
    text = show("show route-server explain 10.1.5.0/24")
    assert "coveredBySystemRoute" in text and "10.1.0.0/16" in text, text


def test_explain_route_limit():
    """nva2 re-sends its 3 routes with a limit of 2 (ars count 6 > 2): the
    session is closed, and explain says so for nva2's prefix."""
    rsc.tgen_ok()
    out = rs_conf("route-server neighbor {} role nva route-limit 2".format(NVA2))
    assert "%" not in out, out
    try:
        res = rsc.expect_rs({"neighbors": {NVA2: {"routeLimit": 2}}})
        assert res is None, res
        rsc.soft_out("nva2")
        js = wait_explain("10.210.0.0/16",
                          lambda j: cand(j, NVA2)["verdict"] == "sessionDown")
        c = cand(js, NVA2)
        assert c["limitTeardowns"] >= 1 and "route limit exceeded" in c["reasonText"], c
        assert "route limit exceeded" in js["summary"], js["summary"]
        assert js["selection"]["ecmp"] == [], js["selection"]
        text = show("show route-server explain 10.210.0.0/16")
        assert "route limit exceeded" in text, text
    finally:
        rs_conf("route-server neighbor {} role nva".format(NVA2))
        r("rs").vtysh_cmd("clear bgp ipv4 unicast {}".format(NVA2))
    res = rsc.expect_rs({"neighbors": {NVA2: {"state": "Established", "pfxRcd": 3}}}, count=120)
    assert res is None, res


def test_explain_one_instance_and_vm():
    """This bgpd as instance 1 of the route server: its az group is
    RouteServiceRole_IN_1 only, and explain ... vm says what this instance
    published in the VM's VNet, which the agent names (nothing listens on
    the fabric socket: not acknowledged)."""
    rsc.tgen_ok()
    out = rs_conf("route-server fabric socket {} instance 1 name rs-one".format(SOCK))
    assert "%" not in out, out
    agent = FakeAgentStatus(SOCK, HUB_VMS, instance=1).__enter__()
    try:
        js = show_json("show route-server neighbor {} learned-routes az".format(NVA1))
        assert set(js) == {"RouteServiceRole_IN_1"}, js
        js = wait_explain("10.220.0.0/16",
                          lambda j: j["vm"]["fabric"]["routePublished"], vm="vm1", timeout=45)
        assert js["instance"]["id"] == 1 and js["instance"]["azGroup"] == "RouteServiceRole_IN_1"
        vm = js["vm"]
        assert vm["vnet"] == "hub" and vm["effectiveState"] == "Active", vm
        assert vm["ip"] == "10.1.1.10" and vm["assignedInstance"] == 1, vm
        f = vm["fabric"]
        assert f["enabled"] and not f["connected"] and not f["inSync"], f
        assert f["vnetPublished"], f
        assert f["instanceId"] == 1 and f["nextHops"] == [NVA1, NVA2], f
        assert "published for VM vm1 (VNet hub) by instance 1" in js["vmSummary"], js["vmSummary"]
        # The same, by VNet: no agent asked.
        n = len(agent.queries)
        jv = explain("10.220.0.0/16 vnet hub")
        assert jv["vnet"]["fabric"] == f and len(agent.queries) == n, jv
        assert "published for VNet hub by instance 1" in jv["vnetSummary"], jv
        # Covered: the fabric does not publish what a system route overrides.
        js = explain("10.1.5.0/24", vm="vm1")
        assert js["vm"]["effectiveState"] == "Invalid", js["vm"]
        assert not js["vm"]["fabric"]["routePublished"], js["vm"]
        assert "system route 10.1.0.0/16" in js["vmSummary"], js["vmSummary"]
        text = show("show route-server explain 10.220.0.0/16 vm vm1")
        assert "instance 1" in text and "RouteServiceRole_IN_1" in text, text
        assert "Agent: 10.1.1.10, assigned instance 1" in text and "Kernel:" in text, text
    finally:
        agent.__exit__(None, None, None)
        rs_conf("no route-server fabric")
    js = show_json("show route-server neighbor {} learned-routes az".format(NVA1))
    assert set(js) == {"RouteServiceRole_IN_0"}, js


def test_explain_expressroute_cap():
    """Branch-to-branch on and 1,005 more prefixes from nva1: er gets at
    most 1,000; explain names the cap for a prefix held back."""
    rsc.tgen_ok()
    extra = rsc.extra_prefixes(1005)
    rs_conf("route-server branch-to-branch")
    try:
        out = rsc.speaker_file("nva1", ["router bgp 65001", "address-family ipv4 unicast"] +
                               ["network " + p for p in extra])
        assert "%" not in out, out
        ok, _ = vrstest.wait_for(lambda: rsc.pfx_rcd("er") >= 1000, timeout=90, interval=0.5)
        assert ok, rsc.pfx_rcd("er")
        has = set(rsc.bgp_routes("er"))
        held = [p for p in extra if p not in has]
        assert held, "nothing held back"
        js = explain(held[0])
        o = outb(js, ER)
        assert o["verdict"] == "withheld" and o["reason"] == "expressRouteCap", o
        assert not o["sent"], o
        assert outb(js, VPN)["verdict"] == "advertised", outb(js, VPN)
        sent = [p for p in extra if p in has][0]
        o = outb(explain(sent), ER)
        assert o["verdict"] == "advertised" and o["sent"], o
    finally:
        rsc.speaker_file("nva1", ["router bgp 65001", "address-family ipv4 unicast"] +
                         ["no network " + p for p in extra])
        rs_conf("no route-server branch-to-branch")
    ok, _ = vrstest.wait_for(lambda: rsc.pfx_rcd("er") <= 2, timeout=60, interval=0.5)
    assert ok, rsc.pfx_rcd("er")


def test_explain_not_managed():
    """allowas-in on nva2 (bgpd's own line) makes it unmanaged: its
    routes are dropped, and explain says why."""
    rsc.tgen_ok()
    out = rs_conf("address-family ipv4 unicast", "neighbor {} allowas-in 1".format(NVA2))
    assert "%" not in out, out
    try:
        js = wait_explain("10.210.0.0/16",
                          lambda j: cand(j, NVA2).get("reason") == "notManaged")
        c = cand(js, NVA2)
        assert c["verdict"] == "dropped" and "not managed" in c["reasonText"], c
        assert js["selection"]["ecmp"] == [], js["selection"]
    finally:
        rs_conf("address-family ipv4 unicast", "no neighbor {} allowas-in".format(NVA2))
    wait_explain("10.210.0.0/16", lambda j: cand(j, NVA2)["selected"])


def test_explain_errors():
    rsc.tgen_ok()
    assert show("show route-server explain 10.220.0.0/16 vm nosuchvm").startswith("% no VM nosuchvm")
    assert show("show route-server explain 10.220.0.1/16").startswith("%")


def readme_commands():
    """The vtysh commands of the README section, in order."""
    with open(README) as f:
        text = f.read()
    start = text.index(SECTION)
    nxt = re.search(r"\n##+ ", text[start + len(SECTION):])
    body = text[start:start + len(SECTION) + (nxt.start() if nxt else len(text))]
    cmds = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", body, re.S):
        for line in block.splitlines():
            # "COMMAND   what az calls it": the command is the first column.
            cmd = re.split(r"\s{2,}", line.strip())[0]
            if cmd.startswith("show route-server "):
                cmds.append(cmd)
    return cmds


def test_readme_examples():
    rsc.tgen_ok()
    cmds = readme_commands()
    assert len(cmds) >= 5, cmds
    assert any(" vm vm1" in c for c in cmds), cmds
    # The README's vm1 is in VNet hub: the agent says so.
    rs_conf("route-server fabric socket {} instance 0".format(SOCK))
    try:
        with FakeAgentStatus(SOCK, HUB_VMS):
            for cmd in cmds:
                out = show(cmd)
                assert out.strip() and not out.lstrip().startswith("%"), (cmd, out)
                if cmd.endswith(" json") or cmd.endswith(" az"):
                    json.loads(out)
    finally:
        rs_conf("no route-server fabric")


def test_clean_shutdown_no_module_leaks():
    tgen = rsc.tgen_for_leaks()
    vrstest.assert_no_leaks(tgen)
