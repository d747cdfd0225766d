#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Route-server contract (docs/route-server-semantics.md), part 2: what the
RS advertises (§5: NVA to NVA, branch-to-branch, the ExpressRoute cap) and
route selection into VMs (§4, §6: hub routing preference, NVA shortest AS
path, ECMP). Topology configs/rs-contract (see rsc.py).

10.250.0.0/16 is offered by er, vpn and nva1; the speakers' TO-RS maps set
its AS path length (config A at start: er 1, vpn 2, nva1 3).
"""

import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(CWD)
sys.path.append(os.path.join(CWD, ".."))

import rsc  # noqa: E402
import vrstest  # noqa: E402
from rsc import ER, NVA1, NVA2, VPN, r, rs_conf  # noqa: E402

pytestmark = [pytest.mark.bgpd, pytest.mark.bfdd]

NVA1_PFX = ["10.0.0.0/8", "10.1.5.0/24", "10.201.0.0/16"]
NVA2_PFX = ["10.210.0.0/16", "10.211.0.0/16"]
VNET = "10.1.0.0/16"
ER_PFX, VPN_PFX = "10.100.0.0/16", "10.110.0.0/16"
SEL = "10.250.0.0/16"


def setup_module(mod):
    rsc.setup(mod)


def teardown_module(mod):
    rsc.teardown(mod)


def test_sessions_up():
    rsc.tgen_ok()
    rsc.all_established()
    res = rsc.expect_rs({"branchToBranch": False,
                         "neighbors": {NVA1: {"pfxRcd": 6}, NVA2: {"pfxRcd": 3},
                                       ER: {"pfxRcd": 2}, VPN: {"pfxRcd": 2}}})
    assert res is None, res


# 4. Outbound -------------------------------------------------------------------

def _path(name, prefix):
    js = vrstest.vtysh_json(r(name), "show bgp ipv4 unicast {} json".format(prefix))
    return [(p.get("aspath", {}).get("string"), p["nexthops"][0]["ip"])
            for p in js.get("paths", []) if p.get("peer", {}).get("peerId") == rsc.RS]


def test_nva_routes_reach_other_nvas():
    rsc.tgen_ok()
    ok, have = rsc.wait_routes("nva2", present=NVA1_PFX + [VNET])
    assert ok, sorted(have or [])
    ok, have = rsc.wait_routes("nva1", present=NVA2_PFX + [VNET])
    assert ok, sorted(have or [])
    # AS path 65515 <path>, next hop unchanged (the NVA's own address).
    assert _path("nva2", "10.201.0.0/16") == [("65515 65001", NVA1)], _path("nva2", "10.201.0.0/16")
    assert _path("nva1", "10.210.0.0/16") == [("65515 65002", NVA2)], _path("nva1", "10.210.0.0/16")


def _check_b2b_off():
    ok, have = rsc.wait_routes("nva2", present=NVA1_PFX + [VNET], absent=[ER_PFX, VPN_PFX])
    assert ok, ("nva2", sorted(have or []))
    ok, have = rsc.wait_routes("nva1", present=NVA2_PFX + [VNET], absent=[ER_PFX, VPN_PFX])
    assert ok, ("nva1", sorted(have or []))
    # Gateways get nothing from NVAs nor the VNet route (nor each other).
    for name, other in (("er", VPN_PFX), ("vpn", ER_PFX)):
        ok, have = rsc.wait_routes(name, absent=NVA1_PFX + NVA2_PFX + [VNET, other])
        assert ok, (name, sorted(have or []))
    # The RS does have all of them (so the absence above is policy).
    rib = vrstest.vtysh_json(r("rs"), "show bgp ipv4 unicast json")["routes"]
    for p in NVA1_PFX + NVA2_PFX + [VNET, ER_PFX, VPN_PFX]:
        assert p in rib, p
    for addr in (ER, VPN):
        adv = vrstest.vtysh_json(r("rs"), "show route-server neighbor {} advertised-routes json"
                                 .format(addr))
        assert adv["totalPrefixCounter"] == 0, (addr, adv)


def test_branch_to_branch_off():
    rsc.tgen_ok()
    _check_b2b_off()


def test_branch_to_branch_on():
    rsc.tgen_ok()
    out = rs_conf("route-server branch-to-branch")
    assert "%" not in out, out
    ok, have = rsc.wait_routes("nva2", present=NVA1_PFX + [VNET, ER_PFX, VPN_PFX])
    assert ok, ("nva2", sorted(have or []))
    ok, have = rsc.wait_routes("er", present=NVA1_PFX + NVA2_PFX + [VNET, VPN_PFX])
    assert ok, ("er", sorted(have or []))
    ok, have = rsc.wait_routes("vpn", present=NVA1_PFX + NVA2_PFX + [VNET, ER_PFX])
    assert ok, ("vpn", sorted(have or []))
    # NVAs see the gateway routes with the gateway as next hop.
    assert _path("nva2", ER_PFX) == [("65515", ER)], _path("nva2", ER_PFX)


def test_branch_to_branch_off_again():
    rsc.tgen_ok()
    out = rs_conf("no route-server branch-to-branch")
    assert "%" not in out, out
    _check_b2b_off()


# 5. Selection -------------------------------------------------------------------

def _set_prepend(name, seq, asns):
    # A new "set as-path prepend" replaces the previous one.
    lines = ["route-map TO-RS permit {}".format(seq),
             "set as-path prepend " + asns if asns else "no set as-path prepend"]
    out = rsc.speaker_conf(name, *lines)
    assert "%" not in out, out
    rsc.soft_out(name)


def _wait_learned_path(addr, prefix, path):
    ok, _ = vrstest.wait_for(
        lambda: rsc.learned(addr)["learnedRoutes"].get(prefix, {}).get("asPath") == path,
        timeout=20)
    assert ok, (addr, prefix, rsc.learned(addr)["learnedRoutes"].get(prefix))


def _check_selection(expected):
    for pref, hops in expected.items():
        out = rs_conf("route-server hub-routing-preference " + pref)
        assert "%" not in out, out
        ok, route = rsc.wait_effective(SEL, hops)
        assert ok, (pref, hops, route)


def test_selection_config_a():
    """er 1, vpn 2, nva1 3."""
    rsc.tgen_ok()
    rs_conf("route-server branch-to-branch")
    _wait_learned_path(ER, SEL, "12076")
    _wait_learned_path(VPN, SEL, "65020 65020")
    _wait_learned_path(NVA1, SEL, "65001 65001 65001")
    _check_selection({"vpn-gateway": [VPN], "as-path": [ER], "expressroute": [ER]})


def test_selection_config_b():
    """er 3, vpn 2, nva1 2."""
    rsc.tgen_ok()
    # Config A first (what test_selection_config_a leaves), so that this
    # test can run alone.
    rs_conf("route-server branch-to-branch")
    _wait_learned_path(ER, SEL, "12076")
    _wait_learned_path(NVA1, SEL, "65001 65001 65001")
    _set_prepend("er", 30, "12076 12076 12076")
    _set_prepend("nva1", 30, "65001")
    _wait_learned_path(ER, SEL, "12076 12076 12076")
    _wait_learned_path(NVA1, SEL, "65001 65001")
    _check_selection({"as-path": [NVA1, VPN], "expressroute": [ER], "vpn-gateway": [NVA1, VPN]})
    eff = rsc.effective()[SEL]
    assert eff["source"] == "VirtualNetworkGateway" and eff["nextHopType"] == "VirtualNetworkGateway"
    # Back to config A.
    _set_prepend("er", 30, "12076")
    _set_prepend("nva1", 30, "65001 65001")
    _wait_learned_path(ER, SEL, "12076")
    _wait_learned_path(NVA1, SEL, "65001 65001 65001")
    rs_conf("no route-server hub-routing-preference", "no route-server branch-to-branch")


def test_nva_ecmp_and_shortest_path():
    rsc.tgen_ok()
    pfx = "10.220.0.0/16"
    ok, route = rsc.wait_effective(pfx, [NVA1, NVA2])
    assert ok, ("equal AS-path length (65001 vs 65002) must be ECMP", route)
    _set_prepend("nva2", 10, "65002")
    try:
        _wait_learned_path(NVA2, pfx, "65002 65002")
        ok, route = rsc.wait_effective(pfx, [NVA1])
        assert ok, ("shortest AS path must win outright", route)
    finally:
        _set_prepend("nva2", 10, "")
    _wait_learned_path(NVA2, pfx, "65002")
    ok, route = rsc.wait_effective(pfx, [NVA1, NVA2])
    assert ok, route


# 4a. An NVA route whose prefix a gateway also offers ---------------------------

def test_nva_route_reaches_nvas_when_gateway_path_is_best():
    """Branch-to-branch off, 10.250.0.0/16 from er (best for the VMs under
    the expressroute preference), vpn and nva1: er's path is withheld from
    NVAs, but nva1's route must still reach nva2 (§5: NVA routes go to the
    other NVAs; off only stops the NVA<->gateway exchange)."""
    rsc.tgen_ok()
    res = rsc.expect_rs({"branchToBranch": False, "hubRoutingPreference": "expressroute"})
    assert res is None, res
    _wait_learned_path(NVA1, SEL, "65001 65001 65001")
    assert rsc.learned(NVA1)["learnedRoutes"][SEL]["status"] == "accepted"
    ok, have = rsc.wait_routes("nva2", present=["10.201.0.0/16"])
    assert ok, sorted(have or [])
    ok, _ = vrstest.wait_for(lambda: _path("nva2", SEL) == [("65515 65001 65001 65001", NVA1)],
                             timeout=10)
    assert ok, "nva2 does not get nva1's {} (has {}); RS advertised-routes to nva2: {}".format(
        SEL, _path("nva2", SEL),
        vrstest.vtysh_json(r("rs"), "show route-server neighbor {} advertised-routes json"
                           .format(NVA2))["advertisedRoutes"].get(SEL))


# 4b. ExpressRoute cap (last: heavy) ----------------------------------------

EXTRA = 1005





def _advertised(addr, asn):
    """Prefixes the RS advertises to an eBGP speaker that the speaker
    accepts: the RS's update group may also carry the speaker's own routes
    back (AS path with the speaker's ASN), which the speaker drops."""
    js = vrstest.vtysh_json(r("rs"), "show route-server neighbor {} advertised-routes json".format(addr))
    return {p for p, route in js.get("advertisedRoutes", {}).items()
            if str(asn) not in route.get("asPath", "").split()}


def _wait_in_sync(name, addr, present=(), absent=(), timeout=60):
    """Poll until an NVA has exactly what the RS advertises to it (its
    table from the RS equals the RS's advertised set), including every
    prefix of present and none of absent; returns that set."""
    last = {}

    def check():
        adv = _advertised(addr, rsc.SPEAKERS[name])
        have = rsc.rs_paths_from(name)
        last["v"] = (len(adv), len(have), sorted(adv ^ have)[:10])
        return (adv == have and set(present) <= have and not (set(absent) & have)
                and rsc.pfx_rcd(name) == len(have) and have)

    have, _ = vrstest.wait_for(check, timeout=timeout, interval=0.5)
    assert have, "{} not in sync with the RS (advertised, received, differing): {}".format(name, last.get("v"))
    return have


def test_expressroute_cap():
    """Branch-to-branch on, nva1 offers 1,005 more prefixes: er gets at most
    1,000 (the VNet route counts), nva2 gets them all. Last of the routing
    tests: it leaves 1,000+ routes churning while they are withdrawn.

    Every count is taken in an exact, polled starting state: nva2's table
    from the RS equals what the RS advertises to it, with the gateway
    routes of branch-to-branch already there (reading it earlier raced the
    first gateway route)."""
    rsc.tgen_ok()
    base_off = _wait_in_sync("nva2", NVA2, present=NVA1_PFX + [VNET], absent=[ER_PFX, VPN_PFX])
    rs_conf("route-server branch-to-branch")
    extra = rsc.extra_prefixes(EXTRA)
    try:
        base = _wait_in_sync("nva2", NVA2, present=NVA1_PFX + [VNET, ER_PFX, VPN_PFX])
        assert base - base_off == {ER_PFX, VPN_PFX}, sorted(base ^ base_off)
        ok, base_er = rsc.wait_routes("er", present=NVA1_PFX + NVA2_PFX + [VNET, VPN_PFX])
        assert ok and len(base_er) < 1000, sorted(base_er or [])
        out = rsc.speaker_file("nva1", ["router bgp 65001", "address-family ipv4 unicast"] +
                            ["network " + p for p in extra])
        assert "%" not in out, out
        # nva2 receives all of them.
        ok, _ = vrstest.wait_for(lambda: rsc.pfx_rcd("nva2") == len(base) + EXTRA, timeout=60,
                                 interval=0.5)
        assert ok, (len(base), EXTRA, rsc.pfx_rcd("nva2"))
        assert rsc.rs_paths_from("nva2") == base | set(extra)
        # er reaches the cap and stays there: exactly 1,000 received.
        ok, _ = vrstest.wait_for(lambda: rsc.pfx_rcd("er") >= 1000, timeout=30, interval=0.5)
        assert ok, rsc.pfx_rcd("er")
        # nva1's routes all reached nva2 (above), so the RS has them all:
        # whatever it sends er from now on must stay at the cap.
        seen = []
        vrstest.wait_for(lambda: seen.append(rsc.pfx_rcd("er")) and False, timeout=2, interval=0.2)
        adv = rsc.rs_neighbor(ER)["advertised"]
        assert max(seen) == 1000 and min(seen) == 1000 and adv == 1000, \
            "ExpressRoute cap not enforced: er pfxRcd {}, RS advertised to er {}".format(seen, adv)
        assert rsc.rs_neighbor(ER)["state"] == "Established"
        assert rsc.rs_neighbor(VPN)["advertised"] > 1000, rsc.rs_neighbor(VPN)
    finally:
        rsc.speaker_file("nva1", ["router bgp 65001", "address-family ipv4 unicast"] +
                      ["no network " + p for p in extra])
        rs_conf("no route-server branch-to-branch")
    after = _wait_in_sync("nva2", NVA2, present=NVA1_PFX + [VNET], absent=[ER_PFX, VPN_PFX])
    assert after == base_off, sorted(after ^ base_off)


def test_clean_shutdown_no_module_leaks():
    tgen = rsc.tgen_for_leaks()
    vrstest.assert_no_leaks(tgen)
