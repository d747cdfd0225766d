#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""4-byte NVA ASNs as an explicit opt-in (issue 15, part 2), on real
sessions:

    nva1 (65001)      .11 --\\
                             s1 10.0.0.0/24 -- rs (65515, bgpd_rs) .4
    nva4 (4200000004) .14 --/

rs's startup file gives nva4 a role without `route-server asn-4byte`:
that line is refused (bgpd's log has the reason) while bgpd's own session
with nva4 comes up; nva4's 10.60.0.0/24 reaches no VM. The README's
example (the opt-in, then the role) makes nva4 managed: its route is in
the VNet's effective routes and reaches nva1 with nva4's 4-byte ASN in
the path. Turning the opt-in off is refused while nva4 has its role;
removing the role first gives back the startup running-config. The
topology is configs/rs-asn4byte.
"""

import json
import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topogen import get_topogen  # noqa: E402

import vrstest  # noqa: E402

pytestmark = [pytest.mark.bgpd]

TOPO = vrstest.load_topology("rs-asn4byte")
NVA1, NVA4 = "10.0.0.11", "10.0.0.14"
NVA4_AS = 4200000004
P1, P4 = "10.50.0.0/24", "10.60.0.0/24"
WITHOUT = ("ASN 4200000004 is a 4-byte ASN; only 2-byte ASNs are supported (as in Azure); "
           "the route server's 4-byte opt-in 'route-server asn-4byte' accepts it")


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


def nva1_path(prefix):
    """The AS path nva1 has for prefix ("" if it has none)."""
    js = vrstest.vtysh_json(r("nva1"), "show bgp ipv4 unicast {} json".format(prefix))
    paths = js.get("paths", [])
    return paths[0]["aspath"]["string"] if paths else ""


def readme_example():
    """The configuration lines of the README's rs-asn4byte example."""
    lines = vrstest.readme_example("rs-asn4byte")
    assert lines[0] == "router bgp 65515", lines
    return [l.strip() for l in lines[1:] if l.strip()]


def sessions_up():
    tgen = vrstest.tgen_or_skip()
    vrstest.wait_established({r("rs"): [NVA1, NVA4], r("nva4"): ["10.0.0.4"]})
    return tgen


def unmanaged_state():
    """nva4 has no role: listed unassigned and not managed, its route on
    no VM (nva1's route is the control)."""
    vrstest.wait_or_fail(lambda: P1 in effective(), lambda: "nva1's {} not effective: {}".format(P1, effective()))
    nbr = rs_json()["neighbors"].get(NVA4, {})
    assert nbr.get("role") == "unassigned" and nbr.get("managed") is False, nbr
    vrstest.wait_or_fail(lambda: P4 not in effective(), lambda: "{} effective: {}".format(P4, effective()))


def test_startup_file_refuses_role_without_opt_in():
    sessions_up()
    js = vrstest.vtysh_json(r("rs"), "show bgp neighbors {} json".format(NVA4))[NVA4]
    assert js["remoteAs"] == NVA4_AS and js["bgpState"] == "Established", js
    assert js["neighborCapabilities"]["4byteAs"] == "advertisedAndReceived", js
    assert "route-server neighbor {} role nva".format(NVA4) not in rs_lines()
    assert "route-server asn-4byte" not in rs_lines()
    log = r("rs").run("cat {}/rs/bgpd.log".format(get_topogen().logdir))
    assert "configuration refused: " + WITHOUT in log, log[-2000:]
    st = rs_json()
    assert st["asn4Byte"] is False, st
    unmanaged_state()
    text = r("rs").vtysh_cmd("show route-server", daemon="bgpd")
    assert "4-byte NVA ASNs:        refused (2-byte only)" in text, text


def test_vtysh_refuses_role_without_opt_in():
    sessions_up()
    before = running()
    out = conf("route-server neighbor {} role nva".format(NVA4))
    assert vrstest.percent(out) == [WITHOUT], out
    assert running() == before


def test_readme_example_accepts_4byte_nva():
    sessions_up()
    before = running()
    az_before = vrstest.vtysh_json(r("rs"), "show route-server az")
    out = conf(*readme_example())
    assert not vrstest.percent(out), out
    try:
        lines = rs_lines()
        assert lines.index("route-server asn-4byte") < lines.index(
            "route-server neighbor {} role nva".format(NVA4)), lines
        vrstest.wait_or_fail(lambda: rs_json()["neighbors"].get(NVA4, {}).get("managed") is True,
             lambda: "nva4 not managed: {}".format(rs_json()["neighbors"].get(NVA4)))
        vrstest.wait_or_fail(lambda: effective().get(P4, {}).get("nextHops") == [NVA4],
             lambda: "{} not effective via nva4: {}".format(P4, effective().get(P4)))
        vrstest.wait_or_fail(lambda: nva1_path(P4) == "65515 {}".format(NVA4_AS),
             lambda: "nva1's path for {}: {!r}".format(P4, nva1_path(P4)))
        st = rs_json()
        assert st["asn4Byte"] is True and st["neighbors"][NVA4]["accepted"] >= 1, st
        text = r("rs").vtysh_cmd("show route-server", daemon="bgpd")
        assert "4-byte NVA ASNs:        accepted (asn-4byte)" in text, text
        # the az shapes are the cloud's: nothing of the opt-in in them
        az = vrstest.vtysh_json(r("rs"), "show route-server az")
        assert set(_keys(az)) == set(_keys(az_before)), (az_before, az)
        assert "asn4" not in json.dumps(az).lower(), az

        # off is refused while nva4 has its role, naming it
        mid = running()
        out = conf("no route-server asn-4byte")
        assert vrstest.percent(out) == [
            "4-byte ASNs are in use by route-server neighbor {} (AS {}): remove its role "
            "first ('no route-server neighbor A', before or in the same commit); without "
            "'route-server asn-4byte' NVAs must use 2-byte ASNs".format(NVA4, NVA4_AS)], out
        assert running() == mid
        assert rs_json()["neighbors"][NVA4]["managed"] is True

        # reserved 4-byte ASNs stay refused with the opt-in; no hint at it
        for asn, why in ((65540, "reserved by IANA for documentation (65536-65551, RFC 5398)"),
                         (100000, "reserved by IANA (65552-131071"),
                         (23456, "AS_TRANS")):
            out = conf("neighbor 10.0.0.99 remote-as {}".format(asn))
            assert not vrstest.percent(out), out
            try:
                pre = running()
                out = conf("route-server neighbor 10.0.0.99 role nva")
                got = vrstest.percent(out)
                assert len(got) == 1 and why in got[0] and "asn-4byte" not in got[0], out
                assert running() == pre
            finally:
                conf("no neighbor 10.0.0.99")
        assert running() == mid
    finally:
        out = conf("no route-server neighbor {}".format(NVA4), "no route-server asn-4byte")
        assert not vrstest.percent(out), out
    assert running() == before
    unmanaged_state()


def _keys(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + "/" + k
            yield from _keys(v, prefix + "/" + k)
    elif isinstance(obj, list):
        for v in obj:
            yield from _keys(v, prefix + "[]")


def test_remote_as_change_to_4byte_is_unmanaged_until_opt_in():
    """bgpd's remote-as is the user's: a role neighbor whose remote-as
    becomes 4-byte without the opt-in is not managed, the reason names
    the opt-in; giving the opt-in makes it managed again."""
    sessions_up()
    before = running()
    out = conf("neighbor {} remote-as 65004".format(NVA4))
    assert not vrstest.percent(out), out
    try:
        out = conf("route-server neighbor {} role nva".format(NVA4))
        assert not vrstest.percent(out), out
        # the session with 65004 fails (nva4 is 4200000004); now back
        out = conf("neighbor {} remote-as {}".format(NVA4, NVA4_AS))
        assert not vrstest.percent(out), out
        vrstest.wait_or_fail(lambda: rs_json()["neighbors"][NVA4].get("managed") is False,
             lambda: "still managed: {}".format(rs_json()["neighbors"][NVA4]))
        assert "'route-server asn-4byte' accepts it" in \
            rs_json()["neighbors"][NVA4]["unmanagedReason"], rs_json()["neighbors"][NVA4]
        vrstest.wait_established({r("rs"): [NVA4]})
        assert P4 not in effective(), effective()
        out = conf("route-server asn-4byte")
        assert not vrstest.percent(out), out
        vrstest.wait_or_fail(lambda: rs_json()["neighbors"][NVA4].get("managed") is True,
             lambda: "not managed with the opt-in: {}".format(rs_json()["neighbors"][NVA4]))
        vrstest.wait_or_fail(lambda: effective().get(P4, {}).get("nextHops") == [NVA4],
             lambda: "{} not effective via nva4: {}".format(P4, effective().get(P4)))
    finally:
        out = conf("no route-server neighbor {}".format(NVA4), "no route-server asn-4byte",
                   "neighbor {} remote-as {}".format(NVA4, NVA4_AS))
        assert not vrstest.percent(out), out
    assert running() == before
    sessions_up()
    unmanaged_state()


def test_no_leaks_at_exit():
    assert vrstest.assert_no_leaks(get_topogen())
