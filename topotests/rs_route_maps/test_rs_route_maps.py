#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Route maps on peerings (issue 15, part 3): a user's route-map per
route-server neighbor and direction, chained after the module's policy.

    nva1 (65001) .11 --\\
                        s1 10.0.0.0/24 -- rs (65515) .4
    nva2 (65002) .12 --/

rs (configs/rs-route-maps, the README's example) has NVA1-IN on nva1's
peering (drops 10.202.0.0/16, prepends 10.203.0.0/16) and NVA2-OUT on
nva2's (10.201.0.0/16 with a prepend and a community, everything else
denied: the VNet space 10.1.0.0/16 still goes to nva2). nva1 sends
10.201/16, 10.202/16, 10.203/16; nva2 sends 10.210/16. Every check polls.
"""

import os
import re
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

import vrstest  # noqa: E402

pytestmark = [pytest.mark.bgpd]

TOPO = vrstest.load_topology("rs-route-maps")
NVA1, NVA2 = "10.0.0.11", "10.0.0.12"
README = os.path.join(CWD, "..", "..", "README.md")


def setup_module(mod):
    vrstest.setup_topogen(mod, TOPO)


def teardown_module(mod):
    vrstest.teardown_topogen(mod)


def g(name):
    return vrstest.tgen_or_skip().gears[name]


def js(router, cmd):
    return vrstest.vtysh_json(g(router), cmd)


def wait(pred, what, timeout=30):
    ok, _ = vrstest.wait_for(pred, timeout=timeout, interval=0.2)
    assert ok, what() if callable(what) else what


def bgp_path(router, prefix):
    """The selected path of router for prefix: (AS path, communities), or None."""
    paths = js(router, "show bgp ipv4 unicast {} json".format(prefix)).get("paths", [])
    for p in paths:
        if p.get("bestpath", {}).get("overall"):
            return (p.get("aspath", {}).get("string", ""),
                    p.get("community", {}).get("string", ""))
    return None


def rs_conf(*lines):
    out = vrstest.vtysh_conf(g("rs"), *lines)
    return out


def rs_bgp(*lines):
    return rs_conf("router bgp 65515", *lines)


def running():
    return g("rs").vtysh_cmd("show running-config", daemon="bgpd")


def rs_lines():
    return [line.strip() for line in running().splitlines() if line.strip().startswith("route-server")]


def start():
    """The starting state: sessions up, nva1's routes learned as the maps say."""
    vrstest.wait_established({g("rs"): [NVA1, NVA2], g("nva1"): ["10.0.0.4"],
                              g("nva2"): ["10.0.0.4"]})
    wait(lambda: bgp_path("rs", "10.201.0.0/16") is not None, "rs never learned 10.201.0.0/16")
    wait(lambda: bgp_path("rs", "10.203.0.0/16") is not None, "rs never learned 10.203.0.0/16")


def test_readme_example_is_the_config():
    """The README's "Route maps on peerings" example is rs's config."""
    text = open(README).read()
    m = re.search(r"<!-- example: rs-route-maps[^>]*-->\s*```\n(.*?)```", text, re.S)
    assert m, "no rs-route-maps example in README.md"
    conf = open(TOPO.node_conf("rs", "bgpd")).read()
    for line in m.group(1).splitlines():
        if line.strip() and not line.startswith("!") and line.strip() != "...":
            assert line in conf.splitlines(), "README line not in configs/rs-route-maps/rs/bgpd.conf: " + line


def test_inbound_deny_drops():
    start()
    wait(lambda: bgp_path("rs", "10.202.0.0/16") is None, "10.202.0.0/16 not dropped by NVA1-IN")
    learned = js("rs", "show route-server neighbor {} learned-routes json".format(NVA1))["learnedRoutes"]
    r = learned["10.202.0.0/16"]
    assert r["status"] == "dropped" and r["reason"] == "routeMap", r
    assert r["routeMap"] == {"name": "NVA1-IN", "direction": "in", "verdict": "denied", "ignored": []}, r
    assert learned["10.201.0.0/16"]["routeMap"]["verdict"] == "permitted", learned
    nbrs = js("rs", "show route-server json")["instances"]["default"]["neighbors"]
    assert nbrs[NVA1]["droppedByReason"]["routeMap"] == 1, nbrs[NVA1]
    ex = js("rs", "show route-server explain 10.202.0.0/16 json")
    c = [c for c in ex["candidates"] if c["neighbor"] == NVA1][0]
    assert c["verdict"] == "dropped" and c["reason"] == "routeMap", c
    assert c["routeMap"]["verdict"] == "denied", c
    text = g("rs").vtysh_cmd("show route-server explain 10.202.0.0/16", daemon="bgpd")
    assert "route-map NVA1-IN (in) denies it: dropped" in text, text
    # the az shape keeps the cloud's fields only, and lists accepted routes
    az = js("rs", "show route-server neighbor {} learned-routes az".format(NVA1))
    nets = {r["network"]: r for r in az["RouteServiceRole_IN_0"]}
    assert "10.202.0.0/16" not in nets and "10.201.0.0/16" in nets, az
    assert sorted(nets["10.201.0.0/16"]) == ["asPath", "localAddress", "network", "nextHop",
                                             "origin", "sourcePeer", "weight"], nets


def test_inbound_prepend():
    start()
    wait(lambda: bgp_path("rs", "10.203.0.0/16")[0] == "65001 65001 65001",
         lambda: "rs's path of 10.203.0.0/16: {}".format(bgp_path("rs", "10.203.0.0/16")))
    # nva2 would get it with 65515 in front, but NVA2-OUT denies it
    learned = js("rs", "show route-server neighbor {} learned-routes json".format(NVA1))["learnedRoutes"]
    assert learned["10.203.0.0/16"]["routeMap"]["verdict"] == "modified", learned


def test_outbound_prepend_and_community_to_nva2_only():
    start()
    wait(lambda: bgp_path("nva2", "10.201.0.0/16") == ("65515 65100 65001", "65100:1"),
         lambda: "nva2's path of 10.201.0.0/16: {}".format(bgp_path("nva2", "10.201.0.0/16")))
    # rs's own best path is unchanged, and nva1's peering has no outbound map
    assert bgp_path("rs", "10.201.0.0/16") == ("65001", ""), bgp_path("rs", "10.201.0.0/16")
    adv = js("rs", "show route-server neighbor {} advertised-routes json".format(NVA2))["advertisedRoutes"]
    assert adv["10.201.0.0/16"]["asPath"] == "65515 65100 65001", adv
    assert adv["10.201.0.0/16"]["routeMap"]["verdict"] == "modified", adv
    ex = js("rs", "show route-server explain 10.201.0.0/16 json")
    o = [o for o in ex["outbound"] if o["neighbor"] == NVA2][0]
    assert o["verdict"] == "advertised" and o["routeMap"]["applied"] is True, o


def test_outbound_deny_withholds():
    start()
    wait(lambda: bgp_path("nva1", "10.210.0.0/16") is not None, "nva1 never got nva2's 10.210.0.0/16")
    wait(lambda: bgp_path("nva2", "10.201.0.0/16") is not None, "nva2 never got 10.201.0.0/16")
    assert bgp_path("nva2", "10.203.0.0/16") is None, bgp_path("nva2", "10.203.0.0/16")
    ex = js("rs", "show route-server explain 10.203.0.0/16 json")
    o = [o for o in ex["outbound"] if o["neighbor"] == NVA2][0]
    assert o["verdict"] == "withheld" and o["reason"] == "routeMap", o
    assert o["routeMap"]["verdict"] == "denied", o


def test_vnet_space_untouchable():
    """NVA2-OUT denies everything but 10.201.0.0/16: the VNet space still
    reaches nva2, unchanged (no prepend, no community)."""
    start()
    wait(lambda: bgp_path("nva2", "10.1.0.0/16") == ("65515", ""),
         lambda: "nva2's path of the VNet space: {}".format(bgp_path("nva2", "10.1.0.0/16")))
    ex = js("rs", "show route-server explain 10.1.0.0/16 json")
    o = [o for o in ex["outbound"] if o["neighbor"] == NVA2][0]
    assert o["verdict"] == "advertised" and o["routeMap"]["verdict"] == "exempt", o
    text = g("rs").vtysh_cmd("show route-server explain 10.1.0.0/16", daemon="bgpd")
    assert "cannot be changed or withheld by a route map" in text, text


def test_missing_map_denies_and_no_restores():
    start()
    out = rs_bgp("route-server neighbor {} route-map NO-SUCH-MAP in".format(NVA1))
    assert "%" not in out, out
    wait(lambda: bgp_path("rs", "10.201.0.0/16") is None, "a missing inbound map did not deny")
    learned = js("rs", "show route-server neighbor {} learned-routes json".format(NVA1))["learnedRoutes"]
    assert learned["10.201.0.0/16"]["routeMap"]["verdict"] == "notDefined", learned
    out = rs_bgp("no route-server neighbor {} route-map in".format(NVA1))
    assert "%" not in out, out
    assert not any("route-map" in line and NVA1 in line for line in rs_lines()), rs_lines()
    # without a map nva1's routes all come in, 10.202 too
    wait(lambda: bgp_path("rs", "10.202.0.0/16") is not None, "10.202.0.0/16 not back without a map")
    out = rs_bgp("route-server neighbor {} route-map NVA1-IN in".format(NVA1))
    assert "%" not in out, out
    wait(lambda: bgp_path("rs", "10.202.0.0/16") is None, "NVA1-IN not back in effect")


def test_map_changed_later_is_followed_and_checked():
    """A referenced map changed after the fact: bgpd re-runs it (the
    module's dependency), a 4-byte prepend is ignored and reported."""
    start()
    wait(lambda: bgp_path("rs", "10.203.0.0/16")[0] == "65001 65001 65001", "not prepended")
    rs_conf("route-map NVA1-IN permit 20", "set as-path prepend 4200000001")
    wait(lambda: bgp_path("rs", "10.203.0.0/16")[0] == "65001",
         lambda: "4-byte prepend not ignored: {}".format(bgp_path("rs", "10.203.0.0/16")))
    learned = js("rs", "show route-server neighbor {} learned-routes json".format(NVA1))["learnedRoutes"]
    assert learned["10.203.0.0/16"]["routeMap"]["ignored"] == ["asPath4Byte"], learned
    text = g("rs").vtysh_cmd("show route-server explain 10.203.0.0/16", daemon="bgpd")
    assert "adds a 4-byte ASN" in text, text
    # and the same name refused when it is given now (the map is there)
    before = running()
    out = rs_bgp("route-server neighbor {} route-map NVA1-IN out".format(NVA1))
    assert "AS 4200000001 is not a 2-byte AS number" in out, out
    assert running() == before
    rs_conf("route-map NVA1-IN permit 20", "set as-path prepend 65001 65001")
    wait(lambda: bgp_path("rs", "10.203.0.0/16")[0] == "65001 65001 65001", "prepend not back")


def test_outbound_map_changed_later_is_followed():
    """A change of NVA2-OUT reaches nva2 (the chained map depends on it);
    then a 4-byte prepend in it is ignored, the community still taken."""
    start()
    wait(lambda: bgp_path("nva2", "10.201.0.0/16") == ("65515 65100 65001", "65100:1"), "start")
    rs_conf("route-map NVA2-OUT permit 10", "set community 65100:2 additive")
    wait(lambda: bgp_path("nva2", "10.201.0.0/16") == ("65515 65100 65001", "65100:2"),
         lambda: "NVA2-OUT change not applied: {}".format(bgp_path("nva2", "10.201.0.0/16")))
    rs_conf("route-map NVA2-OUT permit 10", "set as-path prepend 4200000001")
    wait(lambda: bgp_path("nva2", "10.201.0.0/16") == ("65515 65001", "65100:2"),
         lambda: "4-byte prepend not ignored outbound: {}".format(bgp_path("nva2", "10.201.0.0/16")))
    ex = js("rs", "show route-server explain 10.201.0.0/16 json")
    o = [o for o in ex["outbound"] if o["neighbor"] == NVA2][0]
    assert o["routeMap"]["ignored"] == ["asPath4Byte"], o
    rs_conf("route-map NVA2-OUT permit 10", "set as-path prepend 65100", "set community 65100:1 additive")
    wait(lambda: bgp_path("nva2", "10.201.0.0/16") == ("65515 65100 65001", "65100:1"),
         lambda: "NVA2-OUT not back: {}".format(bgp_path("nva2", "10.201.0.0/16")))


def test_outbound_map_pending_until_bgpd_line():
    """An outbound map on nva1's peering is shown pending until bgpd's
    line names the chained map; nva1 stays managed meanwhile."""
    start()
    out = rs_bgp("route-server neighbor {} route-map NVA2-OUT out".format(NVA1))
    assert "%" not in out, out
    nb = js("rs", "show route-server json")["instances"]["default"]["neighbors"][NVA1]
    assert nb["managed"] is True, nb
    assert nb["bgpConfig"]["routeMapPending"] == [
        "neighbor {} route-map VRS-RS-OUT-NVA+NVA2-OUT out".format(NVA1)], nb
    conf = g("rs").vtysh_cmd("show route-server bgp-config", daemon="bgpd")
    assert "  neighbor {} route-map VRS-RS-OUT-NVA+NVA2-OUT out".format(NVA1) in conf, conf
    rs_bgp("no route-server neighbor {} route-map NVA2-OUT out".format(NVA1))
    nb = js("rs", "show route-server json")["instances"]["default"]["neighbors"][NVA1]
    assert "routeMapPending" not in nb["bgpConfig"] and nb["managed"] is True, nb
    nb = js("rs", "show route-server json")["instances"]["default"]["neighbors"][NVA2]
    assert nb["bgpConfig"]["routeMapPending"] == [] and nb["bgpConfig"]["complete"], nb


def reload(mode, text):
    """frr-reload.py (what `systemctl reload frr` runs) with the project's
    vtysh against rs's bgpd; returns (adds, dels) of --test, or the output."""
    rs = g("rs")
    conf = os.path.join(rs.logdir, "rs-reload.conf")
    with open(conf, "w") as f:
        f.write(text)
    os.chmod(conf, 0o644)
    out = rs.cmd("/usr/bin/python3 /usr/lib/frr/frr-reload.py {} --stdout --bindir {} "
                 "--confdir {} --rundir /var/run/frr --daemon bgpd {} 2>&1".format(
                     mode, os.path.dirname(vrstest.VTYSH), rs.logdir, conf))
    assert "ERROR" not in out and "Traceback" not in out, out
    if mode != "--test":
        return out
    assert "Lines To Add" in out, out
    adds, dels = vrstest.reload_test_diff(out)
    # FRR's topotest routers run without the integrated config: not ours
    return [a for a in adds if a != "no service integrated-vtysh-config"], dels


def saved():
    """running-config as a file (without show running-config's banner)."""
    return "\n".join(line for line in running().splitlines()
                     if not line.startswith(("Building configuration", "Current configuration"))) + "\n"


def test_running_config_round_trip():
    """running-config has the lines as written; frr-reload.py finds
    nothing to change in it, removes a route-map line taken out of the
    file (10.202.0.0/16 comes back) and puts it back from the saved file."""
    start()
    lines = rs_lines()
    assert lines[-4:] == ["route-server neighbor 10.0.0.11 role nva",
                          "route-server neighbor 10.0.0.11 route-map NVA1-IN in",
                          "route-server neighbor 10.0.0.12 role nva",
                          "route-server neighbor 10.0.0.12 route-map NVA2-OUT out"], lines
    orig = saved()
    adds, dels = reload("--test", orig)
    assert (adds, dels) == ([], []), (adds, dels)

    line = " route-server neighbor 10.0.0.11 route-map NVA1-IN in\n"
    assert line in orig
    without = orig.replace(line, "")
    adds, dels = reload("--test", without)
    assert adds == [] and dels == ["router bgp 65515",
                                   "no route-server neighbor 10.0.0.11 route-map NVA1-IN in"], (adds, dels)
    reload("--reload", without)
    wait(lambda: "route-server neighbor 10.0.0.11 route-map NVA1-IN in" not in rs_lines(),
         lambda: "frr-reload did not remove the line: {}".format(rs_lines()))
    wait(lambda: bgp_path("rs", "10.202.0.0/16") is not None, "10.202.0.0/16 not back without the map")

    reload("--reload", orig)
    wait(lambda: rs_lines() == lines, lambda: "not back after reload: {}".format(rs_lines()))
    wait(lambda: bgp_path("rs", "10.202.0.0/16") is None, "NVA1-IN not in effect after reload")
    assert reload("--test", saved()) == ([], [])


def test_no_leaks_at_exit():
    tgen = vrstest.tgen_or_skip()
    assert vrstest.assert_no_leaks(tgen)
