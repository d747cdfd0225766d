#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
r"""NVA peering templates (bgpd_nva) against real route servers (bgpd_rs).

    rs0 (65515) .4 --\                          /-- rsh (65515) 10.0.1.4
    rs1 (65515) .5 ---s1 10.0.0.0/24 -- nva1 --s2
    nva2 (65002) .12 -/        (65001) .11/.11

rs0/rs1 are the two instances of the spoke route server (VNet 10.1.0.0/16),
rsh the hub route server (VNet 10.2.0.0/16, on-prem 172.16.0.0/16).
nva1 is active, nva2 passive (prepend 3); both advertise 10.200.0.0/16,
nva1 alone 10.211.0.0/16 and nva2 alone 10.212.0.0/16 (each learns the
other's through the route server and must not echo it back).
nva1 carries routes between the two route servers (as-override).
nva3 (65003) runs bgpd with --tcli, FRR 8.4's only mode with
"configuration load" + "commit" (driven through its vty socket by
rs_northbound's vtyclient.py): the template rules refuse the same inputs
there as in vtysh and in a startup file.
The topology is configs/nva-templates.
"""

import json
import os
import re
import shutil
import sys
import tempfile

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topolog import logger  # noqa: E402

import vrstest  # noqa: E402

pytestmark = [pytest.mark.bgpd, pytest.mark.bfdd]

ONPREM = "10.200.0.0/16"
HUB_ONPREM = "172.16.0.0/16"
SPOKE_VNET = "10.1.0.0/16"
NVA1_ONLY = "10.211.0.0/16"
NVA2_ONLY = "10.212.0.0/16"
MARK = "10.219.0.0/16"
SPOKE_INST = ("10.0.0.4", "10.0.0.5")
# name: (address on the spoke subnet, AS, prefix only this NVA originates)
NVAS = {"nva1": ("10.0.0.11", 65001, NVA1_ONLY), "nva2": ("10.0.0.12", 65002, NVA2_ONLY)}
SHOW = "show route-server-peering json"

TOPO = vrstest.load_topology("nva-templates")
VTYCLIENT = os.path.join(CWD, "..", "rs_northbound", "vtyclient.py")
TMP = tempfile.mkdtemp(prefix="vrs-nvatpl-{}-".format(os.getpid()))
os.chmod(TMP, 0o755)  # bgpd runs as user frr


def setup_module(mod):
    from lib.topogen import Topogen

    tgen = Topogen(vrstest.build_topo_from(TOPO), mod.__name__)
    tgen.start_topology()
    nva3 = tgen.gears["nva3"]
    load = nva3.load_config

    def load_tcli(daemon, source=None, param=None):
        if param is not None:
            param += " --tcli"
        return load(daemon, source, param)

    nva3.load_config = load_tcli
    vrstest.start_from(tgen, TOPO)


def teardown_module(mod):
    vrstest.teardown_topogen(mod)
    shutil.rmtree(TMP, ignore_errors=True)


_tgen = vrstest.tgen_or_skip


def _paths(router, prefix):
    return vrstest.vtysh_json(router, "show bgp ipv4 unicast {} json".format(prefix)).get("paths", [])


def _path_from(router, prefix, peer):
    for p in _paths(router, prefix):
        if p.get("peer", {}).get("peerId") == peer:
            return p
    return None


def _conf(router, *lines):
    return vrstest.vtysh_conf(router, *lines)


def test_modules_loaded():
    tgen = _tgen()
    for name in ("nva1", "nva2"):
        out = tgen.gears[name].vtysh_cmd("show modules", daemon="bgpd")
        assert "bgpd_nva" in out, out
    for name in ("rs0", "rs1", "rsh"):
        out = tgen.gears[name].vtysh_cmd("show modules", daemon="bgpd")
        assert "bgpd_rs" in out, out


def test_both_instances_peered():
    tgen = _tgen()
    for rs in ("rs0", "rs1"):
        result = vrstest.expect_json(tgen.gears[rs], "show route-server json", {
            "instances": {"default": {"neighbors": {
                "10.0.0.11": {"state": "Established"},
                "10.0.0.12": {"state": "Established"}}}}}, count=120)
        assert result is None, "{}: {}".format(rs, result)
    result = vrstest.expect_json(tgen.gears["nva1"], SHOW, {"instances": {"default": {"templates": {
        "spoke": {"routeMapOut": "VRS-NVA-spoke-OUT", "applied": True, "profile": "fast",
                  "role": "active", "vnetPrefixes": [SPOKE_VNET],
                  "bgpConfig": {"complete": True},
                  "instances": {"10.0.0.4": {"state": "Established", "bfd": True, "asOverride": True,
                                             "peerGroup": "VRS-NVA-spoke"},
                                "10.0.0.5": {"state": "Established", "bfd": True}}},
        "hub": {"singleInstance": True, "profile": "azure-compat",
                "instances": {"10.0.1.4": {"state": "Established", "bfd": False}}}}}}})
    assert result is None, result
    # The bgpd lines of nva1's file are what the templates declare: nothing
    # missing, nothing differing from the profiles.
    for name in ("nva1", "nva2"):
        tpls = vrstest.vtysh_json(tgen.gears[name], SHOW)["instances"]["default"]["templates"]
        for tname, t in tpls.items():
            if tname == "jsonok":
                continue
            assert t["bgpConfig"] == {"complete": True, "missing": [], "drift": []}, (name, tname, t)
    # Routes are exchanged both ways: the NVA learns the spoke VNet.
    for rs_ip in ("10.0.0.4", "10.0.0.5"):
        ok, _ = vrstest.wait_for(lambda: _path_from(tgen.gears["nva1"], SPOKE_VNET, rs_ip), timeout=30)
        assert ok, _paths(tgen.gears["nva1"], SPOKE_VNET)
        ok, _ = vrstest.wait_for(lambda: _path_from(tgen.gears["rs0" if rs_ip.endswith(".4") else "rs1"],
                                                    ONPREM, "10.0.0.11"), timeout=30)
        assert ok, "{} did not learn {} from nva1".format(rs_ip, ONPREM)
    nb = tgen.gears["nva1"].vtysh_cmd("show bgp neighbors 10.0.0.4 json", isjson=True)["10.0.0.4"]
    assert nb["bgpTimerConfiguredHoldTimeMsecs"] == 3000, nb
    assert nb["peerGroup"] == "VRS-NVA-spoke"
    assert nb["externalBgpNbrMaxHopsAway"] == 255


def test_single_instance_warning():
    tgen = _tgen()
    js = vrstest.vtysh_json(tgen.gears["nva1"], SHOW)
    warnings = js["instances"]["default"]["templates"]["hub"]["warnings"]
    assert any("single-instance" in w and "miss" in w for w in warnings), warnings
    assert js["instances"]["default"]["templates"]["spoke"]["warnings"] == []


def test_active_passive_preference():
    tgen = _tgen()
    rs0 = tgen.gears["rs0"]
    result = vrstest.expect_json(tgen.gears["nva2"], SHOW, {"instances": {"default": {"templates": {
        "spoke": {"role": "passive", "prepend": 3}}}}})
    assert result is None, result

    def best_is_nva1():
        paths = _paths(rs0, ONPREM)
        best = [p for p in paths if p.get("bestpath", {}).get("overall")]
        by_peer = {p["peer"]["peerId"]: p["aspath"]["string"] for p in paths}
        return (len(best) == 1 and best[0]["peer"]["peerId"] == "10.0.0.11"
                and by_peer.get("10.0.0.12") == "65002 65002 65002 65002")

    ok, _ = vrstest.wait_for(best_is_nva1, timeout=30)
    assert ok, _paths(rs0, ONPREM)


def _advertised(router, peer):
    cmd = "show bgp ipv4 unicast neighbors {} advertised-routes json".format(peer)
    return vrstest.vtysh_json(router, cmd).get("advertisedRoutes", {})


def _best_peer(router, prefix):
    best = [p for p in _paths(router, prefix) if p.get("bestpath", {}).get("overall")]
    return best[0]["peer"]["peerId"] if best else None


def _echoes(nva_ip, prefix):
    """The spoke instances that hold a path for prefix learned from nva_ip."""
    tgen = _tgen()
    return [rs for rs in ("rs0", "rs1") if _path_from(tgen.gears[rs], prefix, nva_ip)]


def _barrier(nva_name):
    """Everything nva_name queued towards the spoke instances so far has
    arrived there: it originates a marker prefix and waits until both
    instances hold it (UPDATEs to a peer leave in order), then takes it back.
    Without this, "not echoed" could pass only because the echo is late."""
    tgen = _tgen()
    nva = tgen.gears[nva_name]
    nva_ip, asn, _ = NVAS[nva_name]
    out = _conf(nva, "router bgp {}".format(asn), "address-family ipv4 unicast", "network " + MARK)
    assert "%" not in out, out
    ok, _ = vrstest.wait_for(lambda: len(_echoes(nva_ip, MARK)) == 2, timeout=30)
    assert ok, "marker {} from {} did not reach both instances".format(MARK, nva_name)
    out = _conf(nva, "router bgp {}".format(asn), "address-family ipv4 unicast", "no network " + MARK)
    assert "%" not in out, out
    ok, _ = vrstest.wait_for(lambda: _echoes(nva_ip, MARK) == [], timeout=30)
    assert ok, "marker {} from {} not withdrawn".format(MARK, nva_name)


def test_no_echo_of_route_server_routes():
    """An NVA learns the other NVA's prefix through the route server and
    never sends it back to either instance (issue 9): as-override would
    make the echo look new to the route server."""
    tgen = _tgen()
    for name, other in (("nva2", "nva1"), ("nva1", "nva2")):
        nva = tgen.gears[name]
        nva_ip = NVAS[name][0]
        learned = NVAS[other][2]
        # The route server does pass the other NVA's prefix on (to both
        # instances' peers), and this NVA selects it from an instance.
        for inst in SPOKE_INST:
            ok, _ = vrstest.wait_for(lambda: _path_from(nva, learned, inst), timeout=30)
            assert ok, "{} did not learn {} from {}: {}".format(name, learned, inst, _paths(nva, learned))
        ok, _ = vrstest.wait_for(lambda: _best_peer(nva, learned) in SPOKE_INST, timeout=30)
        assert ok, _paths(nva, learned)
        _barrier(name)
        for inst in SPOKE_INST:
            adv = _advertised(nva, inst)
            assert learned not in adv, "{} echoes {} to {}: {}".format(name, learned, inst, adv[learned])
            assert NVAS[name][2] in adv, "{} does not advertise its own {} to {}".format(name, NVAS[name][2], inst)
        assert _echoes(nva_ip, learned) == [], "{} echoed {}: {}".format(
            name, learned, [_path_from(tgen.gears[rs], learned, nva_ip) for rs in ("rs0", "rs1")])
    # Per template: nva1 carries nva2's prefix to the other route server
    # (the hub RS), as an NVA between two route servers must.
    ok, _ = vrstest.wait_for(lambda: _path_from(tgen.gears["rsh"], NVA2_ONLY, "10.0.1.11"), timeout=30)
    assert ok, _paths(tgen.gears["rsh"], NVA2_ONLY)
    # Negative control: with a permit-all outbound map on the template's
    # peer-group, nva2 does echo nva1's prefix (as-override hides the loop).
    nva2 = tgen.gears["nva2"]
    out = _conf(nva2, "router bgp 65002", "address-family ipv4 unicast",
                "neighbor VRS-NVA-spoke route-map VRS-NVA-spoke-IN out")
    assert "%" not in out, out
    ok, _ = vrstest.wait_for(lambda: len(_echoes("10.0.0.12", NVA1_ONLY)) == 2, timeout=30)
    assert ok, "negative control: no echo without the template's outbound map: {}".format(
        _paths(tgen.gears["rs0"], NVA1_ONLY))
    path = _path_from(tgen.gears["rs0"], NVA1_ONLY, "10.0.0.12")
    assert "65515" not in path["aspath"]["string"], path
    out = _conf(nva2, "router bgp 65002", "address-family ipv4 unicast",
                "neighbor VRS-NVA-spoke route-map VRS-NVA-spoke-OUT out")
    assert "%" not in out, out
    ok, _ = vrstest.wait_for(lambda: _echoes("10.0.0.12", NVA1_ONLY) == [], timeout=30)
    assert ok, "echo not withdrawn: {}".format(_paths(tgen.gears["rs0"], NVA1_ONLY))


def test_vnet_prefix_not_echoed():
    tgen = _tgen()
    nva2 = tgen.gears["nva2"]
    # nva1 has vnet-prefix 10.1.0.0/16; nva2's template has none: the VNet
    # learned from the instances is not sent back by either (learned from
    # the template's route server).
    _barrier("nva2")
    assert _echoes("10.0.0.11", SPOKE_VNET) == []
    assert _echoes("10.0.0.12", SPOKE_VNET) == [], _paths(tgen.gears["rs1"], SPOKE_VNET)
    # vnet-prefix (for a VNet that arrives by another way) is applied in
    # place (soft): the session stays up.
    before = nva2.vtysh_cmd("show bgp neighbors 10.0.0.4 json", isjson=True)["10.0.0.4"]
    out = _conf(nva2, "router bgp 65002", "route-server-peering spoke vnet-prefix 10.1.0.0/16")
    assert "%" not in out, out
    result = vrstest.expect_json(nva2, SHOW, {"instances": {"default": {"templates": {
        "spoke": {"vnetPrefixes": [SPOKE_VNET]}}}}})
    assert result is None, result
    rm = nva2.vtysh_cmd("show route-map VRS-NVA-spoke-OUT")
    assert SPOKE_VNET in rm, rm
    _barrier("nva2")
    assert _echoes("10.0.0.12", SPOKE_VNET) == []
    assert _echoes("10.0.0.11", SPOKE_VNET) == []
    after = nva2.vtysh_cmd("show bgp neighbors 10.0.0.4 json", isjson=True)["10.0.0.4"]
    assert after["bgpState"] == "Established"
    assert after["connectionsEstablished"] == before["connectionsEstablished"], "session was reset"
    # The on-prem prefix still goes out.
    assert _path_from(tgen.gears["rs0"], ONPREM, "10.0.0.12") is not None


def test_as_override_between_route_servers():
    tgen = _tgen()
    rs0, nva1 = tgen.gears["rs0"], tgen.gears["nva1"]
    # The hub RS's on-prem route (AS path 65515) reaches the spoke RS through
    # nva1 only thanks to as-override: 65515 becomes 65001.
    ok, _ = vrstest.wait_for(lambda: _path_from(rs0, HUB_ONPREM, "10.0.0.11"), timeout=30)
    assert ok, _paths(rs0, HUB_ONPREM)
    path = _path_from(rs0, HUB_ONPREM, "10.0.0.11")
    assert path["aspath"]["string"] == "65001 65001", path
    # And the other way: the spoke VNet reaches the hub RS.
    ok, _ = vrstest.wait_for(lambda: _path_from(tgen.gears["rsh"], SPOKE_VNET, "10.0.1.11"), timeout=30)
    assert ok, _paths(tgen.gears["rsh"], SPOKE_VNET)

    # Negative control: without as-override the spoke RS drops the route
    # (its own AS 65515 is in the path).
    out = _conf(nva1, "router bgp 65001", "address-family ipv4 unicast",
                "no neighbor VRS-NVA-spoke as-override")
    assert "%" not in out, out
    ok, _ = vrstest.wait_for(lambda: _path_from(rs0, HUB_ONPREM, "10.0.0.11") is None, timeout=30)
    assert ok, "route still accepted without as-override: {}".format(_paths(rs0, HUB_ONPREM))
    # The template reports the line it needs (it does not put it back).
    conf = vrstest.vtysh_json(nva1, SHOW)["instances"]["default"]["templates"]["spoke"]["bgpConfig"]
    assert conf["complete"] is False, conf
    assert conf["missing"] == ["address-family ipv4 unicast: neighbor VRS-NVA-spoke as-override"], conf
    assert " neighbor VRS-NVA-spoke as-override" not in nva1.vtysh_cmd("show running-config")
    # The NVA does send it (65001 65515): rs0 drops it on the AS loop.
    adv = nva1.vtysh_cmd("show bgp ipv4 unicast neighbors 10.0.0.4 advertised-routes json", isjson=True)
    assert HUB_ONPREM in adv.get("advertisedRoutes", {}), adv
    out = _conf(nva1, "router bgp 65001", "address-family ipv4 unicast",
                "neighbor VRS-NVA-spoke as-override")
    assert "%" not in out, out
    ok, _ = vrstest.wait_for(lambda: _path_from(rs0, HUB_ONPREM, "10.0.0.11"), timeout=30)
    assert ok, _paths(rs0, HUB_ONPREM)


def test_no_advertise_marks_community():
    tgen = _tgen()
    rs0, nva1 = tgen.gears["rs0"], tgen.gears["nva1"]
    out = _conf(nva1, "router bgp 65001", "route-server-peering spoke no-advertise 10.200.0.0/16")
    assert "%" not in out, out

    def marked():
        p = _path_from(rs0, ONPREM, "10.0.0.11")
        comm = (p or {}).get("community", {})
        return "noAdvertise" in comm.get("list", []) or "no-advertise" in comm.get("string", "")

    ok, _ = vrstest.wait_for(marked, timeout=30)
    assert ok, _path_from(rs0, ONPREM, "10.0.0.11")
    out = _conf(nva1, "router bgp 65001", "no route-server-peering spoke no-advertise 10.200.0.0/16")
    assert "%" not in out, out
    ok, _ = vrstest.wait_for(lambda: not marked(), timeout=30)
    assert ok, _paths(rs0, ONPREM)


def _conf_file_lines(name):
    path = os.path.join(vrstest.TOP, "configs", "nva-templates", name, "bgpd.conf")
    with open(path) as f:
        return [line.rstrip("\n") for line in f if line.strip() and not line.startswith("debug")]


def test_running_config_is_what_the_user_wrote():
    """One owner per setting: bgpd writes the user's neighbor lines, the
    module its template lines, each exactly once, and nothing else: the
    template's route-maps are its own objects, not configuration."""
    tgen = _tgen()
    nva1 = tgen.gears["nva1"]
    running = nva1.vtysh_cmd("show running-config")
    run_lines = running.splitlines()
    for line in _conf_file_lines("nva1"):
        if line.startswith("hostname") or line == "exit":
            continue
        assert run_lines.count(line) == 1, "{!r} not exactly once:\n{}".format(line, running)
    assert "route-map VRS-NVA-spoke-OUT deny" not in running, running
    assert "route-map VRS-NVA-spoke-OUT permit" not in running, running
    rm = nva1.vtysh_cmd("show route-map VRS-NVA-spoke-OUT")
    assert "VRS-NVA-spoke-OUT" in rm and "deny" in rm and "vrs-nva-learned-from 10.0.0.4 10.0.0.5" in rm, rm


def test_bgp_config_block_matches_the_file():
    """show route-server-peering bgp-config prints the block the templates
    declare; nva1's file holds exactly those lines (the README's recipe)."""
    tgen = _tgen()
    nva1 = tgen.gears["nva1"]
    out = nva1.vtysh_cmd("show route-server-peering bgp-config")
    assert out.startswith("router bgp 65001"), out
    running = nva1.vtysh_cmd("show running-config").splitlines()
    declared = [l for l in out.splitlines() if l.startswith(" neighbor") or l.startswith("  neighbor")]
    assert len(declared) >= 16, out
    for line in declared:
        assert line in running, "declared {!r} not in running-config".format(line)
    one = nva1.vtysh_cmd("show route-server-peering hub bgp-config")
    assert "VRS-NVA-hub" in one and "VRS-NVA-spoke" not in one, one
    assert " neighbor VRS-NVA-hub bfd" not in one, one  # azure-compat: no BFD
    bad = nva1.vtysh_cmd("show route-server-peering nosuch bgp-config")
    assert "% no route-server-peering nosuch" in bad, bad
    # The README's NVA example is that block for its addresses (nva1's
    # spoke template with the README's numbers).
    with open(os.path.join(vrstest.TOP, "README.md")) as f:
        m = re.search(r"<!-- example: nva-frr.conf[^>]*-->\s*```\n(.*?)```", f.read(), re.S)
    assert m, "README: no nva-frr.conf example"
    subst = {"10.2.0.4": "10.0.0.4", "10.2.0.5": "10.0.0.5", "10.1.0.10": "10.0.0.11"}
    readme = []
    for line in m.group(1).splitlines():
        for a, b in subst.items():
            line = line.replace(a, b)
        if line.strip().startswith("neighbor"):
            readme.append(line)
    spoke = [l for l in nva1.vtysh_cmd("show route-server-peering spoke bgp-config").splitlines()
             if l.strip().startswith("neighbor")]
    assert readme == spoke, "README:\n{}\nbgp-config:\n{}".format("\n".join(readme), "\n".join(spoke))


def test_profile_drift_and_hand_written_neighbor():
    """A line that differs from the profile is reported as drift; an
    instance neighbor written with another remote-as is reported as
    missing its line, never refused nor rewritten."""
    tgen = _tgen()
    nva1 = tgen.gears["nva1"]
    out = _conf(nva1, "router bgp 65001", "no neighbor VRS-NVA-spoke timers 1 3")
    assert "%" not in out, out
    try:
        conf = vrstest.vtysh_json(nva1, SHOW)["instances"]["default"]["templates"]["spoke"]["bgpConfig"]
        assert conf["complete"] is True and conf["drift"] == ["neighbor VRS-NVA-spoke timers 1 3"], conf
        text = nva1.vtysh_cmd("show route-server-peering")
        assert "differs from the profile, add: 'neighbor VRS-NVA-spoke timers 1 3'" in text, text
    finally:
        _conf(nva1, "router bgp 65001", "neighbor VRS-NVA-spoke timers 1 3")
    nva2 = tgen.gears["nva2"]
    out = _conf(nva2, "router bgp 65002", "neighbor 10.0.0.9 remote-as 65100",
                "route-server-peering hand instances 10.0.0.9 10.0.0.10")
    assert "%" not in out, out
    try:
        conf = vrstest.vtysh_json(nva2, SHOW)["instances"]["default"]["templates"]["hand"]["bgpConfig"]
        assert conf["complete"] is False, conf
        assert "neighbor 10.0.0.9 remote-as 65515" in conf["missing"], conf
        assert "neighbor 10.0.0.10 peer-group VRS-NVA-hand" in conf["missing"], conf
        nb = vrstest.vtysh_json(nva2, "show bgp neighbors 10.0.0.9 json")["10.0.0.9"]
        assert nb["remoteAs"] == 65100, nb
    finally:
        _conf(nva2, "router bgp 65002", "no route-server-peering hand", "no neighbor 10.0.0.9")


def test_bad_input_errors():
    tgen = _tgen()
    nva1, nva2 = tgen.gears["nva1"], tgen.gears["nva2"]
    before = vrstest.vtysh_json(nva2, SHOW)["instances"]["default"]["templates"]
    cases = [
        (("router bgp 65002", "route-server-peering x instances 10.0.0.4"),
         "only one instance address given"),
        (("router bgp 65002", "route-server-peering x instances 10.0.0.7 10.0.0.7"),
         "both instance addresses are 10.0.0.7"),
        (("router bgp 65002", "route-server-peering x instances 224.0.0.5 10.0.0.8"),
         "224.0.0.5 is a multicast address"),
        (("router bgp 65002", "route-server-peering x instances 10.0.0.12 10.0.0.8"),
         "10.0.0.12 is an address of this router"),
        (("router bgp 65002", "route-server-peering x instances 0.0.0.0 10.0.0.8"),
         "0.0.0.0 is the unspecified address"),
        (("router bgp 65002", "route-server-peering x instances 10.0.0.4 10.0.0.8"),
         "10.0.0.4 is already an instance of route-server-peering spoke"),
        (("router bgp 65002", "route-server-peering x vnet-prefix 10.1.2.3/16"),
         "10.1.2.3/16 has host bits set; did you mean 10.1.0.0/16?"),
        (("router bgp 65002", "route-server-peering x role active prepend 2"),
         "prepend is for the passive role"),
        (("router bgp 65002", "route-server-peering bad/name profile fast"),
         "template name 'bad/name' is not allowed"),
        (("router bgp 65520 vrf resv", "route-server-peering x instances 10.9.0.4 10.9.0.5"),
         "local AS 65520 cannot peer a route server: ASN 65520 is reserved by Azure"),
        (("router bgp 12076 vrf resv2", "route-server-peering x profile fast"),
         "ASN 12076 is reserved by Azure"),
        (("router bgp 64500 vrf resv3", "route-server-peering x profile fast"),
         "ASN 64500 is"),
        (("router bgp 4200000000 vrf four", "route-server-peering x profile fast"),
         "local AS 4200000000 cannot peer a route server"),
    ]
    for lines, expect in cases:
        tpl_before = _tpl_lines(nva2)
        out = _conf(nva2, *lines)
        assert "% " in out and expect in out, "{}: expected {!r}, got:\n{}".format(lines, expect, out)
        # One "% reason" line, and nothing of the refused command applied.
        assert len(_pct_lines(out)) == 1 and out.strip() == _pct_lines(out)[0], \
            "{}: not one line: {!r}".format(lines, out)
        assert _tpl_lines(nva2) == tpl_before, "{}: running-config changed".format(lines)
    for vrf, asn in (("resv", 65520), ("resv2", 12076), ("resv3", 64500), ("four", 4200000000)):
        _conf(nva2, "no router bgp {} vrf {}".format(asn, vrf))
    # A refused command leaves the running state untouched.
    after = vrstest.vtysh_json(nva2, SHOW)["instances"]["default"]["templates"]
    assert sorted(after) == sorted(before) == ["spoke"], after
    running = nva2.vtysh_cmd("show running-config")
    assert "route-server-peering x" not in running, running
    # Single instance with the explicit override is accepted, with a warning.
    out = _conf(nva1, "router bgp 65001", "route-server-peering hub instances 10.0.1.4 single-instance")
    assert "Warning" in out and "miss" in out, out


def _pct_lines(out):
    return [line for line in out.splitlines() if line.startswith("%")]


def _tpl_lines(router):
    running = router.vtysh_cmd("show running-config", daemon="bgpd")
    return [line.strip() for line in running.splitlines() if "route-server-peering" in line]


def _reason(out):
    """A refused commit shows FRR's "Error description:", vtysh one "% " line."""
    m = re.search(r"Error description: (.*)", out)
    if m:
        return m.group(1).strip()
    lines = _pct_lines(out)
    return lines[0][2:].strip() if len(lines) == 1 else None


def _load_commit(router, *peerings):
    """configuration load (merge) of a JSON file + commit on nva3 (--tcli);
    a refused commit leaves the candidate dirty: discard it."""
    doc = {"frr-route-server-nva:route-server-nva": {"instance": [
        {"vrf": "default", "peering": list(peerings)}]}}
    path = os.path.join(TMP, "load-{}.json".format(abs(hash(json.dumps(doc, sort_keys=True)))))
    with open(path, "w") as f:
        json.dump(doc, f)
    os.chmod(path, 0o644)
    cmds = ("configure", "configuration load file json {}".format(path), "commit", "discard", "end")
    return router.run("/usr/bin/python3 {} /var/run/frr/bgpd.vty {}".format(
        VTYCLIENT, " ".join("'{}'".format(c) for c in cmds)))


# name, vtysh line (nva2, router bgp 65002), the template in JSON (nva3), what the reason says
REFUSED = [
    ("one-instance", "route-server-peering x instances 10.0.0.4",
     {"name": "x", "instance-address": ["10.0.0.4"]}, "only one instance address given"),
    ("single-with-two", "route-server-peering x instances 10.0.0.7 10.0.0.8 single-instance",
     {"name": "x", "instance-address": ["10.0.0.7", "10.0.0.8"], "single-instance": True},
     "'single-instance' is for one instance address"),
    ("bad-name", "route-server-peering bad/name profile fast",
     {"name": "bad/name", "profile": "fast"}, "template name 'bad/name' is not allowed"),
    ("active-prepend", "route-server-peering x role active prepend 2",
     {"name": "x", "role": "active", "prepend": 2}, "prepend is for the passive role"),
    ("host-bits", "route-server-peering x no-advertise 10.9.2.3/16",
     {"name": "x", "no-advertise": ["10.9.2.3/16"]}, "10.9.2.3/16 has host bits set"),
    ("update-source", "route-server-peering x update-source 224.0.0.1",
     {"name": "x", "update-source": "224.0.0.1"}, "not a unicast address"),
    ("taken-address", "route-server-peering x instances 10.0.0.4 10.0.0.5",
     {"name": "x", "instance-address": ["10.0.0.4", "10.0.0.5"]},
     "is already an instance of route-server-peering"),
]


def test_startup_file_refused_line():
    """nva2's startup file ends with a template with a bad name: refused
    with the northbound's reason (logged), the lines before it are in
    place. nva3 (--tcli) read its file as one commit."""
    tgen = _tgen()
    lines = _tpl_lines(tgen.gears["nva2"])
    assert "route-server-peering spoke role passive prepend 3" in lines, lines
    assert not any("bad/name" in line for line in lines), lines
    log = tgen.gears["nva2"].run("cat {}/nva2/bgpd.log".format(tgen.logdir))
    assert "template name 'bad/name' is not allowed" in log, log[-2000:]
    assert "route-server-peering lab vnet-prefix 10.3.0.0/16" in _tpl_lines(tgen.gears["nva3"])


def test_configuration_load_commit_accepted():
    """The JSON path works: a valid template is committed and applied."""
    tgen = _tgen()
    nva3 = tgen.gears["nva3"]
    out = _load_commit(nva3, {"name": "jsonok", "vnet-prefix": ["10.4.0.0/16"]})
    assert "Error" not in out, out
    assert "route-server-peering jsonok vnet-prefix 10.4.0.0/16" in _tpl_lines(nva3), out
    js = vrstest.vtysh_json(nva3, SHOW)
    assert js["instances"]["default"]["templates"]["jsonok"]["vnetPrefixes"] == ["10.4.0.0/16"], js


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_same_reason_vtysh_and_commit(case):
    _, line, peering, expect = case
    tgen = _tgen()
    nva2, nva3 = tgen.gears["nva2"], tgen.gears["nva3"]
    if case[0] == "taken-address":
        # nva3's taken address: another template of the same commit.
        peering = [peering, {"name": "y", "instance-address": ["10.0.0.5", "10.0.0.6"]}]
    else:
        peering = [peering]
    before = {r: _tpl_lines(r) for r in (nva2, nva3)}
    out_cli = _conf(nva2, "router bgp 65002", line)
    out_json = _load_commit(nva3, *peering)
    why_cli, why_json = _reason(out_cli), _reason(out_json)
    assert why_cli and expect in why_cli, out_cli
    assert out_cli.strip() == "% " + why_cli, "not one line: {!r}".format(out_cli)
    assert "Error type: validation" in out_json, out_json
    assert why_json and expect in why_json, out_json
    if case[0] != "taken-address":
        assert why_json == why_cli, (out_cli, out_json)
    for r in (nva2, nva3):
        assert _tpl_lines(r) == before[r], "{}: running-config changed".format(r.name)


def test_restart_from_saved_config():
    tgen = _tgen()
    nva1 = tgen.gears["nva1"]
    before = nva1.vtysh_cmd("show running-config")
    out = nva1.run("{} -c 'write memory'".format(vrstest.VTYSH))
    saved = nva1.run("cat /etc/frr/bgpd.conf /etc/frr/frr.conf 2>/dev/null")
    assert " route-server-peering spoke instances 10.0.0.4 10.0.0.5" in saved, out + saved
    # The template's route-maps are not configuration.
    assert not re.search(r"^route-map VRS-NVA-", saved, re.M), saved

    nva1.killDaemons(["bgpd"])
    nva1.startDaemons(["bgpd"])

    result = vrstest.expect_json(nva1, SHOW, {"instances": {"default": {"templates": {
        "spoke": {"applied": True, "instances": {"10.0.0.4": {"state": "Established"},
                                                 "10.0.0.5": {"state": "Established"}}},
        "hub": {"applied": True, "instances": {"10.0.1.4": {"state": "Established"}}}}}}}, count=120)
    assert result is None, "templates lost across restart: {}".format(result)
    after = nva1.vtysh_cmd("show running-config")
    strip = lambda t: [l for l in t.splitlines() if l.strip() and not l.startswith("!") and "Current configuration" not in l and not l.startswith("frr version")]
    assert strip(after) == strip(before), "before:\n{}\nafter:\n{}".format(before, after)
    rs0 = tgen.gears["rs0"]
    ok, _ = vrstest.wait_for(lambda: _path_from(rs0, HUB_ONPREM, "10.0.0.11"), timeout=60)
    assert ok, _paths(rs0, HUB_ONPREM)


def test_failover_to_passive():
    tgen = _tgen()
    rs0, nva1 = tgen.gears["rs0"], tgen.gears["nva1"]

    def best_peer():
        best = [p for p in _paths(rs0, ONPREM) if p.get("bestpath", {}).get("overall")]
        return best[0]["peer"]["peerId"] if best else None

    ok, _ = vrstest.wait_for(lambda: best_peer() == "10.0.0.11", timeout=60)
    assert ok, _paths(rs0, ONPREM)
    nva1.run("ip link set nva1-eth0 down")
    ok, secs = vrstest.wait_for(lambda: best_peer() == "10.0.0.12", timeout=20, interval=0.05)
    assert ok, "rs0 did not fail over to the passive NVA: {}".format(_paths(rs0, ONPREM))
    logger.info("failover to the passive NVA after %.2f s", secs)
    nva1.run("ip link set nva1-eth0 up")
    ok, _ = vrstest.wait_for(lambda: best_peer() == "10.0.0.11", timeout=60)
    assert ok, "rs0 did not return to the active NVA"


def _bgp_lines(router):
    running = router.vtysh_cmd("show running-config", daemon="bgpd")
    return [l for l in running.splitlines()
            if l.strip() and not l.startswith("!") and "Current configuration" not in l
            and not l.startswith("frr version")]


def test_clean_removal():
    """no route-server-peering removes what the template made (its
    route-maps) and nothing of the user's: running-config is the one
    before minus the template lines."""
    tgen = _tgen()
    nva1 = tgen.gears["nva1"]
    before = _bgp_lines(nva1)
    out = _conf(nva1, "router bgp 65001", "no route-server-peering spoke")
    assert "%" not in out, out
    after = _bgp_lines(nva1)
    assert after == [l for l in before if "route-server-peering spoke" not in l], \
        "before:\n{}\nafter:\n{}".format("\n".join(before), "\n".join(after))
    # bgpd frees a deleted route-map when its route-map update timer
    # (bgp route-map delay-timer, 5 s by default) has processed it.
    ok, _ = vrstest.wait_for(lambda: "VRS-NVA-spoke" not in nva1.vtysh_cmd("show route-map"), timeout=20)
    rms = nva1.vtysh_cmd("show route-map")
    assert ok and "VRS-NVA-hub-OUT" in rms, rms
    # The template's prefixes live in its route-map (no prefix-lists).
    assert "vrs-nva-prefix 10.2.0.0/16" in nva1.vtysh_cmd("show route-map VRS-NVA-hub-OUT"), rms
    pls = nva1.vtysh_cmd("show ip prefix-list")
    assert "VRS-NVA-" not in pls, pls
    js = vrstest.vtysh_json(nva1, SHOW)
    assert sorted(js["instances"]["default"]["templates"]) == ["hub"], js
    # The user's neighbors reference a route-map that no longer exists:
    # bgpd sends them nothing, so the spoke route servers lose nva1's routes.
    ok, _ = vrstest.wait_for(lambda: _path_from(tgen.gears["rs0"], NVA1_ONLY, "10.0.0.11") is None,
                             timeout=30)
    assert ok, _paths(tgen.gears["rs0"], NVA1_ONLY)


def test_no_router_bgp_leaves_nothing():
    """no router bgp drops the instance's templates and their route-maps;
    a re-created instance starts clean."""
    tgen = _tgen()
    nva2 = tgen.gears["nva2"]
    assert "VRS-NVA-spoke-OUT" in nva2.vtysh_cmd("show route-map")
    out = _conf(nva2, "no router bgp 65002")
    assert "%" not in out, out
    out = _conf(nva2, "router bgp 65002", "bgp router-id 10.0.0.12")
    assert "%" not in out, out
    js = vrstest.vtysh_json(nva2, SHOW)
    assert js["instances"]["default"]["templates"] == {}, js
    assert "route-server-peering" not in nva2.vtysh_cmd("show running-config")
    ok, _ = vrstest.wait_for(lambda: "VRS-NVA-" not in nva2.vtysh_cmd("show route-map"), timeout=20)
    assert ok, nva2.vtysh_cmd("show route-map")
    # A template in the new instance works again.
    out = _conf(nva2, "router bgp 65002", "route-server-peering spoke instances 10.0.0.4 10.0.0.5")
    assert "%" not in out, out
    assert "VRS-NVA-spoke-OUT" in nva2.vtysh_cmd("show route-map")


def test_clean_shutdown_no_module_leaks():
    tgen = _tgen()
    vrstest.assert_no_leaks(tgen)
