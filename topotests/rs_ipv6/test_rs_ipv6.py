#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Dual stack as an opt-in (issue 15, part 1), on real sessions:

    nva1 (65001) 10.0.0.11, fd00::11 --\\
                                         s1 -- rs (65515, bgpd_rs) 10.0.0.4, fd00::4
    nva2 (65002)            fd00::12 --/

nva1 peers the route server over IPv4 (ipv4 unicast) and over IPv6
(ipv6 unicast); nva2 over IPv6 only. rs's startup file gives the hub an
IPv6 address space without `route-server ipv6`: that line is refused
(bgpd's log has the reason), as Azure's route server has no IPv6; the
IPv6 sessions come up all the same, unmanaged. The README's example
turns dual stack on: the VNet's IPv6 spaces are advertised to the NVAs,
their IPv6 routes are checked by the contract (a route inside the
VNet's space is listed Invalid), reach the VNet's effective routes (ECMP over
both NVAs, ::/0 to the Internet) and the other NVA with the next hop
kept. Turning it off is refused while IPv6 is in use. The topology is
configs/rs-ipv6.
"""

import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topogen import get_topogen  # noqa: E402

import vrstest  # noqa: E402

pytestmark = [pytest.mark.bgpd]

TOPO = vrstest.load_topology("rs-ipv6")
NVA1_V4, NVA1, NVA2 = "10.0.0.11", "fd00::11", "fd00::12"
RS6 = "fd00::4"
SPACE6, SPOKE6 = "fd00:1::/48", "fd00:2::/48"
P50, P60, INSIDE = "fd00:50::/48", "fd00:60::/48", "fd00:1:0:5::/64"
WHY = ("the route server is IPv4 only unless 'route-server ipv6' is set (as in Azure, "
       "whose route server has no IPv6); remove IPv6 address spaces and neighbors "
       "before turning it off")


def setup_module(mod):
    vrstest.setup_topogen(mod, TOPO)


def teardown_module(mod):
    vrstest.teardown_topogen(mod)


def r(name):
    return get_topogen().gears[name]


def running():
    return r("rs").vtysh_cmd("show running-config", daemon="bgpd")


def rs_lines():
    return [l.strip() for l in running().splitlines() if l.strip().startswith("route-server")]


def conf(*lines):
    return vrstest.vtysh_conf(r("rs"), "router bgp 65515", *lines)


def rs_json():
    return vrstest.vtysh_json(r("rs"), "show route-server json")["instances"]["default"]


def effective():
    js = vrstest.vtysh_json(r("rs"), "show route-server effective-routes json")
    return {rt["prefix"]: rt for rt in js.get("vnets", {}).get("hub", [])}


def bgp_path(node, prefix):
    """(next hop, AS path) of node's best path for an IPv6 prefix; None
    when it has none."""
    js = vrstest.vtysh_json(r(node), "show bgp ipv6 unicast {} json".format(prefix))
    for p in js.get("paths", []):
        if p.get("bestpath", {}).get("overall"):
            nhs = [n["ip"] for n in p.get("nexthops", []) if n.get("scope") != "link-local"]
            return (nhs[0] if nhs else None, p["aspath"]["string"])
    return None


def readme_example():
    """The route-server lines of the README's rs-ipv6 example."""
    lines = [l.strip() for l in vrstest.readme_example("rs-ipv6")]
    assert lines[0] == "router bgp 65515", lines
    return [l for l in lines[1:] if l.startswith("route-server")]


def sessions_up():
    tgen = vrstest.tgen_or_skip()
    vrstest.wait_established({r("rs"): [NVA1_V4, NVA1, NVA2], r("nva2"): [RS6]})
    return tgen


def ipv4_only_state():
    """No IPv6 managed: IPv6 neighbors listed without a role, no IPv6
    route in the VNet's effective routes (nva1's IPv4 route is the
    control), no IPv6 address space advertised."""
    vrstest.wait_or_fail(lambda: "10.50.0.0/24" in effective(),
         lambda: "nva1's 10.50.0.0/24 not effective: {}".format(effective()))
    st = rs_json()
    assert st["ipv6"] is False, st
    for a in (NVA1, NVA2):
        nbr = st["neighbors"].get(a, {})
        assert nbr.get("role") == "unassigned" and nbr.get("managed") is False, (a, nbr)
    vrstest.wait_or_fail(lambda: not [p for p in effective() if ":" in p],
         lambda: "IPv6 effective routes: {}".format(effective()))
    vrstest.wait_or_fail(lambda: bgp_path("nva1", SPACE6) is None,
         lambda: "nva1 has {}: {}".format(SPACE6, bgp_path("nva1", SPACE6)))


def test_startup_file_refuses_ipv6_without_opt_in():
    sessions_up()
    assert "route-server address-space {}".format(SPACE6) not in rs_lines()
    assert "route-server ipv6" not in rs_lines()
    log = r("rs").run("cat {}/rs/bgpd.log".format(get_topogen().logdir))
    assert "configuration refused: address space {} is IPv6: {}".format(SPACE6, WHY) in log, \
        log[-2000:]
    ipv4_only_state()
    text = r("rs").vtysh_cmd("show route-server", daemon="bgpd")
    assert "IPv6:                   refused (IPv4 only)" in text, text


def test_vtysh_refuses_ipv6_without_opt_in():
    sessions_up()
    before = running()
    for line, what in (("route-server neighbor {} role nva".format(NVA1),
                        "route-server neighbor {} is IPv6".format(NVA1)),
                       ("route-server address-space {}".format(SPACE6),
                        "address space {} is IPv6".format(SPACE6)),
                       ("route-server peering spoke address-space {}".format(SPOKE6),
                        "address space {} is IPv6".format(SPOKE6))):
        out = conf(line)
        assert vrstest.percent(out) == ["{}: {}".format(what, WHY)], (line, out)
        assert running() == before


def test_readme_example_dual_stack():
    sessions_up()
    before = running()
    out = conf(*readme_example())
    assert not vrstest.percent(out), out
    try:
        lines = rs_lines()
        assert lines.index("route-server ipv6") < lines.index(
            "route-server neighbor {} role nva".format(NVA1)), lines
        for a in (NVA1, NVA2):
            vrstest.wait_or_fail(lambda: rs_json()["neighbors"].get(a, {}).get("managed") is True,
                 lambda: "{} not managed: {}".format(a, rs_json()["neighbors"].get(a)))
        st = rs_json()
        assert st["ipv6"] is True, st
        for a in (NVA1, NVA2):
            cfg = st["neighbors"][a]["bgpConfig"]
            assert cfg["complete"] is True and cfg["missing"] == [], (a, cfg)
        # the NVAs' IPv6 routes: ECMP over both, Internet default for ::/0
        vrstest.wait_or_fail(lambda: effective().get(P50, {}).get("nextHops") == [NVA1, NVA2],
             lambda: "{} not ECMP: {}".format(P50, effective().get(P50)))
        eff = effective()
        assert eff[P60]["nextHops"] == [NVA2], eff[P60]
        assert eff["::/0"]["nextHopType"] == "Internet", eff.get("::/0")
        assert eff["0.0.0.0/0"]["nextHopType"] == "Internet", eff.get("0.0.0.0/0")
        assert eff["10.50.0.0/24"]["nextHops"] == [NVA1_V4], eff["10.50.0.0/24"]
        # the contract, in IPv6: a route inside the VNet's space is Invalid
        assert eff[INSIDE]["state"] == "Invalid", eff[INSIDE]
        learned = vrstest.vtysh_json(
            r("rs"), "show route-server neighbor {} learned-routes json".format(NVA1))["learnedRoutes"]
        assert learned[P50]["nextHop"] == NVA1 and learned[P50]["status"] == "accepted", learned
        # the VNet's IPv6 space reaches the NVAs from the route server (a
        # peered VNet's only with gateway transit, as in IPv4)
        for node in ("nva1", "nva2"):
            vrstest.wait_or_fail(lambda: bgp_path(node, SPACE6) == (RS6, "65515"),
                 lambda: "{}'s path for {}: {}".format(node, SPACE6, bgp_path(node, SPACE6)))
        assert bgp_path("nva1", SPOKE6) is None
        # nva2's route reaches nva1 with nva2's next hop (a route server's)
        vrstest.wait_or_fail(lambda: bgp_path("nva1", P60) == (NVA2, "65515 65002"),
             lambda: "nva1's path for {}: {}".format(P60, bgp_path("nva1", P60)))
        adv = vrstest.vtysh_json(
            r("rs"), "show route-server neighbor {} advertised-routes json".format(NVA1))["advertisedRoutes"]
        assert adv[P60]["nextHop"] == NVA2, adv.get(P60)
        # an IPv4 session carries no IPv6 route, and the reverse
        v4 = vrstest.vtysh_json(r("nva1"), "show bgp ipv4 unicast json").get("routes", {})
        assert not [p for p in v4 if ":" in p], v4
        # the lines bgpd needs, per address-family block
        bc = r("rs").vtysh_cmd("show route-server bgp-config", daemon="bgpd")
        v6 = bc[bc.index(" address-family ipv6 unicast"):]
        for a in (NVA1, NVA2):
            for l in ("activate", "soft-reconfiguration inbound", "route-map VRS-RS-IN in",
                      "route-map VRS-RS-OUT-NVA out"):
                assert "  neighbor {} {}\n".format(a, l) in v6[:v6.index("exit-address-family")], bc
        assert "neighbor {} route-map".format(NVA1_V4) not in v6, bc
        ex = vrstest.vtysh_json(r("rs"), "show route-server explain {} json".format(P50))
        assert ex["prefix"] == P50, ex

        # off is refused while IPv6 is in use
        mid = running()
        out = conf("no route-server ipv6")
        got = vrstest.percent(out)
        assert len(got) == 1 and got[0].endswith(WHY), out
        assert running() == mid
    finally:
        out = conf(*["no " + l for l in reversed(readme_example())])
        assert not vrstest.percent(out), out
    assert running() == before
    ipv4_only_state()


def test_bgp_config_rows_per_family():
    """bgpd's lines are the user's: an IPv6 neighbor not active in ipv6
    unicast, or active in ipv4 unicast, is reported with the line to add
    in its address-family block."""
    sessions_up()
    before = running()
    out = conf(*readme_example())
    assert not vrstest.percent(out), out
    try:
        out = vrstest.vtysh_conf(r("rs"), "router bgp 65515", "address-family ipv4 unicast",
                                 "neighbor {} activate".format(NVA2))
        assert not vrstest.percent(out), out
        vrstest.wait_or_fail(lambda: rs_json()["neighbors"][NVA2]["bgpConfig"]["missing"] ==
             ["no neighbor {} activate".format(NVA2)],
             lambda: "missing: {}".format(rs_json()["neighbors"][NVA2]["bgpConfig"]))
        text = r("rs").vtysh_cmd("show route-server", daemon="bgpd")
        assert "not managed, add: (address-family ipv4 unicast) 'no neighbor {} activate'".format(
            NVA2) in text, text
        out = vrstest.vtysh_conf(r("rs"), "router bgp 65515", "address-family ipv4 unicast",
                                 "no neighbor {} activate".format(NVA2))
        assert not vrstest.percent(out), out
        vrstest.wait_or_fail(lambda: rs_json()["neighbors"][NVA2]["bgpConfig"]["complete"] is True,
             lambda: "not complete: {}".format(rs_json()["neighbors"][NVA2]["bgpConfig"]))
    finally:
        out = conf(*["no " + l for l in reversed(readme_example())])
        assert not vrstest.percent(out), out
    assert running() == before


def test_no_leaks_at_exit():
    assert vrstest.assert_no_leaks(get_topogen())
