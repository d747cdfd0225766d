#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The ExpressRoute cap holds whatever bgpd's update-group walks do.

Topology configs/rs-contract (nva1, nva2, er, vpn around the route server).
Branch-to-branch on, nva1 offers 1,005 more prefixes: er may get at most
1,000. The cap used to be computed from bgpd's update-group counters;
a full walk of the ER update group (soft out, route refresh, the
route-map delay timer) resets one of them while the routes stay
advertised, and withheld prefixes went through: with an advertisement
interval of 10 s on the ER neighbor and "clear bgp ... soft out", er
received 1,013. The module now counts what it let through itself.
"""

import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "..", "rs_contract"))
sys.path.append(os.path.join(CWD, ".."))

import rsc  # noqa: E402
import vrstest  # noqa: E402
from rsc import ER, NVA1, NVA2, VPN, r, rs_conf  # noqa: E402

pytestmark = [pytest.mark.bgpd]

EXTRA = 1005
CAP = 1000


def setup_module(mod):
    rsc.setup(mod)


def teardown_module(mod):
    rsc.teardown(mod)





def _adj_out(addr):
    """What bgpd holds as advertised (or queued) to a neighbor."""
    js = vrstest.vtysh_json(r("rs"), "show bgp ipv4 unicast neighbors {} advertised-routes json"
                            .format(addr))
    return js.get("totalPrefixCounter", 0)


def _er_cap():
    return rsc.rs_state()["expressRouteCap"]


def _established():
    summ = vrstest.vtysh_json(r("rs"), "show bgp ipv4 unicast summary json").get("peers", {})
    return all(summ.get(a, {}).get("state") == "Established" for a in (NVA1, NVA2, ER, VPN))


def test_sessions_up():
    rsc.tgen_ok()
    ok, _ = vrstest.wait_for(_established, timeout=60, interval=0.25)
    assert ok, vrstest.vtysh_json(r("rs"), "show bgp ipv4 unicast summary json")


def _assert_capped(stage):
    """bgpd's adj-out towards er, what er received and the module's own
    count: all at most the cap, and er holds exactly what bgpd advertised."""
    cap = _er_cap()
    adj = _adj_out(ER)
    assert adj <= CAP and cap["advertised"] <= CAP, \
        "{}: ExpressRoute cap exceeded: adj-out {}, module count {}".format(stage, adj, cap)
    ok, _ = vrstest.wait_for(lambda: rsc.pfx_rcd("er") == _adj_out(ER), timeout=40, interval=0.5)
    got = rsc.pfx_rcd("er")
    assert ok and got <= CAP, "{}: er received {}, RS adj-out {}".format(stage, got, _adj_out(ER))
    return got


def test_cap_survives_full_walks():
    rsc.tgen_ok()
    extra = rsc.extra_prefixes(EXTRA)
    gone = []
    rs_conf("route-server branch-to-branch")
    # The starting state: er has the gateway-side routes of branch-to-branch
    # (vpn's prefix and the VNet) before nva1 offers more.
    ok, _ = vrstest.wait_for(lambda: rsc.pfx_rcd("er") >= 2, timeout=30, interval=0.25)
    assert ok, rsc.pfx_rcd("er")
    try:
        out = rsc.speaker_file("nva1", ["router bgp 65001", "address-family ipv4 unicast"] +
                            ["network " + p for p in extra])
        assert "%" not in out, out
        # nva2 gets every one of them: the route server has them all.
        ok, _ = vrstest.wait_for(lambda: rsc.pfx_rcd("nva2") >= EXTRA, timeout=60, interval=0.5)
        assert ok, rsc.pfx_rcd("nva2")
        ok, _ = vrstest.wait_for(lambda: rsc.pfx_rcd("er") >= CAP, timeout=60, interval=0.5)
        assert ok, "er never reached the cap: {} ({})".format(rsc.pfx_rcd("er"), _er_cap())
        first = _assert_capped("initial")
        assert first == CAP, first
        assert _er_cap()["withheld"] > 0, _er_cap()

        # The reproduction: a slow ER neighbor (10 s advertisement
        # interval) and full walks of its update group.
        out = rs_conf("neighbor {} advertisement-interval 10".format(ER))
        assert "%" not in out, out
        for walk in range(3):
            before = _er_cap()["evaluations"]
            r("rs").vtysh_cmd("clear bgp ipv4 unicast {} soft out".format(ER))
            # The walk re-evaluated (at least) every prefix er has.
            ok, _ = vrstest.wait_for(lambda: _er_cap()["evaluations"] >= before + CAP,
                                     timeout=30, interval=0.2)
            assert ok, (walk, before, _er_cap())
            got = _assert_capped("soft out {}".format(walk + 1))
            assert got == CAP, got
        # A route refresh from er itself is another full walk.
        before = _er_cap()["evaluations"]
        r("er").vtysh_cmd("clear bgp ipv4 unicast {} soft in".format(rsc.RS))
        ok, _ = vrstest.wait_for(lambda: _er_cap()["evaluations"] >= before + CAP,
                                 timeout=30, interval=0.2)
        assert ok, _er_cap()
        assert _assert_capped("route refresh") == CAP
        assert rsc.rs_neighbor(ER)["state"] == "Established"

        # Withdrawals free room: prefixes held back until now go through,
        # up to the cap again (about 1,013 candidates: withdraw fewer than
        # were held back).
        has = set(rsc.bgp_routes("er"))
        gone = [p for p in extra if p in has][:5]
        assert len(gone) == 5, len(gone)
        out = rsc.speaker_file("nva1", ["router bgp 65001", "address-family ipv4 unicast"] +
                            ["no network " + p for p in gone])
        assert "%" not in out, out

        def refilled():
            routes = set(rsc.bgp_routes("er"))
            return (not routes.intersection(gone) and rsc.pfx_rcd("er") == CAP
                    and _adj_out(ER) == CAP)

        ok, _ = vrstest.wait_for(refilled, timeout=60, interval=0.5)
        assert ok, "after withdrawals: er {}, adj-out {}, {}".format(
            rsc.pfx_rcd("er"), _adj_out(ER), _er_cap())
    finally:
        rs_conf("no neighbor {} advertisement-interval 10".format(ER))
        rsc.speaker_file("nva1", ["router bgp 65001", "address-family ipv4 unicast"] +
                      ["no network " + p for p in extra if p not in gone])
        rs_conf("no route-server branch-to-branch")
    ok, _ = vrstest.wait_for(lambda: rsc.pfx_rcd("er") <= 2 and _er_cap()["advertised"] <= 2,
                             timeout=60, interval=0.5)
    assert ok, (rsc.pfx_rcd("er"), _er_cap())


def test_clean_shutdown_no_module_leaks():
    tgen = rsc.tgen_for_leaks()
    vrstest.assert_no_leaks(tgen)
