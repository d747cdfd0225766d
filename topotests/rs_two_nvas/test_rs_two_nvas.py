#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Route server (bgpd_rs, AS 65515) with two NVAs that both advertise the
same on-prem prefix: module loaded, YANG config through the project's vtysh,
running-config round trip across a bgpd restart, and failover to the second
NVA when the first one's link goes down (BFD, polled).

    nva1 (65001) .11 --\
                        s1 10.0.0.0/24 -- rs (65515) .4
    nva2 (65002) .12 --/

The topology is configs/rs-two-nvas (the same one scripts/lab runs).
"""

import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topolog import logger  # noqa: E402

import vrstest  # noqa: E402

pytestmark = [pytest.mark.bgpd, pytest.mark.bfdd]

PREFIX = "10.200.0.0/16"


TOPO = vrstest.load_topology("rs-two-nvas")


def setup_module(mod):
    vrstest.setup_topogen(mod, TOPO)


def teardown_module(mod):
    vrstest.teardown_topogen(mod)


NVAS = ("10.0.0.11", "10.0.0.12")


def _skip_on_failure():
    """The running topology in its starting state (so that any test can
    run alone with -k): no daemon died, the RS's sessions with both NVAs
    and the NVAs' sessions with the RS Established, the prefix learned
    from both."""
    tgen = vrstest.tgen_or_skip()
    rs = tgen.gears["rs"]
    vrstest.wait_established({rs: NVAS, tgen.gears["nva1"]: ["10.0.0.4"],
                              tgen.gears["nva2"]: ["10.0.0.4"]})
    ok, _ = vrstest.wait_for(lambda: _hops(rs) == list(NVAS), timeout=30)
    assert ok, "starting state: RS has {} via {}".format(PREFIX, _hops(rs))
    return tgen


def _hops(rs):
    paths = vrstest.vtysh_json(rs, "show bgp ipv4 unicast {} json".format(PREFIX)).get("paths", [])
    return sorted(p["nexthops"][0]["ip"] for p in paths)


def test_module_loaded():
    tgen = _skip_on_failure()
    out = tgen.gears["rs"].vtysh_cmd("show modules", daemon="bgpd")
    assert "bgpd_rs" in out, "bgpd_rs not in show modules:\n" + out


def test_yang_config_through_vtysh():
    tgen = _skip_on_failure()
    rs = tgen.gears["rs"]
    out = vrstest.vtysh_conf(rs, "router bgp 65515",
                             "route-server branch-to-branch",
                             "route-server hub-routing-preference as-path")
    assert "%" not in out, out

    result = vrstest.expect_json(rs, "show route-server json", {
        "instances": {"default": {"localAs": 65515, "branchToBranch": True,
                                  "hubRoutingPreference": "as-path"}}})
    assert result is None, result

    running = rs.vtysh_cmd("show running-config")
    for line in (" route-server\n", " route-server branch-to-branch\n",
                 " route-server hub-routing-preference as-path\n"):
        assert line in running, "missing {!r} in running-config:\n{}".format(line, running)

    nb = vrstest.vtysh_json(rs, "show configuration running json bgpd")
    inst = nb["frr-route-server:route-server"]["instance"][0]
    assert inst["vrf"] == "default"
    assert inst["branch-to-branch"] is True
    assert inst["hub-routing-preference"] == "as-path"


def test_config_file_with_module_lines():
    """The project's vtysh reads module lines from a file (what `vtysh -b`
    does with an integrated frr.conf at boot)."""
    tgen = _skip_on_failure()
    rs = tgen.gears["rs"]
    path = os.path.join(tgen.logdir, "rs-integrated.conf")
    with open(path, "w") as f:
        f.write("router bgp 65515\n route-server total-limit 9000\nexit\n")
    out = rs.run("{} -f {}".format(vrstest.VTYSH, path))
    assert "Unknown command" not in out and "%" not in out.replace("% Can't open configuration file", ""), out
    result = vrstest.expect_json(rs, "show route-server json", {
        "instances": {"default": {"totalLimit": 9000}}})
    assert result is None, result
    vrstest.vtysh_conf(rs, "router bgp 65515", "no route-server total-limit")


def test_vnet_peering_step_by_step():
    """A peering is configured one line at a time (the remote VNet has no
    address space yet at first); real conflicts are still refused."""
    tgen = _skip_on_failure()
    rs = tgen.gears["rs"]
    out = vrstest.vtysh_conf(rs, "router bgp 65515", "route-server peering spoke1")
    assert "%" not in out, out
    out = vrstest.vtysh_conf(rs, "router bgp 65515",
                             "route-server peering spoke1 address-space 10.1.128.0/17")
    assert "cannot be peered" in out and "overlap" in out, out
    out = vrstest.vtysh_conf(rs, "router bgp 65515",
                             "route-server peering spoke1 address-space 10.9.0.0/16")
    assert "%" not in out, out
    assert " route-server peering spoke1 address-space 10.9.0.0/16\n" in rs.vtysh_cmd("show running-config")
    out = vrstest.vtysh_conf(rs, "router bgp 65515", "no route-server peering spoke1")
    assert "%" not in out, out


def test_refuses_bad_input():
    tgen = _skip_on_failure()
    nva1 = tgen.gears["nva1"]
    # route-server mode is only for AS 65515; bgpd_rs is not loaded on the
    # NVA, so the daemon itself rejects the command.
    out = vrstest.vtysh_conf(nva1, "router bgp 65001", "route-server")
    assert "%" in out, out
    rs = tgen.gears["rs"]
    before = vrstest.vtysh_json(rs, "show route-server json")["instances"]["default"]["hubRoutingPreference"]
    running = rs.vtysh_cmd("show running-config")
    out = vrstest.vtysh_conf(rs, "router bgp 65515",
                             "route-server hub-routing-preference cheapest")
    assert "%" in out, out
    # The running state is untouched.
    result = vrstest.expect_json(rs, "show route-server json", {
        "instances": {"default": {"hubRoutingPreference": before}}}, count=1)
    assert result is None, result
    assert rs.vtysh_cmd("show running-config") == running


def test_restart_from_saved_config():
    tgen = _skip_on_failure()
    rs = tgen.gears["rs"]
    # What test_yang_config_through_vtysh sets (again: -k runs this alone).
    out = vrstest.vtysh_conf(rs, "router bgp 65515", "route-server branch-to-branch",
                             "route-server hub-routing-preference as-path")
    assert "%" not in out, out
    out = rs.run("{} -c 'write memory'".format(vrstest.VTYSH))
    saved = rs.run("cat /etc/frr/bgpd.conf /etc/frr/frr.conf 2>/dev/null")
    assert " route-server branch-to-branch" in saved, out + saved

    rs.killDaemons(["bgpd"])
    rs.startDaemons(["bgpd"])

    result = vrstest.expect_json(rs, "show route-server json", {
        "instances": {"default": {"branchToBranch": True,
                                  "hubRoutingPreference": "as-path"}}})
    assert result is None, "settings lost across restart: {}".format(result)
    running = rs.vtysh_cmd("show running-config")
    assert " route-server branch-to-branch\n" in running, running


def test_prefix_learned_from_both_nvas():
    tgen = _skip_on_failure()
    rs = tgen.gears["rs"]
    result = vrstest.expect_json(rs, "show route-server json", {
        "instances": {"default": {"neighbors": {
            "10.0.0.11": {"state": "Established", "pfxRcd": 1},
            "10.0.0.12": {"state": "Established", "pfxRcd": 1}}}}}, count=120)
    assert result is None, result

    def both_paths():
        paths = vrstest.vtysh_json(rs, "show bgp ipv4 unicast {} json".format(PREFIX)).get("paths", [])
        hops = sorted(p["nexthops"][0]["ip"] for p in paths)
        return hops == ["10.0.0.11", "10.0.0.12"]

    ok, _ = vrstest.wait_for(both_paths, timeout=30)
    assert ok, "RS did not learn {} from both NVAs".format(PREFIX)


def test_operational_state_in_yang():
    """The same counters through the northbound (config false state)."""
    tgen = _skip_on_failure()
    rs = tgen.gears["rs"]

    def state():
        data = vrstest.vtysh_json(rs, "show yang operational-data /frr-route-server:route-server bgpd")
        inst = data.get("frr-route-server:route-server", {}).get("instance", [{}])[0]
        nbrs = {n["address"]: n.get("state", {}) for n in inst.get("neighbor", [])}
        return (inst.get("state", {}).get("established-neighbors") == 2 and
                inst["state"].get("accepted-routes") == 2 and
                all(nbrs.get(a, {}).get("session-state") == "Established" and
                    nbrs[a].get("accepted") == 1 for a in ("10.0.0.11", "10.0.0.12")))

    ok, _ = vrstest.wait_for(state, timeout=30)
    assert ok, rs.vtysh_cmd("show yang operational-data /frr-route-server:route-server bgpd")


def test_nva_module_reports_peering():
    tgen = _skip_on_failure()
    nva1 = tgen.gears["nva1"]
    assert "bgpd_nva" in nva1.vtysh_cmd("show modules", daemon="bgpd")
    result = vrstest.expect_json(nva1, "show route-server-peering json", {
        "instances": {"default": {"localAs": 65001, "routeServerPeers": {
            "10.0.0.4": {"state": "Established", "asOverride": True, "pfxSnt": 1}}}}})
    assert result is None, result
    warnings = vrstest.vtysh_json(nva1, "show route-server-peering json")["instances"]["default"]["warnings"]
    # This NVA peers a single route-server instance: the module says so.
    assert any("only one route-server instance" in w for w in warnings), warnings

    # Without as-override the module warns about dropped routes.
    out = vrstest.vtysh_conf(nva1, "router bgp 65001", "address-family ipv4 unicast",
                             "no neighbor 10.0.0.4 as-override")
    assert "%" not in out, out
    try:
        def warned():
            js = vrstest.vtysh_json(nva1, "show route-server-peering json")
            return any("no as-override towards 10.0.0.4" in w
                       for w in js["instances"]["default"]["warnings"])

        ok, _ = vrstest.wait_for(warned, timeout=10)
        assert ok, vrstest.vtysh_json(nva1, "show route-server-peering json")
    finally:
        vrstest.vtysh_conf(nva1, "router bgp 65001", "address-family ipv4 unicast",
                           "neighbor 10.0.0.4 as-override")
    result = vrstest.expect_json(nva1, "show route-server-peering json", {
        "instances": {"default": {"routeServerPeers": {"10.0.0.4": {"asOverride": True}}}}})
    assert result is None, result


def test_failover_to_second_nva():
    tgen = _skip_on_failure()
    rs = tgen.gears["rs"]
    nva1 = tgen.gears["nva1"]

    nva1.run("ip link set nva1-eth0 down")

    def only_nva2():
        paths = vrstest.vtysh_json(rs, "show bgp ipv4 unicast {} json".format(PREFIX)).get("paths", [])
        return [p["nexthops"][0]["ip"] for p in paths] == ["10.0.0.12"]

    ok, secs = vrstest.wait_for(only_nva2, timeout=20, interval=0.05)
    assert ok, "RS still uses nva1 after its link went down"
    logger.info("failover to nva2 after %.2f s", secs)

    nva1.run("ip link set nva1-eth0 up")
    result = vrstest.expect_json(rs, "show route-server json", {
        "instances": {"default": {"neighbors": {
            "10.0.0.11": {"state": "Established", "pfxRcd": 1}}}}}, count=120)
    assert result is None, "nva1 did not come back: {}".format(result)


def test_clean_shutdown_no_module_leaks():
    tgen = _skip_on_failure()
    vrstest.assert_no_leaks(tgen)
