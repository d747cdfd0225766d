#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Route-server contract (docs/route-server-semantics.md), part 1: identity
and sessions (§2), roles, what the RS accepts (§3), the VNet and its
peerings (§5, §7), the running-config round trip. Topology configs/rs-contract
(see rsc.py). Part 2 (outbound, selection) is test_rs_contract_routing.py.
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


def setup_module(mod):
    rsc.setup(mod)


def teardown_module(mod):
    rsc.teardown(mod)


def _percent_lines(out):
    return [line for line in out.splitlines() if line.lstrip().startswith("%")]


def test_sessions_up():
    rsc.tgen_ok()
    rsc.all_established()
    res = rsc.expect_rs({"neighbors": {NVA1: {"pfxRcd": 6}, NVA2: {"pfxRcd": 3},
                                       ER: {"pfxRcd": 2}, VPN: {"pfxRcd": 2}}})
    assert res is None, res


# 1. Identity ----------------------------------------------------------------

def _up_seconds(addr):
    js = vrstest.vtysh_json(r("rs"), "show bgp neighbors {} json".format(addr)).get(addr, {})
    if js.get("bgpState") != "Established":
        return 0
    return js.get("bgpTimerUpMsec", 0) / 1000.0


def test_bfdd_running_is_not_silent():
    """Control of rs_northbound's bfdd-not-running warning: here bfdd
    runs, so after the same 10 s of session the BFD state is known and
    the neighbor is not reported silent."""
    rsc.tgen_ok()
    ok, _ = vrstest.wait_for(lambda: _up_seconds(NVA1) >= 11, timeout=60, interval=0.5)
    assert ok, rsc.rs_neighbor(NVA1)
    # bfdd answers: "up", or "down" when the NVA side runs no BFD (here).
    eff = rsc.rs_neighbor(NVA1)["effective"]
    assert eff["bfd"] in ("up", "down") and eff["bfddSilent"] is False, eff
    assert "is bfdd running?" not in r("rs").vtysh_cmd("show route-server", daemon="bgpd")


def test_route_server_refused_outside_65515():
    rsc.tgen_ok()
    rs = r("rs")
    before = rsc.running()
    out = vrstest.vtysh_conf(rs, "router bgp 65001 vrf x", "route-server")
    assert "route-server mode needs router bgp 65515" in out, out
    vrstest.vtysh_conf(rs, "no router bgp 65001 vrf x")
    js = vrstest.vtysh_json(rs, "show route-server json")
    assert "x" not in js["instances"], js
    assert rsc.running() == before


@pytest.mark.parametrize("asn,words", [
    (12076, ["ASN 12076", "reserved by Azure"]),
    (65517, ["ASN 65517", "reserved by Azure"]),
    (23456, ["ASN 23456", "AS_TRANS"]),
    (64500, ["ASN 64500", "documentation"]),
    (4200000001, ["ASN 4200000001", "4-byte", "only 2-byte ASNs are supported"]),
])
def test_nva_role_refused_for_reserved_asn(asn, words):
    rsc.tgen_ok()
    out = rs_conf("neighbor 10.0.0.99 remote-as {}".format(asn))
    assert not _percent_lines(out), out
    before = rsc.running()
    out = rs_conf("route-server neighbor 10.0.0.99 role nva")
    try:
        lines = _percent_lines(out)
        assert len(lines) == 1, out
        for w in words:
            assert w in lines[0], "expected {!r} in reason: {}".format(w, lines[0])
        assert rsc.running() == before, "refused role changed the running-config"
        assert "10.0.0.99" not in rsc.rs_state()["neighbors"] or \
            rsc.rs_neighbor("10.0.0.99")["managed"] is False
    finally:
        rs_conf("no neighbor 10.0.0.99")


def test_nva_role_allowed_for_65516():
    """Control for the refusals above: 65516 is not reserved."""
    rsc.tgen_ok()
    rs_conf("neighbor 10.0.0.99 remote-as 65516")
    try:
        out = rs_conf("route-server neighbor 10.0.0.99 role nva")
        assert not _percent_lines(out), out
        assert rsc.rs_neighbor("10.0.0.99")["role"] == "nva"
    finally:
        rs_conf("no route-server neighbor 10.0.0.99", "no neighbor 10.0.0.99")


@pytest.mark.parametrize("role", ["expressroute-gateway", "vpn-gateway"])
def test_gateway_role_refused_for_other_asn(role):
    rsc.tgen_ok()
    rs_conf("neighbor 10.0.0.98 remote-as 65010")
    before = rsc.running()
    try:
        out = rs_conf("route-server neighbor 10.0.0.98 role {}".format(role))
        lines = _percent_lines(out)
        assert len(lines) == 1 and "ASN 65010 is not allowed for role" in lines[0] \
            and "65515" in lines[0], out
        assert rsc.running() == before
    finally:
        rs_conf("no neighbor 10.0.0.98")


def _timers(addr):
    js = vrstest.vtysh_json(r("rs"), "show bgp neighbors {} json".format(addr))[addr]
    return (js.get("bgpTimerConfiguredHoldTimeMsecs"),
            js.get("bgpTimerConfiguredKeepAliveIntervalMsecs"),
            "peerBfdInfo" in js)


def _changed(before, after):
    """(added, removed) lines of running-config, stripped."""
    b = [l.strip() for l in before.splitlines()]
    a = [l.strip() for l in after.splitlines()]
    return [l for l in a if l not in b], [l for l in b if l not in a]


def _bgp_config(addr):
    return rsc.rs_neighbor(addr).get("bgpConfig", {})


def test_profiles_azure_compat_and_fast():
    """bgpd's lines are the user's: a profile change is checked against
    them (drift, with the lines to add), never written by the module."""
    rsc.tgen_ok()
    peers = (NVA1, NVA2, ER, VPN)
    # Default profile: fast (3/1 s and BFD), as the config file declares.
    for addr in peers:
        assert _timers(addr) == (3000, 1000, True), (addr, _timers(addr))
        assert _bgp_config(addr) == {"complete": True, "missing": [], "drift": []}, \
            (addr, _bgp_config(addr))
        assert rsc.rs_neighbor(addr)["managed"] is True, rsc.rs_neighbor(addr)
    before = rsc.running()
    out = rs_conf("route-server profile azure-compat")
    assert not _percent_lines(out), out
    assert rsc.rs_state()["profile"] == "azure-compat"
    # Nothing of bgpd's config changed, the drift is reported per neighbor.
    assert _changed(before, rsc.running()) == (["route-server profile azure-compat"], [])
    for addr in peers:
        assert _timers(addr) == (3000, 1000, True), (addr, _timers(addr))
        cfg = _bgp_config(addr)
        assert sorted(cfg["drift"]) == sorted(["no neighbor {} bfd".format(addr),
                                               "neighbor {} timers 60 180".format(addr)]), cfg
        assert cfg["complete"] is True and rsc.rs_neighbor(addr)["managed"] is True
    text = r("rs").vtysh_cmd("show route-server")
    assert "differs from the profile, add: 'neighbor {} timers 60 180'".format(NVA1) in text, text
    bgpconf = r("rs").vtysh_cmd("show route-server bgp-config")
    assert " neighbor {} timers 60 180\n".format(NVA1) in bgpconf, bgpconf
    assert " neighbor {} bfd\n".format(NVA1) not in bgpconf, bgpconf
    # The user follows the profile for one neighbor: no drift left there.
    try:
        rs_conf("neighbor {} timers 60 180".format(NVA1), "no neighbor {} bfd".format(NVA1))
        ok, _ = vrstest.wait_for(lambda: _bgp_config(NVA1).get("drift") == [], timeout=10)
        assert ok, _bgp_config(NVA1)
        assert _timers(NVA1) == (180000, 60000, False), _timers(NVA1)
    finally:
        rs_conf("neighbor {} timers 1 3".format(NVA1), "neighbor {} bfd".format(NVA1))
    out = rs_conf("no route-server profile azure-compat")
    assert not _percent_lines(out), out
    ok, _ = vrstest.wait_for(lambda: all(_bgp_config(a).get("drift") == [] for a in peers),
                             timeout=10)
    assert ok, {a: _bgp_config(a) for a in peers}
    assert rsc.running() == before
    rsc.all_established()


def test_missing_bgp_lines_reported_not_written():
    """A role neighbor without the route-maps is not managed, and says
    which lines to add; the module adds nothing to bgpd's config."""
    rsc.tgen_ok()
    addr = "10.0.0.96"
    rs_conf("neighbor {} remote-as 65096".format(addr))
    try:
        before = rsc.running()
        out = rs_conf("route-server neighbor {} role nva".format(addr))
        assert not _percent_lines(out), out
        assert _changed(before, rsc.running()) == \
            (["route-server neighbor {} role nva".format(addr)], [])
        nbr = rsc.rs_neighbor(addr)
        assert nbr["managed"] is False, nbr
        want = ["neighbor {} ebgp-multihop 255".format(addr),
                "neighbor {} disable-connected-check".format(addr),
                "neighbor {} soft-reconfiguration inbound".format(addr),
                "neighbor {} route-map VRS-RS-IN in".format(addr),
                "neighbor {} route-map VRS-RS-OUT-NVA out".format(addr)]
        assert nbr["bgpConfig"]["missing"] == want, nbr
        # Giving back the role gives back the very same running-config.
        rs_conf("no route-server neighbor {}".format(addr))
        assert rsc.running() == before
    finally:
        rs_conf("no route-server neighbor {}".format(addr), "no neighbor {}".format(addr))


def test_refused_commands_leave_config_unchanged():
    rsc.tgen_ok()
    before = rsc.running()
    state = rsc.rs_state()
    bad = [
        "route-server hub-routing-preference cheapest",
        "route-server neighbor 10.0.0.77 role nva",          # no such neighbor
        "route-server vnet-name " + "v" * 40,
        "route-server peering hub2 use-remote-gateway",
        "route-server address-space 2001:db8::/32",
    ]
    for line in bad:
        out = rs_conf(line)
        assert _percent_lines(out), "not refused: {!r}: {}".format(line, out)
    assert rsc.running() == before
    after = rsc.rs_state()
    for key in ("vnetName", "addressSpaces", "hubRoutingPreference", "profile"):
        assert after[key] == state[key], key


# 2. Roles --------------------------------------------------------------------

def test_roles_session_settings():
    rsc.tgen_ok()
    rs = r("rs")
    for addr in (NVA1, NVA2):
        js = vrstest.vtysh_json(rs, "show bgp neighbors {} json".format(addr))[addr]
        # configs/rs-contract/rs has no ebgp-multihop: the module sets it.
        assert js.get("externalBgpNbrMaxHopsAway") == 255, js.get("externalBgpNbrMaxHopsAway")
        assert js.get("nbrExternalLink") is True
        af = js["addressFamilyInfo"]["ipv4Unicast"]
        assert af.get("routeMapForOutgoingAdvertisements") == "VRS-RS-OUT-NVA", af
        assert not af.get("routeReflectorClient"), af
    for addr, omap in ((ER, "VRS-RS-OUT-ER"), (VPN, "VRS-RS-OUT-VPN")):
        js = vrstest.vtysh_json(rs, "show bgp neighbors {} json".format(addr))[addr]
        assert js.get("nbrInternalLink") is True, js.get("nbrInternalLink")
        af = js["addressFamilyInfo"]["ipv4Unicast"]
        assert af.get("routeReflectorClient") is True, af
        assert af.get("routeMapForOutgoingAdvertisements") == omap, af
    st = rsc.rs_state()["neighbors"]
    assert [st[a]["role"] for a in (NVA1, NVA2, ER, VPN)] == \
        ["nva", "nva", "expressroute-gateway", "vpn-gateway"]


# 3. Inbound ------------------------------------------------------------------

def test_as_loop_dropped_and_counted():
    rsc.tgen_ok()
    res = rsc.expect_rs({"neighbors": {NVA1: {"droppedByReason": {"asLoop": 1},
                                              "received": 7, "accepted": 6}}})
    assert res is None, res
    lr = rsc.learned(NVA1)["learnedRoutes"]
    assert lr["10.202.0.0/16"]["status"] == "dropped", lr["10.202.0.0/16"]
    assert lr["10.202.0.0/16"]["reason"] == "asLoop", lr["10.202.0.0/16"]
    assert lr["10.202.0.0/16"]["asPath"] == "65001 65515"
    assert lr["10.201.0.0/16"]["status"] == "accepted"
    # Not installed, not propagated (nva2 has nva1's other routes).
    ok, have = rsc.wait_routes("nva2", present=["10.201.0.0/16"], absent=["10.202.0.0/16"])
    assert ok, have
    rib = vrstest.vtysh_json(r("rs"), "show bgp ipv4 unicast 10.202.0.0/16 json")
    assert not rib.get("paths"), rib


def test_allowas_in_blocks_role():
    rsc.tgen_ok()
    rs_conf("neighbor 10.0.0.97 remote-as 65003", "address-family ipv4 unicast",
            "neighbor 10.0.0.97 allowas-in", "exit-address-family")
    try:
        before = rsc.running()
        out = rs_conf("route-server neighbor 10.0.0.97 role nva")
        lines = _percent_lines(out)
        assert len(lines) == 1 and "allowas-in" in lines[0] and "65515" in lines[0], out
        assert rsc.running() == before
        # Without allowas-in the same command is accepted.
        rs_conf("address-family ipv4 unicast", "no neighbor 10.0.0.97 allowas-in",
                "exit-address-family")
        out = rs_conf("route-server neighbor 10.0.0.97 role nva")
        assert not _percent_lines(out), out
    finally:
        rs_conf("no route-server neighbor 10.0.0.97", "no neighbor 10.0.0.97")


def _updates_recv(addr):
    js = vrstest.vtysh_json(r("rs"), "show bgp neighbors {} json".format(addr))[addr]
    return js["messageStats"]["updatesRecv"]


def _resend(name, addr):
    """Soft-out on a speaker; True once the RS has received its UPDATEs."""
    n0 = _updates_recv(addr)
    rsc.soft_out(name)
    ok, _ = vrstest.wait_for(lambda: _updates_recv(addr) > n0, timeout=15)
    return ok


def test_route_limit_max_prefix_no_teardown():
    """Limit 4, nva2 has 3 routes and re-sends them: plain counting is 3."""
    rsc.tgen_ok()
    rs_conf("route-server route-limit-mode max-prefix",
            "route-server neighbor 10.0.0.12 role nva route-limit 4")
    try:
        res = rsc.expect_rs({"routeLimitMode": "max-prefix",
                             "neighbors": {NVA2: {"routeLimit": 4}}})
        assert res is None, res
        assert _resend("nva2", NVA2), "nva2 did not re-send its routes"
        n = rsc.rs_neighbor(NVA2)
        assert n["state"] == "Established" and n["limitTeardowns"] == 0 and n["pfxRcd"] == 3, n
    finally:
        rs_conf("route-server route-limit-mode ars")


def test_route_limit_ars_double_count_teardown():
    """Limit 4, 3 routes learned + the same 3 in one UPDATE = 6 > 4."""
    rsc.tgen_ok()
    out = rs_conf("route-server route-limit-mode ars",
                  "route-server neighbor 10.0.0.12 role nva route-limit 4")
    assert not _percent_lines(out), out
    res = rsc.expect_rs({"routeLimitMode": "ars",
                         "neighbors": {NVA2: {"routeLimit": 4, "pfxRcd": 3, "state": "Established"}}})
    assert res is None, res
    try:
        rsc.soft_out("nva2")
        res = rsc.expect_rs({"neighbors": {NVA2: {"limitTeardowns": 1}}}, count=60)
        assert res is None, res
        n = rsc.rs_neighbor(NVA2)
        assert "3 routes learned" in n["lastLimitTeardown"] and "limit 4" in n["lastLimitTeardown"], n
        ok, _ = vrstest.wait_for(lambda: rsc.rs_neighbor(NVA2)["state"] != "Established", timeout=10)
        assert ok, rsc.rs_neighbor(NVA2)
        # Its routes are gone from the VMs.
        ok, _ = vrstest.wait_for(lambda: "10.210.0.0/16" not in rsc.effective(), timeout=10)
        assert ok, rsc.effective().get("10.210.0.0/16")
    finally:
        rs_conf("route-server neighbor 10.0.0.12 role nva")
        r("rs").vtysh_cmd("clear bgp ipv4 unicast {}".format(NVA2))
    res = rsc.expect_rs({"neighbors": {NVA2: {"state": "Established", "pfxRcd": 3,
                                              "routeLimit": 4000}}}, count=120)
    assert res is None, res


def _total_accepted():
    st = rsc.rs_state()["neighbors"]
    return sum(st[a]["pfxRcd"] for a in (NVA1, NVA2, ER, VPN))


def test_total_limit():
    rsc.tgen_ok()
    rsc.all_established()
    teardowns0 = {a: n["limitTeardowns"] for a, n in rsc.rs_state()["neighbors"].items()}
    current = _total_accepted()
    assert current == 13, rsc.rs_state()["neighbors"]
    extra = ["10.{}.0.0/16".format(n) for n in range(212, 216)]
    try:
        # Lowering the cap below what is accepted drops nothing.
        rs_conf("route-server total-limit 5")
        res = rsc.expect_rs({"totalLimit": 5})
        assert res is None, res
        assert _resend("nva1", NVA1), "nva1 did not re-send its routes"
        rsc.all_established()
        assert _total_accepted() == current, rsc.rs_state()["neighbors"]

        rs_conf("route-server total-limit {}".format(current + 2))
        speaker_lines = ["router bgp 65002", "address-family ipv4 unicast"] + \
            ["network " + p for p in extra]
        rsc.speaker_conf("nva2", *speaker_lines)
        res = rsc.expect_rs({"neighbors": {NVA2: {"received": 7, "accepted": 5,
                                                  "droppedByReason": {"totalLimit": 2}}}})
        assert res is None, res
        assert _total_accepted() == current + 2
        lr = rsc.learned(NVA2)["learnedRoutes"]
        dropped = sorted(p for p in extra if lr[p]["status"] == "dropped")
        assert len(dropped) == 2 and all(lr[p]["reason"] == "totalLimit" for p in dropped), lr
        # Sessions stay up.
        st = rsc.rs_state()["neighbors"]
        assert all(st[a]["state"] == "Established" and st[a]["limitTeardowns"] == teardowns0[a]
                   for a in (NVA1, NVA2, ER, VPN)), st
    finally:
        rsc.speaker_conf("nva2", "router bgp 65002", "address-family ipv4 unicast",
                         *["no network " + p for p in extra])
        rs_conf("no route-server total-limit")
    res = rsc.expect_rs({"totalLimit": 10000, "neighbors": {NVA2: {"received": 3, "accepted": 3}}})
    assert res is None, res


def test_no_advertise_programmed_not_advertised():
    rsc.tgen_ok()
    out = rs_conf("route-server branch-to-branch")
    assert not _percent_lines(out), out
    try:
        lr = rsc.learned(NVA1)["learnedRoutes"]["10.203.0.0/16"]
        assert lr["status"] == "accepted" and "no-advertise" in lr.get("communities", ""), lr
        ok, route = rsc.wait_effective("10.203.0.0/16", [NVA1])
        assert ok, route
        # With branch-to-branch on, the gateways get nva1's other routes...
        for name in ("nva2", "er", "vpn"):
            ok, have = rsc.wait_routes(name, present=["10.201.0.0/16"], absent=["10.203.0.0/16"])
            assert ok, (name, sorted(have or []))
        for addr in (NVA2, ER, VPN):
            adv = vrstest.vtysh_json(r("rs"), "show route-server neighbor {} advertised-routes json"
                                     .format(addr))["advertisedRoutes"]
            assert "10.201.0.0/16" in adv and "10.203.0.0/16" not in adv, (addr, sorted(adv))
    finally:
        rs_conf("no route-server branch-to-branch")
    ok, have = rsc.wait_routes("er", absent=["10.201.0.0/16"])
    assert ok, sorted(have or [])


# 6. VNet ---------------------------------------------------------------------

def _vnet_path(name, prefix):
    js = vrstest.vtysh_json(r(name), "show bgp ipv4 unicast {} json".format(prefix))
    return [(p.get("aspath", {}).get("string"), p["nexthops"][0]["ip"]) for p in js.get("paths", [])]


def test_vnet_space_at_nvas():
    rsc.tgen_ok()
    for name in ("nva1", "nva2"):
        ok, _ = vrstest.wait_for(lambda: _vnet_path(name, "10.1.0.0/16") == [("65515", rsc.RS)], timeout=20)
        assert ok, (name, _vnet_path(name, "10.1.0.0/16"))


def _refresh_recv(name):
    js = vrstest.vtysh_json(r(name), "show bgp neighbors {} json".format(rsc.RS))[rsc.RS]
    return js["messageStats"]["routeRefreshRecv"]


def test_peering_spoke_space_and_route_refresh():
    rsc.tgen_ok()
    res = rsc.expect_rs({"advertisedSpaces": ["10.1.0.0/16"]}, count=4)
    assert res is None, ("starting state: no spoke1 peering", res)
    rr0 = {n: _refresh_recv(n) for n in ("nva1", "nva2")}
    out = rs_conf("route-server peering spoke1 address-space 10.2.0.0/16",
                  "route-server peering spoke1 allow-gateway-transit")
    assert not _percent_lines(out), out
    # Transit allowed, but the spoke does not use it yet: nothing new.
    res = rsc.expect_rs({"advertisedSpaces": ["10.1.0.0/16"]}, count=4)
    assert res is None, res
    ok, rr = vrstest.wait_for(lambda: all(_refresh_recv(n) > rr0[n] for n in rr0), timeout=15)
    assert ok, ("no ROUTE-REFRESH after the peering was created", rr0,
                {n: _refresh_recv(n) for n in rr0})

    rr1 = {n: _refresh_recv(n) for n in ("nva1", "nva2")}
    out = rs_conf("route-server peering spoke1 remote-uses-gateway")
    assert not _percent_lines(out), out
    res = rsc.expect_rs({"advertisedSpaces": ["10.1.0.0/16", "10.2.0.0/16"]})
    assert res is None, res
    for name in ("nva1", "nva2"):
        ok, _ = vrstest.wait_for(lambda: _vnet_path(name, "10.2.0.0/16") == [("65515", rsc.RS)], timeout=20)
        assert ok, (name, _vnet_path(name, "10.2.0.0/16"))
    ok, _ = vrstest.wait_for(lambda: all(_refresh_recv(n) > rr1[n] for n in rr1), timeout=15)
    assert ok, ("no ROUTE-REFRESH after the peering changed", rr1, {n: _refresh_recv(n) for n in rr1})

    # The spoke's VMs are programmed too (they use the hub's route server).
    ok, route = rsc.wait_effective("10.201.0.0/16", [NVA1], vnet="spoke1")
    assert ok, route


def _ensure_spoke1():
    """The spoke1 peering of test_peering_spoke_space_and_route_refresh,
    configured again (idempotent) so that a test can run alone."""
    out = rs_conf("route-server peering spoke1 address-space 10.2.0.0/16",
                  "route-server peering spoke1 allow-gateway-transit",
                  "route-server peering spoke1 remote-uses-gateway")
    assert not _percent_lines(out), out
    res = rsc.expect_rs({"advertisedSpaces": ["10.1.0.0/16", "10.2.0.0/16"]})
    assert res is None, res


def test_use_remote_gateway_refused():
    rsc.tgen_ok()
    _ensure_spoke1()
    before = rsc.running()
    out = rs_conf("route-server peering spoke1 use-remote-gateway")
    lines = _percent_lines(out)
    assert len(lines) == 1, out
    assert "hub" in lines[0] and "spoke1" in lines[0], lines[0]
    assert len(out.strip().splitlines()) == 1, "reason is not one line: {!r}".format(out)
    assert rsc.running() == before


def test_effective_routes_vnet_rules():
    rsc.tgen_ok()
    _ensure_spoke1()
    ok, route = rsc.wait_effective("10.1.5.0/24", [NVA1], state="Invalid")
    assert ok, route
    assert route["overriddenBy"] == "10.1.0.0/16", route
    assert route["source"] == "VirtualNetworkGateway"
    ok, route = rsc.wait_effective("10.0.0.0/8", [NVA1], state="Active")
    assert ok, route
    ok, _ = vrstest.wait_for(lambda: "10.2.0.0/16" in rsc.effective(), timeout=10)
    assert ok, sorted(rsc.effective())
    eff = rsc.effective()
    assert eff["10.1.0.0/16"]["source"] == "VnetLocal" and eff["10.1.0.0/16"]["state"] == "Active"
    assert eff["10.2.0.0/16"]["nextHopType"] == "VNetPeering", eff.get("10.2.0.0/16")


def test_peering_removed():
    rsc.tgen_ok()
    _ensure_spoke1()
    ok, _ = vrstest.wait_for(lambda: _vnet_path("nva1", "10.2.0.0/16") == [("65515", rsc.RS)], timeout=20)
    assert ok, ("the spoke space must be at nva1 before it is removed", _vnet_path("nva1", "10.2.0.0/16"))
    out = rs_conf("no route-server peering spoke1")
    assert not _percent_lines(out), out
    res = rsc.expect_rs({"advertisedSpaces": ["10.1.0.0/16"]})
    assert res is None, res
    ok, _ = vrstest.wait_for(lambda: _vnet_path("nva1", "10.2.0.0/16") == [], timeout=20)
    assert ok, _vnet_path("nva1", "10.2.0.0/16")


# 7. Running-config round trip ------------------------------------------------

ROUND_TRIP = [
    "route-server branch-to-branch",
    "route-server hub-routing-preference as-path",
    "route-server profile azure-compat",
    "route-server route-limit 3000",
    "route-server route-limit-mode max-prefix",
    "route-server total-limit 9000",
    "route-server peering spoke2 address-space 10.3.0.0/16",
    "route-server peering spoke2 allow-gateway-transit",
    "route-server peering spoke2 remote-uses-gateway",
    "route-server neighbor 10.0.0.12 role nva route-limit 500",
]


def test_restart_from_saved_config():
    rsc.tgen_ok()
    rs = r("rs")
    # Starting state: no spoke peering left by another test (-k subsets).
    rs_conf("no route-server peering spoke1")
    res = rsc.expect_rs({"advertisedSpaces": ["10.1.0.0/16"]})
    assert res is None, res
    out = rs_conf(*ROUND_TRIP)
    assert not _percent_lines(out), out
    expected = {"branchToBranch": True, "hubRoutingPreference": "as-path",
                "profile": "azure-compat", "routeLimit": 3000, "routeLimitMode": "max-prefix",
                "totalLimit": 9000, "vnetName": "hub", "addressSpaces": ["10.1.0.0/16"],
                "advertisedSpaces": ["10.1.0.0/16", "10.3.0.0/16"],
                "neighbors": {NVA1: {"role": "nva", "routeLimit": 3000},
                              NVA2: {"role": "nva", "routeLimit": 500},
                              ER: {"role": "expressroute-gateway"},
                              VPN: {"role": "vpn-gateway"}}}
    res = rsc.expect_rs(expected, count=20)
    assert res is None, res
    run_before = rsc.running()
    out = rs.run("{} -c 'write memory'".format(vrstest.VTYSH))
    saved = rs.run("cat /etc/frr/bgpd.conf /etc/frr/frr.conf 2>/dev/null")
    for line in ROUND_TRIP:
        assert " " + line + "\n" in saved, (line, out, saved)

    rs.killDaemons(["bgpd"])
    rs.startDaemons(["bgpd"])

    res = rsc.expect_rs(expected, count=60)
    assert res is None, "settings lost across restart: {}".format(res)
    run_after = rsc.running()
    for line in ROUND_TRIP + ["route-server vnet-name hub", "route-server address-space 10.1.0.0/16",
                              "route-server neighbor 10.0.0.21 role expressroute-gateway"]:
        assert " " + line + "\n" in run_after, (line, run_after)
    rs_lines = lambda text: [l for l in text.splitlines() if l.startswith(" route-server")]  # noqa: E731
    assert rs_lines(run_after) == rs_lines(run_before)


def test_clean_shutdown_no_module_leaks():
    tgen = rsc.tgen_for_leaks()
    vrstest.assert_no_leaks(tgen)
