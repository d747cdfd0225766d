#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Summaries of peering route-maps (issue 15, part 3: Azure's summarize).

    nva1 (65001) .11 --\\
    nva2 (65002) .12 ---- s1 10.0.0.0/24 -- rs (65515) .4
    nva3 (65003) .13 --/

rs (configs/rs-summary, the README's example) has NVA2-OUT (permit all)
on nva2's peering with the summary 10.60.0.0/16. nva1 sends 10.60.1.0/24
and 10.60.2.0/24 (community 65001:60) and 10.70.0.0/16. nva2 gets
10.60.0.0/16 once (AS path 65515, no community, next hop rs) instead of
the two; nva3 (no map) gets the two and never the summary; the VNet's
effective routes keep the two. Every check polls.
"""

import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

import vrstest  # noqa: E402

pytestmark = [pytest.mark.bgpd]

TOPO = vrstest.load_topology("rs-summary")
NVA1, NVA2, NVA3 = "10.0.0.11", "10.0.0.12", "10.0.0.13"
SUMMARY = "10.60.0.0/16"
SPECIFICS = ["10.60.1.0/24", "10.60.2.0/24"]
SUMMARY_LINE = "route-server route-map NVA2-OUT summarize 10.60.0.0/16"


def setup_module(mod):
    vrstest.setup_topogen(mod, TOPO)


def teardown_module(mod):
    vrstest.teardown_topogen(mod)


def g(name):
    return vrstest.tgen_or_skip().gears[name]


def js(router, cmd):
    return vrstest.vtysh_json(g(router), cmd)


def bgp_path(router, prefix):
    """router's selected path of prefix: (AS path, communities, next hop), or None."""
    paths = js(router, "show bgp ipv4 unicast {} json".format(prefix)).get("paths", [])
    for p in paths:
        if p.get("bestpath", {}).get("overall"):
            nh = (p.get("nexthops") or [{}])[0].get("ip", "")
            return (p.get("aspath", {}).get("string", ""),
                    p.get("community", {}).get("string", ""), nh)
    return None


def table(router):
    """The prefixes of router's IPv4 unicast table inside 10.60.0.0/16."""
    routes = js(router, "show bgp ipv4 unicast json").get("routes", {})
    return sorted(p for p in routes if p.startswith("10.60."))


def rs_conf(*lines):
    return vrstest.vtysh_conf(g("rs"), *lines)


def rs_bgp(*lines):
    return rs_conf("router bgp 65515", *lines)


def running():
    return g("rs").vtysh_cmd("show running-config", daemon="bgpd")


def rs_lines():
    return [line.strip() for line in running().splitlines() if line.strip().startswith("route-server")]


def summaries():
    return js("rs", "show route-server json")["instances"]["default"].get("summaries")


def start():
    """Sessions up, nva1's routes learned, the summary at nva2."""
    vrstest.wait_established({g("rs"): [NVA1, NVA2, NVA3], g("nva1"): ["10.0.0.4"],
                              g("nva2"): ["10.0.0.4"], g("nva3"): ["10.0.0.4"]})
    for p in SPECIFICS:
        vrstest.wait_or_fail(lambda p=p: bgp_path("rs", p) is not None, "rs never learned " + p)
    vrstest.wait_or_fail(lambda: table("nva2") == [SUMMARY], lambda: "nva2's 10.60/16 routes: {}".format(table("nva2")))


def test_readme_example_is_the_config():
    """The README's summary example is rs's config."""
    conf = open(TOPO.node_conf("rs", "bgpd")).read()
    for line in vrstest.readme_example("rs-summary"):
        if line.strip() and not line.startswith("!") and line.strip() != "...":
            assert line in conf.splitlines(), "README line not in configs/rs-summary/rs/bgpd.conf: " + line


def test_summary_instead_of_specifics():
    start()
    vrstest.wait_or_fail(lambda: bgp_path("nva2", SUMMARY) == ("65515", "", "10.0.0.4"),
         lambda: "nva2's summary: {}".format(bgp_path("nva2", SUMMARY)))
    for p in SPECIFICS:
        assert bgp_path("nva2", p) is None, (p, bgp_path("nva2", p))
    # a route outside the summary reaches nva2 as usual
    vrstest.wait_or_fail(lambda: bgp_path("nva2", "10.70.0.0/16") == ("65515 65001", "65001:60", NVA1),
         lambda: "nva2's 10.70.0.0/16: {}".format(bgp_path("nva2", "10.70.0.0/16")))
    adv = js("rs", "show route-server neighbor {} advertised-routes json".format(NVA2))["advertisedRoutes"]
    assert SUMMARY in adv and not any(p in adv for p in SPECIFICS), adv
    assert adv[SUMMARY]["asPath"] == "65515", adv[SUMMARY]
    assert adv[SUMMARY]["routeMap"]["verdict"] == "summary", adv[SUMMARY]
    assert summaries() == {"NVA2-OUT": [{"prefix": SUMMARY, "advertised": True}]}, summaries()


def test_others_get_specifics_not_summary():
    start()
    vrstest.wait_or_fail(lambda: table("nva3") == SPECIFICS, lambda: "nva3's 10.60/16 routes: {}".format(table("nva3")))
    for p in SPECIFICS:
        assert bgp_path("nva3", p) == ("65515 65001", "65001:60", NVA1), bgp_path("nva3", p)
    # nva1 (no map) never gets the summary either; rs keeps it to itself
    assert table("nva1") == SPECIFICS, table("nva1")
    assert bgp_path("nva1", SUMMARY) is None
    adv = js("rs", "show route-server neighbor {} advertised-routes json".format(NVA3))["advertisedRoutes"]
    assert SUMMARY not in adv and all(p in adv for p in SPECIFICS), adv


def test_vms_keep_specifics():
    start()

    def eff():
        routes = js("rs", "show route-server effective-routes json").get("vnets", {}).get("hub", [])
        return sorted(r["prefix"] for r in routes if r["prefix"].startswith("10.60."))

    vrstest.wait_or_fail(lambda: eff() == SPECIFICS, lambda: "VNet hub's 10.60/16 routes: {}".format(eff()))


def test_explain_says_summarized():
    start()
    ex = js("rs", "show route-server explain 10.60.1.0/24 json")
    o = {o["neighbor"]: o for o in ex["outbound"]}
    assert o[NVA2]["verdict"] == "withheld" and o[NVA2]["reason"] == "summarized", o[NVA2]
    assert o[NVA2]["routeMap"]["verdict"] == "summarized", o[NVA2]
    assert o[NVA2]["routeMap"]["summary"] == SUMMARY, o[NVA2]
    assert o[NVA3]["verdict"] == "advertised" and o[NVA3]["sent"] is True, o[NVA3]
    text = g("rs").vtysh_cmd("show route-server explain 10.60.1.0/24", daemon="bgpd")
    assert "summarized into 10.60.0.0/16 for this neighbor" in text, text
    # the summary itself: to nva2 only, the map not applied to it
    ex = js("rs", "show route-server explain 10.60.0.0/16 json")
    o = {o["neighbor"]: o for o in ex["outbound"]}
    assert o[NVA2]["verdict"] == "advertised" and o[NVA2]["sent"] is True, o[NVA2]
    assert o[NVA2]["routeMap"]["verdict"] == "summary", o[NVA2]
    for n in (NVA1, NVA3):
        assert o[n]["verdict"] == "withheld" and o[n]["reason"] == "summary", o[n]
        assert o[n]["sent"] is False, o[n]
    # nva1's learned routes say for whom they are summarised
    learned = js("rs", "show route-server neighbor {} learned-routes json".format(NVA1))["learnedRoutes"]
    for p in SPECIFICS:
        assert learned[p]["summarized"] == {NVA2: SUMMARY}, learned[p]
    assert "summarized" not in learned["10.70.0.0/16"], learned["10.70.0.0/16"]
    text = g("rs").vtysh_cmd("show route-server neighbor {} learned-routes".format(NVA1), daemon="bgpd")
    assert "summarized into 10.60.0.0/16 for neighbor 10.0.0.12" in text, text


def test_withdrawing_specifics_withdraws_summary():
    start()
    vrstest.vtysh_conf(g("nva1"), "router bgp 65001", "address-family ipv4 unicast",
                       "no network 10.60.1.0/24")
    vrstest.wait_or_fail(lambda: bgp_path("rs", "10.60.1.0/24") is None, "10.60.1.0/24 not withdrawn")
    # one route left inside: the summary stays
    assert table("nva2") == [SUMMARY], table("nva2")
    vrstest.vtysh_conf(g("nva1"), "router bgp 65001", "address-family ipv4 unicast",
                       "no network 10.60.2.0/24")
    vrstest.wait_or_fail(lambda: table("nva2") == [], lambda: "summary not withdrawn: {}".format(table("nva2")))
    assert summaries() == {"NVA2-OUT": [{"prefix": SUMMARY, "advertised": False}]}, summaries()
    assert bgp_path("rs", SUMMARY) is None, bgp_path("rs", SUMMARY)
    vrstest.vtysh_conf(g("nva1"), "router bgp 65001", "address-family ipv4 unicast",
                       "network 10.60.1.0/24", "network 10.60.2.0/24")
    vrstest.wait_or_fail(lambda: table("nva2") == [SUMMARY], lambda: "summary not back: {}".format(table("nva2")))
    vrstest.wait_or_fail(lambda: table("nva3") == SPECIFICS, lambda: "nva3: {}".format(table("nva3")))


VNET_WHY = ("a summary must lie outside the address spaces of the route server's VNet and of "
            "its peered VNets (the VNet address space cannot be changed, as in Azure)")

REFUSED = [
    ("vnet-space", "route-server route-map NVA2-OUT summarize 10.1.0.0/16",
     "% route-map NVA2-OUT: summary 10.1.0.0/16 is the address space 10.1.0.0/16 of the "
     "route server's VNet hub: " + VNET_WHY),
    ("inside-vnet-space", "route-server route-map NVA2-OUT summarize 10.1.8.0/24",
     "% route-map NVA2-OUT: summary 10.1.8.0/24 is inside the address space 10.1.0.0/16 of the "
     "route server's VNet hub: " + VNET_WHY),
    ("contains-vnet-space", "route-server route-map NVA2-OUT summarize 10.0.0.0/8",
     "% route-map NVA2-OUT: summary 10.0.0.0/8 contains the address space 10.1.0.0/16 of the "
     "route server's VNet hub: " + VNET_WHY),
    ("ipv6-without-opt-in", "route-server route-map NVA2-OUT summarize fd00:60::/32",
     "% route-map NVA2-OUT: summary fd00:60::/32 is IPv6: the route server is IPv4 only unless "
     "'route-server ipv6' is set (as in Azure, whose route server has no IPv6)"),
    ("overlap", "route-server route-map NVA2-OUT summarize 10.60.4.0/24",
     "% route-map NVA2-OUT: summaries 10.60.0.0/16 and 10.60.4.0/24 overlap; the summaries of "
     "one route-map must be disjoint"),
    ("inbound-map", "route-server neighbor 10.0.0.11 route-map NVA2-OUT in",
     "% route-map NVA2-OUT has summaries and is neighbor 10.0.0.11's inbound map: a summary "
     "replaces the routes a neighbor receives, so only outbound maps take summaries; use "
     "another map inbound"),
    ("space-under-summary", "route-server address-space 10.60.0.0/20",
     "% route-map NVA2-OUT: summary 10.60.0.0/16 contains the address space 10.60.0.0/20 of the "
     "route server's VNet hub: " + VNET_WHY),
]


@pytest.mark.parametrize("name,line,why", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused(name, line, why):
    start()
    before = running()
    out = rs_bgp(line)
    assert out.strip() == why, out
    assert running() == before


def test_remove_restores_running_config():
    """Without the summary nva2 gets the two specifics; with it again, the
    summary; running-config is as before, line for line."""
    start()
    before = running()
    assert SUMMARY_LINE in rs_lines(), rs_lines()
    out = rs_bgp("no " + SUMMARY_LINE)
    assert "%" not in out, out
    assert SUMMARY_LINE not in rs_lines(), rs_lines()
    vrstest.wait_or_fail(lambda: table("nva2") == SPECIFICS, lambda: "nva2 without the summary: {}".format(table("nva2")))
    for p in SPECIFICS:
        vrstest.wait_or_fail(lambda p=p: bgp_path("nva2", p) == ("65515 65001", "65001:60", NVA1),
             lambda p=p: "nva2's {}: {}".format(p, bgp_path("nva2", p)))
    assert summaries() == {}, summaries()
    out = rs_bgp(SUMMARY_LINE)
    assert "%" not in out, out
    vrstest.wait_or_fail(lambda: table("nva2") == [SUMMARY], lambda: "summary not back: {}".format(table("nva2")))
    assert running() == before


def reload_test(text):
    """frr-reload.py --test with the project's vtysh: (adds, dels)."""
    rs = g("rs")
    conf = os.path.join(rs.logdir, "rs-reload.conf")
    with open(conf, "w") as f:
        f.write(text)
    os.chmod(conf, 0o644)
    out = rs.cmd("/usr/bin/python3 /usr/lib/frr/frr-reload.py --test --stdout --bindir {} "
                 "--confdir {} --rundir /var/run/frr --daemon bgpd {} 2>&1".format(
                     os.path.dirname(vrstest.VTYSH), rs.logdir, conf))
    assert "ERROR" not in out and "Traceback" not in out, out
    assert "Lines To Add" in out, out
    adds, dels = vrstest.reload_test_diff(out)
    return [a for a in adds if a != "no service integrated-vtysh-config"], dels


def test_frr_reload_agrees():
    start()
    saved = "\n".join(line for line in running().splitlines()
                      if not line.startswith(("Building configuration", "Current configuration"))) + "\n"
    assert reload_test(saved) == ([], [])
    adds, dels = reload_test(saved.replace(" " + SUMMARY_LINE + "\n", ""))
    assert adds == [] and dels == ["router bgp 65515", "no " + SUMMARY_LINE], (adds, dels)


def test_no_leaks_at_exit():
    tgen = vrstest.tgen_or_skip()
    assert vrstest.assert_no_leaks(tgen)
